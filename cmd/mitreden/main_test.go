package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mitreden-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mitreden")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Println("building the binary failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is a newcomer's environment: no MITREDEN_ settings.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MITREDEN_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// Mistakes in how mitreden is called end with one line and exit status 2.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, nil, "bogus"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"unknown scheme", []string{"serve", "--db", "mysql://localhost/m"}, nil, "unknown database scheme"},
		{"unknown scheme from the environment", []string{"migrate", "status"}, []string{"MITREDEN_DB=oracle://x"}, "unknown database scheme"},
		{"unreachable database", []string{"serve", "--db", "postgres://mitreden@127.0.0.1:1/none?sslmode=disable"}, nil, "cannot reach database"},
		{"missing directory", []string{"--db", "sqlite:///no/such/dir/m.db"}, nil, "does not exist"},
		{"bad address", []string{"--addr", "nonsense"}, nil, "listen address"},
		{"bad rate-limit switch", nil, []string{"MITREDEN_RATE_LIMITS=maybe"}, "MITREDEN_RATE_LIMITS"},
		{"bad body limit", nil, []string{"MITREDEN_BODY_LIMIT=lots"}, "MITREDEN_BODY_LIMIT"},
		{"bad public URL", nil, []string{"MITREDEN_PUBLIC_URL=ftp://mitreden.example"}, "MITREDEN_PUBLIC_URL"},
		{"public URL without a host", nil, []string{"MITREDEN_PUBLIC_URL=https://"}, "MITREDEN_PUBLIC_URL"},
		{"bad SMTP scheme", nil, []string{"MITREDEN_SMTP_URL=http://mail.example:25"}, "MITREDEN_SMTP_URL"},
		{"bad SMTP port", nil, []string{"MITREDEN_SMTP_URL=smtp://mail.example:99999"}, "MITREDEN_SMTP_URL"},
		{"bad mail sender", nil, []string{"MITREDEN_MAIL_FROM=not an address"}, "MITREDEN_MAIL_FROM"},
		{"bad verification setting", nil, []string{"MITREDEN_EMAIL_VERIFICATION=sometimes"}, "MITREDEN_EMAIL_VERIFICATION"},
		{"user add without role", []string{"user", "add", "--email", "a@b.de", "--name", "A", "--password-stdin"}, nil, "required"},
		{"user add with a bad role", []string{"user", "add", "--email", "a@b.de", "--name", "A", "--role", "king", "--password-stdin"}, nil, "--role"},
		{"backup without -o", []string{"backup"}, nil, "-o FILE"},
		{"export without a scope", []string{"export", "--format", "csv"}, nil, "--group ID or --consultation SLUG"},
		{"export with both scopes", []string{"export", "--group", "1", "--consultation", "wir2", "--format", "csv"}, nil, "--group ID or --consultation SLUG"},
		{"export with a bad format", []string{"export", "--group", "1", "--format", "pdf"}, nil, "--format"},
		{"export in an unknown language", []string{"export", "--group", "1", "--format", "csv", "--lang", "xx"}, nil, "--lang"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCmd(t, dir, "", cleanEnv(c.env...), c.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("stderr is not one line naming %q: %q", c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, ".go:") {
				t.Fatalf("stack trace: %q", r.stderr)
			}
		})
	}
	if r := runCmd(t, dir, "", cleanEnv(), "help"); r.code != 0 || !strings.Contains(r.stdout, "mitreden user add") {
		t.Fatalf("help: %d %q", r.code, r.stdout)
	}
}

// A weak password is a mistake in how mitreden is called too: the
// administrator's from the environment, and those the user commands read.
func TestWeakPasswordsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, stdin string
		args, env   []string
	}{
		{"common administrator password", "", []string{"--addr", "127.0.0.1:0"}, []string{"MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=password123"}},
		{"administrator password with the address in it", "", []string{"--addr", "127.0.0.1:0"}, []string{"MITREDEN_ADMIN_EMAIL=chief@example.org", "MITREDEN_ADMIN_PASSWORD=i-am-the-chief"}},
		{"user add with a common password", "qwertyuiop\n", []string{"user", "add", "--email", "b@b.de", "--name", "B", "--role", "resident", "--password-stdin"}, nil},
		{"set-password with one repeated character", "xxxxxxxxxxxx\n", []string{"user", "set-password", "--email", "a@b.de", "--password-stdin"}, nil},
	}
	if r := runCmd(t, dir, "a-fine-password-1\n", cleanEnv(), "user", "add", "--email", "a@b.de", "--name", "A", "--role", "resident", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %d %q", r.code, r.stderr)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCmd(t, dir, c.stdin, cleanEnv(c.env...), c.args...)
			if r.code != 2 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(strings.ToLower(r.stderr), "password") {
				t.Fatalf("exit %d, want 2 with one line about the password; stderr %q", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "password123") || strings.Contains(r.stderr, "qwertyuiop") {
				t.Fatalf("the password is repeated: %q", r.stderr)
			}
		})
	}
}

type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	lines  chan string
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs the binary and waits until it listens. It collects
// standard error line by line.
func startServer(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, env
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &bytes.Buffer{}, lines: make(chan string, 100)}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.WriteString(line + "\n")
			if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(line); m != nil {
				listening <- m[1]
			}
			select {
			case s.lines <- line:
			default:
			}
		}
		close(s.lines)
	}()
	select {
	case s.url = <-listening:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", s.stderr)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

// stop sends SIGTERM and expects a clean exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Fatal("no exit within 20 s of SIGTERM")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, base, email, password string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// A newcomer runs mitreden with no configuration at all: it creates
// mitreden.db in the working directory, the admin with a one-time
// password, and the demo; the operator then uses the maintenance commands.
func TestNewcomer(t *testing.T) {
	dir := t.TempDir()
	var env []string
	// The default address is 127.0.0.1:8080; use it when free, as a newcomer would.
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		ln.Close()
		env = cleanEnv()
	} else {
		env = cleanEnv("MITREDEN_ADDR=" + freeAddr(t))
	}
	s := startServer(t, dir, env)
	m := regexp.MustCompile(`email=admin@localhost password=(\S+)`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("no one-time admin password in the log:\n%s", s.stderr)
	}
	password := m[1]
	if code, body := get(t, s.url+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz %d %s", code, body)
	}
	if code, body := get(t, s.url+"/c/wir2"); code != 200 || !strings.Contains(body, "WIR sind Hannover") {
		t.Fatalf("/c/wir2 %d", code)
	}
	if code, _ := login(t, s.url, "admin@localhost", password); code != 200 {
		t.Fatalf("admin login with the printed password: %d", code)
	}
	s.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "mitreden.db")); err != nil {
		t.Fatalf("no mitreden.db in the working directory: %v", err)
	}

	// The operator adds an expert and resets the admin password.
	r := runCmd(t, dir, "expert-password-1\n", cleanEnv(), "user", "add", "--email", "expertin@example.org", "--name", "Expertin", "--role", "expert", "--group", "1", "--group", "7", "--password-stdin")
	if r.code != 0 || !regexp.MustCompile(`^\d+\n$`).MatchString(r.stdout) {
		t.Fatalf("user add: %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, dir, "another-password\n", cleanEnv(), "user", "add", "--email", "expertin@example.org", "--name", "Again", "--role", "resident", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "already registered") {
		t.Fatalf("duplicate user add: %d %q", r.code, r.stderr)
	}
	if r := runCmd(t, dir, "new-keeper-password\n", cleanEnv(), "user", "set-password", "--email", "admin@localhost", "--password-stdin"); r.code != 0 {
		t.Fatalf("set-password: %d %q", r.code, r.stderr)
	}
	if r := runCmd(t, dir, "", cleanEnv(), "migrate", "status"); r.code != 0 || !strings.Contains(r.stdout, "applied") || strings.Contains(r.stdout, "pending") {
		t.Fatalf("migrate status: %d %q", r.code, r.stdout)
	}

	// Back up while the server runs and writes.
	s = startServer(t, dir, env)
	if code, _ := login(t, s.url, "admin@localhost", password); code != 401 {
		t.Fatalf("the old admin password still works: %d", code)
	}
	if code, _ := login(t, s.url, "admin@localhost", "new-keeper-password"); code != 200 {
		t.Fatalf("the new admin password does not work: %d", code)
	}
	code, session := login(t, s.url, "expertin@example.org", "expert-password-1")
	if code != 200 {
		t.Fatalf("expert login: %d", code)
	}
	req, _ := http.NewRequest("GET", s.url+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+session["token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Role   string
		Groups []int64
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me.Role != "expert" || fmt.Sprint(me.Groups) != "[1 7]" {
		t.Fatalf("expert /me: %+v", me)
	}
	if r := runCmd(t, dir, "", cleanEnv(), "backup", "-o", "copy.db"); r.code != 0 {
		t.Fatalf("backup: %d %q", r.code, r.stderr)
	}
	// export writes the group's summary to standard output or a file, next
	// to the running server.
	if r := runCmd(t, dir, "", cleanEnv(), "export", "--group", "1", "--format", "json", "--lang", "en"); r.code != 0 ||
		!strings.HasPrefix(r.stdout, `{"format":"mitreden-feedback/1"`) || !json.Valid([]byte(r.stdout)) {
		t.Fatalf("export to standard output: %d %q %.200q", r.code, r.stderr, r.stdout)
	}
	if r := runCmd(t, dir, "", cleanEnv(), "export", "--consultation", "wir2", "--format", "csv", "-o", "wir2.csv"); r.code != 0 {
		t.Fatalf("export to a file: %d %q", r.code, r.stderr)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "wir2.csv")); err != nil || !bytes.HasPrefix(data, []byte("\xEF\xBB\xBFArt;")) {
		t.Fatalf("the exported CSV: %v %.80q", err, data)
	}
	if r := runCmd(t, dir, "", cleanEnv(), "export", "--group", "99", "--format", "md"); r.code != 1 || !strings.Contains(r.stderr, "no such expert group") {
		t.Fatalf("export of an unknown group: %d %q", r.code, r.stderr)
	}
	s.stop(t)
	copyStore, err := store.Open(context.Background(), config.Database{Driver: config.SQLite, Path: filepath.Join(dir, "copy.db")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	var users int
	if err := copyStore.DB.NewRaw("SELECT COUNT(*) FROM users").Scan(context.Background(), &users); err != nil || users != 2 {
		t.Fatalf("backup holds %d users (%v)", users, err)
	}
	if r := runCmd(t, dir, "", cleanEnv(), "backup", "-o", "copy.db"); r.code != 2 {
		t.Fatalf("backup over an existing file: %d", r.code)
	}
}

// The same binary runs on PostgreSQL with MITREDEN_DB, admin from the environment.
func TestPostgres(t *testing.T) {
	db := storetest.NewDatabase(t, config.Postgres)
	env := cleanEnv("MITREDEN_DB="+db.URL, "MITREDEN_ADDR="+freeAddr(t), "MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=ops-password-1")
	s := startServer(t, t.TempDir(), env)
	if strings.Contains(s.stderr.String(), "ops-password-1") {
		t.Fatal("a password from the environment was logged")
	}
	if code, body := get(t, s.url+"/api/v1/consultations"); code != 200 || !strings.Contains(body, `"slug":"wir2"`) {
		t.Fatalf("consultations on PostgreSQL: %d %s", code, body)
	}
	if code, _ := login(t, s.url, "ops@example.org", "ops-password-1"); code != 200 {
		t.Fatalf("admin from the environment: %d", code)
	}
	if r := runCmd(t, t.TempDir(), "", env, "backup", "-o", "x.db"); r.code != 2 || !strings.Contains(r.stderr, "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %d %q", r.code, r.stderr)
	}
	s.stop(t)
}

// Behind a TLS proxy (MITREDEN_PUBLIC_URL https://) the binary sets
// __Host- cookies and HSTS on plain-HTTP requests from the proxy. After a
// run of requests on keep-alive connections, and with a connection that
// never sent one, SIGTERM ends it at once with status 0.
func TestBehindTLSProxy(t *testing.T) {
	env := cleanEnv("MITREDEN_ADDR="+freeAddr(t), "MITREDEN_PUBLIC_URL=https://mitreden.example/",
		"MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=ops-password-1")
	s := startServer(t, t.TempDir(), env)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for range 12 {
		resp, err := client.Get(s.url + "/login")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		cookie := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
		if !strings.Contains(cookie, "__Host-mitreden_csrf=") || !strings.Contains(strings.ToLower(cookie), "secure") {
			t.Fatalf("form cookie: %q", cookie)
		}
		if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Fatal("no HSTS")
		}
	}
	silent, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	t0 := time.Now()
	s.stop(t)
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("SIGTERM took %s", d)
	}
}

// Every vote answered 200 survives a kill -9 in the middle of the load, and
// the tallies equal the votes after the restart.
func TestVotesSurviveKill(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := cleanEnv("MITREDEN_ADDR="+addr, "MITREDEN_RATE_LIMITS=off", "MITREDEN_EMAIL_VERIFICATION=off", "MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=ops-password-1")
	s := startServer(t, dir, env)
	const voters = 24
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: voters}}
	call := func(method, path, token string, body any) (int, map[string]any, error) {
		return apiCall(client, method, s.url+path, token, body)
	}
	tokens := make([]string, voters)
	for i := range tokens {
		status, m, err := call("POST", "/api/v1/auth/register", "", map[string]any{"email": fmt.Sprintf("v%d@example.org", i), "password": "a-good-password", "display_name": fmt.Sprintf("V %d", i), "privacy_consent": true})
		if err != nil || status != 201 {
			t.Fatalf("register: %d %v", status, err)
		}
		tokens[i] = m["token"].(string)
	}
	measures := []int{1, 2, 3, 4}
	type state struct {
		acked   map[int]int  // measure -> last value answered 200
		pending map[int]int  // measure -> value sent but never answered
		seen    map[int]bool // measure has an acknowledged vote
	}
	states := make([]state, voters)
	var wg sync.WaitGroup
	var acked atomic.Int64
	stop := make(chan struct{})
	for i := range voters {
		states[i] = state{acked: map[int]int{}, pending: map[int]int{}, seen: map[int]bool{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &states[i]
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				m := measures[(n+i)%len(measures)]
				value := (n*7+i)%3 - 1
				st.pending[m] = value
				status, _, err := call("PUT", fmt.Sprintf("/api/v1/measures/%d/vote", m), tokens[i], map[string]int{"value": value})
				if err != nil {
					return // the server is gone; this vote may or may not be stored
				}
				if status != 200 {
					t.Errorf("vote: %d", status)
					return
				}
				delete(st.pending, m)
				st.acked[m], st.seen[m] = value, true
				acked.Add(1)
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
	close(stop)
	wg.Wait()
	if acked.Load() < 100 {
		t.Fatalf("only %d votes were answered before the kill: the test proves little", acked.Load())
	}
	t.Logf("%d votes answered before kill -9", acked.Load())

	s = startServer(t, dir, env)
	defer s.stop(t)
	counts := map[int][3]int{}
	for i := range voters {
		st := &states[i]
		for _, m := range measures {
			status, body, err := call("GET", fmt.Sprintf("/api/v1/measures/%d", m), tokens[i], nil)
			if err != nil || status != 200 {
				t.Fatalf("read after restart: %d %v", status, err)
			}
			got, has := -2, body["my_vote"] != nil
			if has {
				got = int(body["my_vote"].(float64))
				c := counts[m]
				c[got+1]++
				counts[m] = c
			}
			pending, inFlight := st.pending[m]
			switch {
			case inFlight && has && (got == pending || st.seen[m] && got == st.acked[m]):
			case inFlight && !has && !st.seen[m]:
			case !inFlight && st.seen[m] && has && got == st.acked[m]:
			case !inFlight && !st.seen[m] && !has:
			default:
				t.Errorf("voter %d, measure %d: stored %v (has %v), acknowledged %v (seen %v), in flight %v", i, m, got, has, st.acked[m], st.seen[m], inFlight)
			}
		}
	}
	for _, m := range measures {
		_, body, _ := call("GET", fmt.Sprintf("/api/v1/measures/%d", m), "", nil)
		tally := body["tally"].(map[string]any)
		c := counts[m]
		if int(tally["against"].(float64)) != c[0] || int(tally["neutral"].(float64)) != c[1] || int(tally["for"].(float64)) != c[2] {
			t.Errorf("measure %d: tally %v, votes %v", m, tally, c)
		}
	}
}
