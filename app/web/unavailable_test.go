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

// A live socket open while the database goes away and comes back keeps
// working: the hub reconnects to the outbox (on PostgreSQL its listening
// connection was cut) and delivers the events of writes acknowledged after
// the outage, and every acknowledged vote is in the database. A socket
// that the server closed during the outage resumes with since and misses
// nothing either.
func TestLiveResumesAfterTheDatabaseIsBack(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		outage := storetest.NewOutage(db)
		s := apptest.Start(t, db, func(s *apptest.Setup) { outage.Hook(&s.Store) })
		residents := []*apptest.Client{s.Register("a@example.org", "Anna"), s.Register("b@example.org", "Bert"), s.Register("c@example.org", "Cem")}
		conn, _, err := dialLive(s, "/api/v1/live?topics=measure:1")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var seq int64
		next := func(want string) (int64, string) {
			t.Helper()
			_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
			for {
				var f struct {
					Type string
					Seq  int64
					Data struct {
						Tally struct{ For, Against, Neutral int }
					}
				}
				if err := conn.ReadJSON(&f); err != nil {
					t.Fatalf("waiting for %s: %v", want, err)
				}
				if f.Seq > seq {
					seq = f.Seq
				}
				if f.Type == want {
					return f.Seq, fmt.Sprint(f.Data.Tally)
				}
			}
		}
		next("ready")
		vote := func(c *apptest.Client, value int) int {
			return c.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": value}).Status
		}
		if st := vote(residents[0], 1); st != http.StatusOK {
			t.Fatalf("vote before the outage: %d", st)
		}
		next("vote.tally")

		outage.Begin(t)
		if st := vote(residents[1], -1); st != http.StatusServiceUnavailable {
			t.Fatalf("vote during the outage: %d, want 503", st)
		}
		outage.End(t)

		// Acknowledged after the outage: the open socket hears of it.
		deadline := time.Now().Add(15 * time.Second)
		for vote(residents[1], -1) != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("votes never worked again")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, tally := next("vote.tally"); tally != "{1 1 0}" {
			t.Errorf("the tally after the outage: %s, want for 1, against 1", tally)
		}
		// A socket resuming from the last seq it saw misses nothing.
		if st := vote(residents[2], 0); st != http.StatusOK {
			t.Fatalf("third vote: %d", st)
		}
		conn.Close()
		conn, _, err = dialLive(s, fmt.Sprintf("/api/v1/live?topics=measure:1&since=%d", seq))
		if err != nil {
			t.Fatal(err)
		}
		if _, tally := next("vote.tally"); tally != "{1 1 1}" {
			t.Errorf("the tally resumed with since: %s, want one each", tally)
		}
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 1").Scan(t.Context(), &n); err != nil || n != 3 {
			t.Fatalf("votes in the database: %d (%v), want the 3 acknowledged", n, err)
		}
	})
}
