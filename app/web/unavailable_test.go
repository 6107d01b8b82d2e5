package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// outageRequest is one representative route of a route group.
type outageRequest struct {
	group  string
	client *apptest.Client
	method string
	path   string
	body   any
	// kind says how its 503 looks: "api" (problem+json), "page" (the
	// error page) or "live" (the WebSocket upgrade, refused before it).
	kind string
	// ok is its status when it succeeds (0: 200).
	ok int
}

// While the database does not answer, every route group answers 503 with
// Retry-After (problem+json on the API, the error page on pages, the
// upgrade refused on the live socket), never 500, and /readyz says so
// while /healthz does not; when the database is back, the same requests
// succeed and /readyz is 200 again. On PostgreSQL the test database
// refuses connections and loses the ones it had, as in a restart of the
// server (without restarting the shared server); on SQLite every
// connection the store takes fails with a disk I/O error
// (storetest.Outage).
func TestEveryRouteGroupAnswers503WhileTheDatabaseIsAway(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		outage := storetest.NewOutage(db)
		var logs apptest.LogBuffer
		s := apptest.Start(t, db, apptest.WithLog(&logs), func(s *apptest.Setup) { outage.Hook(&s.Store) })
		anon := s.Client()
		resident := s.Register("res@example.org", "Resident")
		admin := s.Admin()
		browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		requests := []outageRequest{
			{"public pages", anon, "GET", "/f/1", nil, "page", 0},
			{"API reads", anon, "GET", "/api/v1/fields/1/measures", nil, "api", 0},
			{"API writes", resident, "PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}, "api", 0},
			{"page forms", browser, "POST", "/m/1/vote", url.Values{"value": {"1"}}, "page", http.StatusSeeOther},
			{"sign-in", anon, "POST", "/api/v1/auth/login", map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword}, "api", 0},
			{"own account (API)", resident, "GET", "/api/v1/me", nil, "api", 0},
			{"own account (page)", browser, "GET", "/me", nil, "page", 0},
			{"moderation (API)", admin, "GET", "/api/v1/moderation/queue", nil, "api", 0},
			{"moderation (page)", browser, "GET", "/moderation", nil, "page", 0},
			{"experts (API)", admin, "GET", "/api/v1/expert-groups/1/inbox", nil, "api", 0},
			{"experts (page)", browser, "GET", "/experts/1", nil, "page", 0},
			{"administration (API)", admin, "GET", "/api/v1/users", nil, "api", 0},
			{"administration (page)", browser, "GET", "/admin", nil, "page", 0},
			{"live socket upgrade", anon, "GET", "/api/v1/live?topics=consultation:wir2", nil, "live", 0},
			{"exports", admin, "GET", "/api/v1/consultations/wir2/export?format=csv", nil, "api", 0},
		}
		for _, r := range requests {
			if status, body := send(t, s, r); status != r.success() {
				t.Fatalf("%s before the outage: %d %.300s", r.group, status, body)
			}
		}
		wantReady(t, s, http.StatusOK)
		// An idle hub reads the outbox for a new socket (see live.Hub.readLatest).
		for deadline := time.Now().Add(5 * time.Second); s.App.Live.Stats().Open > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}

		outage.Begin(t)
		for _, r := range requests {
			t.Run(r.group, func(t *testing.T) { wantUnavailable(t, s, r) })
		}
		if r := wantReady(t, s, http.StatusServiceUnavailable); r.Map(t)["check"] != "database" {
			t.Errorf("/readyz names the wrong check: %s", r.Body)
		}
		if r := anon.Get("/healthz"); r.Status != http.StatusOK {
			t.Errorf("/healthz while the database is away: %d", r.Status)
		}
		// Metrics answer, without the gauges read from the database.
		if r := anon.Get("/metrics"); r.Status != http.StatusOK || !strings.Contains(r.Text(), "mitreden_http_requests_total") ||
			strings.Contains(r.Text(), "mitreden_mail_queue_length ") {
			t.Errorf("/metrics while the database is away: %d", r.Status)
		}
		if l := logs.String(); strings.Contains(l, "request failed") || strings.Contains(l, "status=500") {
			t.Errorf("the outage was logged as a 500:\n%s", l)
		}

		outage.End(t)
		for _, r := range requests {
			deadline := time.Now().Add(15 * time.Second)
			for {
				status, body := send(t, s, r)
				if status == r.success() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s after the outage: %d %.300s", r.group, status, body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		wantReady(t, s, http.StatusOK)
	})
}

func (r outageRequest) success() int {
	if r.ok == 0 {
		return http.StatusOK
	}
	return r.ok
}

// send makes the request; a live socket that opens and says ready is 200.
func send(t *testing.T, s *apptest.Server, r outageRequest) (int, []byte) {
	t.Helper()
	if r.kind != "live" {
		got := r.client.Do(r.method, r.path, r.body)
		return got.Status, got.Body
	}
	conn, resp, err := dialLive(s, r.path)
	if err != nil {
		if resp == nil {
			t.Fatalf("%s: %v", r.group, err)
		}
		return resp.StatusCode, nil
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, msg, err := conn.ReadMessage(); err != nil || !strings.Contains(string(msg), `"type":"ready"`) {
		return http.StatusSwitchingProtocols, fmt.Appendf(nil, "first message %s (%v)", msg, err)
	}
	return http.StatusOK, nil
}

func dialLive(s *apptest.Server, path string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	return d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, nil)
}

// wantUnavailable checks that r answers 503 with Retry-After, as its kind does.
func wantUnavailable(t *testing.T, s *apptest.Server, r outageRequest) {
	if r.kind == "live" {
		conn, resp, err := dialLive(s, r.path)
		if err == nil {
			conn.Close()
			t.Fatal("the socket was upgraded")
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("upgrade refused with %v (%v)", resp, err)
		}
		return
	}
	got := r.client.Do(r.method, r.path, r.body)
	if got.Status != http.StatusServiceUnavailable || got.Header.Get("Retry-After") == "" {
		t.Fatalf("%d, Retry-After %q: %.300s", got.Status, got.Header.Get("Retry-After"), got.Body)
	}
	if r.kind == "api" {
		got.WantProblem(t, http.StatusServiceUnavailable, "")
	} else {
		apptest.CheckPage(t, got, "de")
	}
}

// wantReady checks /readyz's status, with Retry-After on a 503.
func wantReady(t *testing.T, s *apptest.Server, status int) *apptest.Response {
	t.Helper()
	r := s.Client().Get("/readyz")
	if r.Status != status || (status == http.StatusServiceUnavailable) != (r.Header.Get("Retry-After") != "") {
		t.Errorf("/readyz: %d, Retry-After %q, want %d: %s", r.Status, r.Header.Get("Retry-After"), status, r.Body)
	}
	return r
}
