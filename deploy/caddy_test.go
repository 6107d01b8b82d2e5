package deploy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/mitreden/mitreden/deploy/proxytest"
)

// caddyDefault is the default the Caddyfile gives the placeholder
// {$name:default}.
func caddyDefault(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\{\$` + name + `:([^}]*)\}`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("the Caddyfile has no {$%s:…}", name)
	}
	return string(m[1])
}

// The file the compose file mounts is valid for Caddy 2.6 with the
// compose defaults, and formatted (Caddy warns at every start otherwise).
func TestCaddyfileIsValid(t *testing.T) {
	bin := proxytest.Caddy(t)
	cmd := exec.Command(bin, "validate", "--config", "Caddyfile", "--adapter", "caddyfile")
	cmd.Env = proxytest.Env(t)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Valid configuration")) || regexp.MustCompile(`"level":"(warn|error)"`).Match(out) {
		t.Fatalf("caddy validate: %v\n%s", err, out)
	}
	formatted, err := exec.Command(bin, "fmt", "Caddyfile").Output()
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile("Caddyfile"); !bytes.Equal(formatted, raw) {
		t.Errorf("caddy fmt would change the Caddyfile:\n%s", formatted)
	}
}

// instance stands in for a mitreden instance behind the proxy: /readyz
// answers as told, /api/v1/live echoes WebSocket messages, every other
// path answers the instance's name and the forwarding headers it got.
type instance struct {
	name  string
	ready atomic.Bool
	srv   *httptest.Server
}

func newInstance(t *testing.T, name string, ready bool) *instance {
	in := &instance{name: name}
	in.ready.Store(ready)
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !in.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	upgrader := websocket.Upgrader{}
	mux.HandleFunc("/api/v1/live", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			kind, msg, err := conn.ReadMessage()
			if err != nil || conn.WriteMessage(kind, append([]byte(name+" "), msg...)) != nil {
				return
			}
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n%s\n%s", name, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"))
	})
	in.srv = httptest.NewServer(mux)
	t.Cleanup(in.srv.Close)
	return in
}

func (in *instance) addr() string { return strings.TrimPrefix(in.srv.URL, "http://") }

// answer is what an instance answered through the proxy.
type answer struct{ instance, forwardedFor, forwardedProto string }

// get asks through the proxy as a client that claims, in its own
// X-Forwarded-For, to be someone else.
func get(t *testing.T, base string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/c/wir2", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("through the proxy: %d %s", resp.StatusCode, body)
	}
	lines := strings.Split(string(body), "\n")
	if len(lines) != 3 {
		t.Fatalf("through the proxy: %q", body)
	}
	return answer{lines[0], lines[1], lines[2]}
}

// awaitServing asks through the proxy until 30 requests in a row went to
// exactly the instances named, each getting some (health checks run
// every two seconds).
func awaitServing(t *testing.T, base string, names ...string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = got[:0]
		for range 30 {
			if a := get(t, base); !slices.Contains(got, a.instance) {
				got = append(got, a.instance)
			}
		}
		slices.Sort(got)
		if slices.Equal(got, names) {
			return
		}
	}
	t.Fatalf("requests went to %v, want %v", got, names)
}

// The proxy spreads requests over the instances whose /readyz answers
// 200, follows them as that changes, keeps answering when an instance
// dies between two health checks, sets X-Forwarded-For to the address it
// was reached from (whatever the client claimed) and passes WebSockets.
func TestCaddyfileProxiesToReadyInstances(t *testing.T) {
	a, b, c := newInstance(t, "a", true), newInstance(t, "b", true), newInstance(t, "c", false)
	base := proxytest.Run(t, a.addr(), b.addr(), c.addr())
	awaitServing(t, base, "a", "b")

	got := get(t, base)
	if got.forwardedFor != "127.0.0.1" || got.forwardedProto != "http" {
		t.Errorf("X-Forwarded-For %q, X-Forwarded-Proto %q; want the client's address as Caddy saw it, and http", got.forwardedFor, got.forwardedProto)
	}

	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/live", nil)
	if err != nil {
		t.Fatalf("WebSocket through the proxy: %v %v", err, resp)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || (string(msg) != "a hello" && string(msg) != "b hello") {
		t.Fatalf("WebSocket echo: %q %v", msg, err)
	}
	// An open socket counts as a request in flight, and the proxy sends
	// new requests to the instance with fewest (least_conn).
	ws.Close()

	b.ready.Store(false)
	c.ready.Store(true)
	awaitServing(t, base, "a", "c")

	// An instance killed between two health checks: the proxy tries the
	// next one, the client sees nothing of it.
	a.srv.CloseClientConnections()
	a.srv.Listener.Close()
	for range 20 {
		if got := get(t, base); got.instance != "c" {
			t.Fatalf("after a died, a request went to %s", got.instance)
		}
	}
}
