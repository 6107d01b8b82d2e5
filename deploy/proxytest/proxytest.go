// Package proxytest runs deploy/Caddyfile, the reverse-proxy
// configuration the compose file mounts, in Debian's Caddy in front of
// local processes, for tests. make test installs Caddy
// (.ci/ensure-caddy); without it the tests that need it are skipped.
package proxytest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Caddyfile is the path of deploy/Caddyfile.
func Caddyfile(t testing.TB) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("proxytest: cannot find its own source")
	}
	return filepath.Join(filepath.Dir(self), "..", "Caddyfile")
}

// Caddy answers the path of the caddy binary, or skips the test.
func Caddy(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed; .ci/ensure-caddy (run by make test) installs Debian's package")
	}
	return bin
}

// Env is an environment for Caddy with its state (certificates, the
// autosaved configuration) in a temporary directory, and settings.
func Env(t testing.TB, settings ...string) []string {
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + home + "/data", "XDG_CONFIG_HOME=" + home + "/config"}
	return append(env, settings...)
}

// Run runs the Caddyfile in front of upstreams (host:port each) until the
// test ends and answers the http:// address it serves. Caddy's log is
// shown when the test failed.
func Run(t testing.TB, upstreams ...string) string {
	t.Helper()
	bin := Caddy(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "run", "--config", Caddyfile(t), "--adapter", "caddyfile")
	cmd.Env = Env(t, "MITREDEN_SITE=http://"+addr, "MITREDEN_UPSTREAMS="+strings.Join(upstreams, " "), "MITREDEN_PROXY_ADMIN=off")
	// One writer for both: exec then calls it from one goroutine at a
	// time, and it is read only after Wait.
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("caddy's log:\n%s", log)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy does not listen on %s", addr)
		}
	}
}
