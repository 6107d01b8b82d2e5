package deploy

import (
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerfile answers the instructions of the Dockerfile's last stage (the
// image) and the whole file's text. Continued lines are joined.
func dockerfile(t *testing.T) (final map[string]string, text string) {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text = strings.ReplaceAll(string(raw), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, args, _ := strings.Cut(line, " ")
		if op == "FROM" {
			final = map[string]string{}
		}
		final[op] += strings.TrimSpace(args) + " "
	}
	for k, v := range final {
		final[k] = strings.TrimSpace(v)
	}
	return final, text
}

// imagePort is the port mitreden listens on in the image.
func imagePort(t *testing.T) string {
	t.Helper()
	image, _ := dockerfile(t)
	m := regexp.MustCompile(`MITREDEN_ADDR=(\S+)`).FindStringSubmatch(image["ENV"])
	if m == nil {
		t.Fatalf("the image sets no MITREDEN_ADDR: ENV %q", image["ENV"])
	}
	host, port, err := net.SplitHostPort(m[1])
	if err != nil || host != "0.0.0.0" {
		t.Fatalf("MITREDEN_ADDR=%s in the image; want 0.0.0.0:PORT (%v)", m[1], err)
	}
	if image["EXPOSE"] != port {
		t.Errorf("the image exposes %q and listens on %s", image["EXPOSE"], port)
	}
	return port
}

// No container runtime here builds the image; this checks what the file
// promises: a cgo build from the Go release go.mod names, a non-root
// numeric user, the data volume, the binary as entry point.
func TestDockerfile(t *testing.T) {
	image, text := dockerfile(t)
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil || !strings.Contains(text, "FROM golang:"+string(goVersion[1])+"-bookworm AS build") {
		t.Errorf("the builder is not golang:%s-bookworm", goVersion[1])
	}
	if image["FROM"] != "debian:bookworm-slim" {
		t.Errorf("the image is FROM %q, want debian:bookworm-slim (the builder's glibc)", image["FROM"])
	}
	if !regexp.MustCompile(`CGO_ENABLED=1 go build -trimpath -o /out/mitreden ./cmd/mitreden`).MatchString(text) {
		t.Error("the binary is not built with cgo and -trimpath")
	}
	for _, pkg := range []string{"ca-certificates", "tzdata"} {
		if !strings.Contains(image["RUN"], pkg) {
			t.Errorf("the image does not install %s", pkg)
		}
	}
	if m := regexp.MustCompile(`^(\d+):(\d+)$`).FindStringSubmatch(image["USER"]); m == nil || m[1] == "0" ||
		!strings.Contains(image["RUN"], "--uid "+m[1]) {
		t.Errorf("USER %q: want a numeric non-root user that the image creates", image["USER"])
	}
	if image["VOLUME"] != `["/var/lib/mitreden"]` || !strings.Contains(image["ENV"], "MITREDEN_DB=sqlite:///var/lib/mitreden/") {
		t.Errorf("VOLUME %q, ENV %q: the SQLite database belongs in the volume", image["VOLUME"], image["ENV"])
	}
	if image["ENTRYPOINT"] != `["/usr/local/bin/mitreden"]` || !strings.Contains(image["COPY"], "/out/mitreden /usr/local/bin/mitreden") {
		t.Errorf("ENTRYPOINT %q, COPY %q", image["ENTRYPOINT"], image["COPY"])
	}
	imagePort(t)
}

// .dockerignore keeps out of the build context nothing that the binary
// is built from.
func TestDockerignoreKeepsTheSources(t *testing.T) {
	raw, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "../cmd/mitreden").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := filepath.Abs("..")
	needed := []string{"go.mod", "go.sum"}
	for _, dir := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	for _, p := range needed {
		for _, pattern := range patterns {
			if ignored(pattern, p) {
				t.Errorf(".dockerignore %q leaves out %s, which the binary is built from", pattern, p)
			}
		}
	}
}

// ignored reports whether a .dockerignore pattern excludes p or a folder
// above it.
func ignored(pattern, p string) bool {
	for ; p != "." && p != "/"; p = path.Dir(p) {
		if ok, _ := path.Match(pattern, p); ok {
			return true
		}
	}
	return false
}
