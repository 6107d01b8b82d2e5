// Package deploy holds the files a city's IT deploys mitreden with: the
// container build, the compose file, the reverse-proxy configuration and
// the systemd unit. There is no container runtime where these tests run,
// so they check what can be checked here: the compose file parsed, the
// Caddyfile run by Debian's Caddy against local processes, the unit
// verified by systemd-analyze. The tests live beside the files so they
// read them by their plain names.
package deploy

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mitreden/mitreden/app/config"
)

// composeFile is the part of compose.yaml the tests look at.
type composeFile struct {
	Services map[string]composeService
	Volumes  map[string]any
	Networks map[string]struct {
		IPAM struct {
			Config []struct{ Subnet string }
		}
	}
}

type composeService struct {
	Build *struct {
		Context    string
		Dockerfile string
	}
	Image       string
	Command     []string
	Environment map[string]string
	Ports       []string
	Volumes     []string
	Healthcheck *struct{ Test []string }
}

// composeEnv is what an operator puts into deploy/.env.
var composeEnv = map[string]string{
	"POSTGRES_PASSWORD": "s3cret", "MITREDEN_DOMAIN": "mitreden.example.org",
	"MITREDEN_ADMIN_EMAIL": "it@example.org", "MITREDEN_ADMIN_PASSWORD": "a-long-admin-password-1",
}

var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}`)

// interpolate does what compose does with ${NAME}, ${NAME:-default} and
// ${NAME:?message} (the only forms compose.yaml uses).
func interpolate(s string, env map[string]string) (string, error) {
	var missing error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		p := composeVar.FindStringSubmatch(m)
		if v := env[p[1]]; v != "" {
			return v
		}
		if p[2] == ":?" && missing == nil {
			missing = fmt.Errorf("%s: %s", p[1], p[3])
		}
		return p[3]
	})
	return out, missing
}

func readCompose(t *testing.T, env map[string]string) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text, err := interpolate(string(raw), env)
	if err != nil {
		t.Fatalf("compose.yaml with %v: %v", env, err)
	}
	var f composeFile
	if err := yaml.Unmarshal([]byte(text), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// instances are the services that run mitreden, by name.
func (f composeFile) instances() []string {
	var names []string
	for name, s := range f.Services {
		if s.Build != nil || strings.HasPrefix(s.Image, "mitreden") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Three instances of one image share the PostgreSQL service; the proxy
// is the only way in.
func TestComposeRunsThreeInstancesOnOnePostgres(t *testing.T) {
	f := readCompose(t, composeEnv)
	names := f.instances()
	if len(names) != 3 {
		t.Fatalf("mitreden services: %v, want three", names)
	}
	first := f.Services[names[0]]
	if first.Build == nil || filepath.Clean(filepath.Join(first.Build.Context, first.Build.Dockerfile)) != filepath.Clean("../deploy/Dockerfile") {
		t.Fatalf("%s builds %+v, want deploy/Dockerfile from the repository's root", names[0], first.Build)
	}
	pg := f.Services["postgres"]
	for _, name := range names {
		s := f.Services[name]
		if *s.Build != *first.Build || s.Image != first.Image {
			t.Errorf("%s: build %+v image %q; %s: build %+v image %q; want one image", name, *s.Build, s.Image, names[0], *first.Build, first.Image)
		}
		cfg := serveConfig(t, name, s.Command, s.Environment)
		db := cfg.DB
		if db.Driver != config.Postgres || !strings.Contains(db.URL, "@postgres:5432/"+pg.Environment["POSTGRES_DB"]+"?") ||
			!strings.HasPrefix(db.URL, "postgres://"+pg.Environment["POSTGRES_USER"]+":"+pg.Environment["POSTGRES_PASSWORD"]+"@") {
			t.Errorf("%s: MITREDEN_DB %q is not the postgres service's database", name, db.URL)
		}
		if cfg.PublicURL != "https://"+composeEnv["MITREDEN_DOMAIN"] {
			t.Errorf("%s: MITREDEN_PUBLIC_URL %q", name, cfg.PublicURL)
		}
		if cfg.AdminEmail != composeEnv["MITREDEN_ADMIN_EMAIL"] || cfg.AdminPassword != composeEnv["MITREDEN_ADMIN_PASSWORD"] {
			t.Errorf("%s: the administrator is not taken from the environment", name)
		}
		if subnet := f.Networks["mitreden"].IPAM.Config; len(subnet) != 1 || !slices.Equal(cfg.TrustedProxies, []string{subnet[0].Subnet}) {
			t.Errorf("%s: MITREDEN_TRUSTED_PROXIES %v, want the compose network %v", name, cfg.TrustedProxies, subnet)
		}
	}
	if pg.Image != "postgres:15" || pg.Healthcheck == nil || len(pg.Healthcheck.Test) == 0 {
		t.Errorf("postgres: image %q, healthcheck %v", pg.Image, pg.Healthcheck)
	}
	if !mountsNamedVolume(f, pg, "/var/lib/postgresql/data") {
		t.Errorf("postgres keeps its data in %v, want a named volume at /var/lib/postgresql/data", pg.Volumes)
	}
}

// The instances start without any of the optional settings: the
// administrator then gets a one-time password in the log.
func TestComposeNeedsOnlyTheDatabasePassword(t *testing.T) {
	f := readCompose(t, map[string]string{"POSTGRES_PASSWORD": "s3cret"})
	for _, name := range f.instances() {
		cfg := serveConfig(t, name, f.Services[name].Command, f.Services[name].Environment)
		if cfg.AdminEmail != "" || cfg.PublicURL != "https://localhost" {
			t.Errorf("%s: admin %q, public URL %q", name, cfg.AdminEmail, cfg.PublicURL)
		}
	}
	raw, _ := os.ReadFile("compose.yaml")
	if _, err := interpolate(string(raw), map[string]string{}); err == nil || !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Errorf("compose.yaml without POSTGRES_PASSWORD: %v, want it refused", err)
	}
}

// serveConfig is the configuration mitreden reads from a service's
// command and environment; it fails the test where mitreden would refuse
// to start.
func serveConfig(t *testing.T, name string, command []string, env map[string]string) config.Server {
	t.Helper()
	if len(command) == 0 || command[0] != "serve" {
		t.Fatalf("%s: command %q, want serve", name, command)
	}
	cfg, err := config.ParseServer(command[1:], func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: mitreden would not start: %v", name, err)
	}
	return cfg
}

func mountsNamedVolume(f composeFile, s composeService, target string) bool {
	for _, v := range s.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if _, named := f.Volumes[src]; named && strings.TrimSuffix(dst, ":ro") == target {
			return true
		}
	}
	return false
}

// Caddy mounts this directory's Caddyfile, proxies to the instances the
// compose file runs, on the port the image listens on, and is the only
// service with published ports.
func TestComposeProxyIsTheOnlyWayIn(t *testing.T) {
	f := readCompose(t, composeEnv)
	caddy := f.Services["caddy"]
	if !strings.HasPrefix(caddy.Image, "caddy:2") {
		t.Errorf("caddy: image %q", caddy.Image)
	}
	if !slices.Contains(caddy.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy mounts %v, want ./Caddyfile at /etc/caddy/Caddyfile", caddy.Volumes)
	}
	if caddy.Environment["MITREDEN_SITE"] != composeEnv["MITREDEN_DOMAIN"] {
		t.Errorf("caddy serves %q, the instances believe they are at https://%s", caddy.Environment["MITREDEN_SITE"], composeEnv["MITREDEN_DOMAIN"])
	}
	if len(caddy.Ports) == 0 {
		t.Error("caddy publishes no port")
	}
	for name, s := range f.Services {
		if name != "caddy" && len(s.Ports) > 0 {
			t.Errorf("%s publishes %v; only the proxy may", name, s.Ports)
		}
	}
	var want []string
	for _, name := range f.instances() {
		want = append(want, net.JoinHostPort(name, imagePort(t)))
	}
	if got := strings.Fields(caddyDefault(t, "MITREDEN_UPSTREAMS")); !slices.Equal(got, want) {
		t.Errorf("the Caddyfile proxies to %v by default, the compose file runs %v", got, want)
	}
}

// Every variable the compose file reads is explained in the example
// environment file.
func TestComposeVariablesAreDocumented(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example := exampleEnv(t)
	for _, m := range composeVar.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := example[m[1]]; !ok {
			t.Errorf("compose.yaml reads %s, which mitreden.env.example does not explain", m[1])
		}
	}
}

// exampleEnv reads mitreden.env.example as systemd and compose do:
// NAME=value lines, # comments.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("mitreden.env.example")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("mitreden.env.example: %q is not NAME=value", line)
		}
		env[k] = v
	}
	return env
}
