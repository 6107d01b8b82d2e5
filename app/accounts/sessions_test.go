package accounts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

const phoneAgent = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"

// signInFrom signs in through the API with a User-Agent and answers a
// Bearer client.
func signInFrom(t *testing.T, s *apptest.Server, email, agent string) *apptest.Client {
	t.Helper()
	c := s.Client()
	c.Headers["User-Agent"] = agent
	r := c.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "a-good-password"})
	var a struct {
		User  struct{ ID int64 } `json:"user"`
		Token string             `json:"token"`
	}
	r.JSON(t, &a)
	if r.Status != http.StatusOK || a.Token == "" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	c.Token, c.UserID = a.Token, a.User.ID
	return c
}

type sessionItem struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

type sessionList struct {
	Items []sessionItem `json:"items"`
	Next  *string       `json:"next_cursor"`
}

func sessionsOf(t *testing.T, c *apptest.Client, query string) sessionList {
	t.Helper()
	r := c.Get("/api/v1/me/sessions" + query)
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sessions: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	var l sessionList
	r.JSON(t, &l)
	return l
}

func currentSession(t *testing.T, c *apptest.Client) int64 {
	t.Helper()
	for _, it := range sessionsOf(t, c, "").Items {
		if it.Current {
			return it.ID
		}
	}
	t.Fatal("no current session")
	return 0
}

func TestSessionsListAndEnd(t *testing.T) {
	t.Parallel()
	log := &syncBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		laptop := s.Register("lea@example.org", "Lea")
		clk.Add(time.Minute)
		phone := signInFrom(t, s, "lea@example.org", phoneAgent)
		clk.Add(time.Minute)
		tablet := signInFrom(t, s, "lea@example.org", "Tablet\u00a0App/1.0")

		l := sessionsOf(t, laptop, "")
		if len(l.Items) != 3 || l.Next != nil {
			t.Fatalf("sessions: %+v", l)
		}
		if l.Items[0].UserAgent != "Tablet\u00a0App/1.0" || l.Items[1].UserAgent != phoneAgent || !l.Items[2].Current || l.Items[0].Current || l.Items[1].Current {
			t.Fatalf("sessions, newest first, this one marked: %+v", l.Items)
		}
		if !l.Items[1].CreatedAt.Equal(clk.Now().Add(-time.Minute)) || !l.Items[1].LastSeenAt.Equal(l.Items[1].CreatedAt) {
			t.Fatalf("times: %+v", l.Items[1])
		}
		page := sessionsOf(t, laptop, "?limit=2")
		if len(page.Items) != 2 || page.Next == nil {
			t.Fatalf("first page: %+v", page)
		}
		if rest := sessionsOf(t, laptop, "?limit=2&cursor="+url.QueryEscape(*page.Next)); len(rest.Items) != 1 || rest.Next != nil || !rest.Items[0].Current {
			t.Fatalf("second page: %+v", rest)
		}

		// Ending one of one's own sessions; another person's is not found.
		phoneID := l.Items[1].ID
		if r := laptop.Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", phoneID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("end a session: %d %s", r.Status, r.Body)
		}
		if r := phone.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("the ended session still works: %d", r.Status)
		}
		other := s.Register("ben@example.org", "Ben")
		otherID := currentSession(t, other)
		laptop.Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", otherID), nil).WantProblem(t, 404, "")
		laptop.Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", phoneID), nil).WantProblem(t, 404, "")
		laptop.Do(http.MethodDelete, "/api/v1/me/sessions/abc", nil).WantProblem(t, 404, "")
		if r := other.Get("/api/v1/me"); r.Status != http.StatusOK {
			t.Fatalf("another person's session ended: %d", r.Status)
		}
		s.Client().Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", otherID), nil).WantProblem(t, 401, "")

		// An administrator ends all of an account's sessions.
		path := fmt.Sprintf("/api/v1/users/%d/sessions", laptop.UserID)
		if r := other.Do(http.MethodDelete, path, nil); r.Status != http.StatusForbidden {
			t.Fatalf("a resident ends someone's sessions: %d", r.Status)
		}
		admin := s.Admin()
		admin.Do(http.MethodDelete, "/api/v1/users/999999/sessions", nil).WantProblem(t, 404, "")
		if r := admin.Do(http.MethodDelete, path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("admin ends sessions: %d %s", r.Status, r.Body)
		}
		for _, c := range []*apptest.Client{laptop, tablet} {
			if r := c.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
				t.Fatalf("a session survived: %d", r.Status)
			}
		}
		var audited int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action = 'user.end_sessions'").Scan(t.Context(), &audited); err != nil || audited != 1 {
			t.Fatalf("audit: %d %v", audited, err)
		}

		// Ending the session in use is signing out.
		again := signInFrom(t, s, "lea@example.org", "x")
		if r := again.Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", currentSession(t, again)), nil); r.Status != http.StatusNoContent {
			t.Fatalf("end the current session: %d", r.Status)
		}
		if r := again.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
			t.Fatal("the current session survived")
		}
		out := log.String()
		for _, want := range []string{
			fmt.Sprintf("event=session.revoked user=%d session=%d ip=", laptop.UserID, phoneID),
			fmt.Sprintf("event=session.revoked user=%d actor=%d sessions=2 ip=", laptop.UserID, admin.UserID),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q", want)
			}
		}
	}, apptest.WithLog(log))
}

// A session ends 14 days after its last use and 30 days after sign-in at
// the latest, also when it was read from the cache before.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		clk := setClock(s)
		used := s.Register("used@example.org", "Used")
		idle := s.Register("idle@example.org", "Idle")
		for range 2 {
			for _, c := range []*apptest.Client{used, idle} {
				if v, err := s.App.Accounts.Authenticate(ctx, c.Token); err != nil || v == nil {
					t.Fatalf("before: %v %v", v, err)
				}
			}
		}
		status := func(c *apptest.Client) int { return c.Get("/api/v1/me").Status }
		clk.Add(13 * 24 * time.Hour)
		if status(used) != 200 {
			t.Fatal("a session ended after 13 days")
		}
		clk.Add(24*time.Hour + time.Second)
		if status(idle) != http.StatusUnauthorized {
			t.Fatal("a session unused for 14 days still works")
		}
		// Used every 13 days, it lasts until 30 days after sign-in.
		clk.Add(12 * 24 * time.Hour)
		if status(used) != 200 {
			t.Fatal("a session in use ended before 30 days")
		}
		clk.Add(4*24*time.Hour + time.Hour)
		if status(used) != http.StatusUnauthorized {
			t.Fatal("a session outlived 30 days")
		}
	})
}

// last_seen_at is written at most every 10 minutes.
func TestLastSeenIsWrittenAtMostEvery10Minutes(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		clk := setClock(s)
		start := clk.Now()
		lea := s.Register("lea@example.org", "Lea")
		id := currentSession(t, lea)
		lastSeen := func() time.Time {
			t.Helper()
			var at time.Time
			if err := s.App.Store.DB.NewRaw("SELECT last_seen_at FROM sessions WHERE id = ?", id).Scan(ctx, &at); err != nil {
				t.Fatal(err)
			}
			return at
		}
		clk.Add(9 * time.Minute)
		lea.Get("/api/v1/me")
		if got := lastSeen(); !got.Equal(start) {
			t.Fatalf("last_seen_at written after 9 minutes: %v, want %v", got, start)
		}
		clk.Add(2 * time.Minute)
		lea.Get("/api/v1/me")
		if got := lastSeen(); !got.Equal(start.Add(11 * time.Minute)) {
			t.Fatalf("last_seen_at after 11 minutes: %v", got)
		}
		clk.Add(5 * time.Minute)
		lea.Get("/api/v1/me")
		if got := lastSeen(); !got.Equal(start.Add(11 * time.Minute)) {
			t.Fatalf("last_seen_at written again after 5 minutes: %v", got)
		}
	})
}

// Ended sessions, expired challenges and setups nobody finished are deleted.
func TestPruneSessions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		clk := setClock(s)
		db := s.App.Store.DB
		exec := func(q string, args ...any) {
			t.Helper()
			if err := s.App.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.NewRaw(q, args...).Exec(ctx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		fresh := s.Register("fresh@example.org", "Fresh")
		idle := signInFrom(t, s, "fresh@example.org", "idle")
		old := signInFrom(t, s, "fresh@example.org", "old")
		exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", clk.Now().Add(-15*24*time.Hour), currentSession(t, idle))
		exec("UPDATE sessions SET expires_at = ? WHERE id = ?", clk.Now().Add(-time.Second), currentSession(t, old))
		// A challenge that expires, a setup left for days, and one confirmed long ago.
		withTwoFactor := s.Register("two@example.org", "Two")
		enableTwoFactor(t, withTwoFactor, clk.Now())
		challenge(t, s, "two@example.org")
		pending := s.Register("pending@example.org", "Pending")
		pending.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"})
		exec("UPDATE two_factor_keys SET created_at = ?", clk.Now().Add(-48*time.Hour))
		clk.Add(6 * time.Minute)
		// Ended sessions are not listed even before they are deleted.
		if l := sessionsOf(t, fresh, ""); len(l.Items) != 1 || !l.Items[0].Current {
			t.Fatalf("sessions listed: %+v", l.Items)
		}
		if ran, err := s.App.Prune(ctx); err != nil || !ran {
			t.Fatal(ran, err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.NewRaw(q, args...).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", fresh.UserID); n != 1 {
			t.Fatalf("sessions left: %d, want the fresh one", n)
		}
		if fresh.Get("/api/v1/me").Status != 200 {
			t.Fatal("pruning ended a running session")
		}
		if n := count("SELECT COUNT(*) FROM login_challenges"); n != 0 {
			t.Fatalf("expired challenges left: %d", n)
		}
		if n := count("SELECT COUNT(*) FROM two_factor_keys WHERE user_id = ?", pending.UserID); n != 0 {
			t.Fatal("an old unfinished setup was kept")
		}
		if n := count("SELECT COUNT(*) FROM two_factor_keys WHERE user_id = ?", withTwoFactor.UserID); n != 1 {
			t.Fatal("pruning removed a second factor in use")
		}
	})
}
