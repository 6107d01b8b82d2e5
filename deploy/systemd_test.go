package deploy

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Where the README's install steps put the unit and the binary.
const (
	unitPath   = "/etc/systemd/system/mitreden.service"
	binaryPath = "/usr/local/bin/mitreden"
)

// systemRoot builds a file system root laid out as after the README's
// install steps: the unit in /etc/systemd/system, an executable at
// /usr/local/bin/mitreden (systemd-analyze checks only that it is one),
// and a copy of this machine's system units (sysinit.target and the
// others every service depends on). With --root, systemd-analyze looks
// up everything there instead of in this machine's /etc and /usr.
func systemRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	units := "/usr/lib/systemd/system"
	if err := copyTree(units, filepath.Join(root, units)); err != nil {
		t.Fatalf("copy %s: %v", units, err)
	}
	unit, err := os.ReadFile("mitreden.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{unitPath, unit, 0o644}, {binaryPath, []byte("#!/bin/sh\n"), 0o755}} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f.path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f.path), f.data, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// copyTree copies files and symbolic links (systemd's aliases are
// relative ones) from src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian's systemd package has it); the unit was not verified")
	}
	return bin
}

// systemd-analyze verify finds nothing wrong with the unit. It exits 0
// on unknown settings and values it cannot parse (it only warns), so any
// word it says fails the test.
func TestSystemdUnitVerifies(t *testing.T) {
	bin := systemdAnalyze(t)
	root := systemRoot(t)
	out, err := exec.Command(bin, "verify", "--root="+root, "mitreden.service").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The same check fails without the binary: it is not a formality.
	os.Remove(filepath.Join(root, binaryPath))
	if out, err := exec.Command(bin, "verify", "--root="+root, "mitreden.service").CombinedOutput(); err == nil || !strings.Contains(string(out), binaryPath) {
		t.Fatalf("systemd-analyze verify without %s: %v\n%s", binaryPath, err, out)
	}
}

// The hardening keeps systemd's exposure rating in its "OK" band (below
// 2.0 of 10; the --threshold is in tenths).
func TestSystemdUnitIsHardened(t *testing.T) {
	bin := systemdAnalyze(t)
	out, err := exec.Command(bin, "security", "--offline=yes", "--threshold=20", "--root="+systemRoot(t), "mitreden.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
}

// The unit's command and environment, with the example secrets file, are
// a configuration mitreden starts with: SQLite in the state directory, on
// the loopback behind a proxy there.
func TestSystemdUnitConfiguresMitreden(t *testing.T) {
	raw, err := os.ReadFile("mitreden.service")
	if err != nil {
		t.Fatal(err)
	}
	env := exampleEnv(t)
	var command []string
	settings := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch key {
		case "Environment":
			k, v, _ := strings.Cut(value, "=")
			env[k] = v
		case "ExecStart":
			command = strings.Fields(value)
		default:
			settings[key] = value
		}
	}
	if len(command) == 0 || command[0] != binaryPath {
		t.Fatalf("ExecStart %q, want %s", command, binaryPath)
	}
	cfg := serveConfig(t, "mitreden.service", command[1:], env)
	if cfg.DB.Path != "/var/lib/"+settings["StateDirectory"]+"/mitreden.db" {
		t.Errorf("the database %q is not in the state directory %q", cfg.DB.Path, settings["StateDirectory"])
	}
	if !strings.HasPrefix(cfg.Addr, "127.0.0.1:") || !strings.Contains(strings.Join(cfg.TrustedProxies, ","), "127.0.0.1") {
		t.Errorf("listens on %s and believes %v; want the loopback and a proxy there", cfg.Addr, cfg.TrustedProxies)
	}
	if settings["EnvironmentFile"] == "" || settings["Restart"] != "on-failure" || settings["User"] == "" || settings["User"] == "root" {
		t.Errorf("EnvironmentFile %q, Restart %q, User %q", settings["EnvironmentFile"], settings["Restart"], settings["User"])
	}
}
