package accounts_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
)

// eventLines are the log's security events named event, each with a
// space at its end, so that "user=2 " matches the last attribute too.
func eventLines(log string, event string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		line += " "
		if strings.Contains(line, "msg=security") && strings.Contains(line, "event="+event+" ") {
			out = append(out, line)
		}
	}
	return out
}

// Sign-ins, failures, sign-outs, password changes, refused CSRF tokens and
// rate limits are logged as security events, with the account where
// known, and never with a password.
func TestSignInSecurityEvents(t *testing.T) {
	t.Parallel()
	log := &apptest.LogBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		start := len(log.String())
		lea := s.Register("lea@example.org", "Lea")
		id := fmt.Sprintf("user=%d ", lea.UserID)

		s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "lea@example.org", "password": "not-leas-password"})
		s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "nobodys-password"})
		b := s.Client()
		b.Get("/login")
		b.Do("POST", "/login", url.Values{"_csrf": {b.Cookie("mitreden_csrf")}, "email": {"lea@example.org"}, "password": {"a-form-guess-1"}})
		api := s.Login("lea@example.org", apptest.Password)
		api.Do("POST", "/api/v1/me/password", map[string]string{"current_password": apptest.Password, "new_password": "a-better-password"})
		api.Do("POST", "/api/v1/auth/logout", nil)

		browser := s.Browser("lea@example.org", "a-better-password")
		browser.CSRF = ""
		browser.Do("POST", "/api/v1/me/password", map[string]string{"current_password": "a-better-password", "new_password": "csrf-less-password"})
		page := browser.Get("/me")
		csrf := apptest.FormCSRF(t, page)
		browser.Do("POST", "/me/password", url.Values{"_csrf": {csrf}, "current_password": {"a-better-password"}, "new_password": {"the-form-password"}, "new_password_confirm": {"the-form-password"}})
		browser.Do("POST", "/logout", url.Values{"_csrf": {csrf}})

		db := s.App.Config.DB
		dbURL := db.URL
		if db.Driver == config.SQLite {
			dbURL = "sqlite://" + db.Path
		}
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"user", "set-password", "--email", "lea@example.org", "--password-stdin", "--db", dbURL},
			cli.IO{Stdin: strings.NewReader("the-cli-password\n"), Stdout: &stdout, Stderr: &stderr, Env: func(string) string { return "" }}); code != 0 {
			t.Fatalf("set-password: %d %s", code, stderr.String())
		}

		got := log.String()[start:]
		want := []struct {
			event, has string
			n          int
		}{
			{"auth.login", id, 2},
			{"auth.login_failed", id, 2}, // the API and the form
			{"auth.logout", id, 2},
			{"auth.password_changed", id, 2},
			{"csrf.refused", id, 1},
		}
		for _, w := range want {
			lines := eventLines(got, w.event)
			n := 0
			for _, l := range lines {
				if strings.Contains(l, w.has) && strings.Contains(l, "ip=") {
					n++
				}
			}
			if n != w.n {
				t.Errorf("%d %s lines with %q, want %d:\n%s", n, w.event, w.has, w.n, strings.Join(lines, "\n"))
			}
		}
		failed := eventLines(got, "auth.login_failed")
		anonymous := 0
		for _, l := range failed {
			if !strings.Contains(l, "user=") {
				anonymous++
			}
		}
		if len(failed) != 3 || anonymous != 1 {
			t.Errorf("want 3 auth.login_failed lines, one without an account (the unknown address):\n%s", strings.Join(failed, "\n"))
		}
		if lines := eventLines(stderr.String(), "auth.password_changed"); len(lines) != 1 || !strings.Contains(lines[0], id) {
			t.Errorf("set-password logged no auth.password_changed for the account: %q", stderr.String())
		}
		for _, secret := range []string{"not-leas-password", "nobodys-password", "a-form-guess-1", apptest.Password, "a-better-password", "csrf-less-password", "the-form-password", "the-cli-password", "nobody@example.org"} {
			if strings.Contains(got, secret) || strings.Contains(stderr.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	}, apptest.WithLog(log))
}

// Hitting a sign-in or registration limit is a security event.
func TestRateLimitEvents(t *testing.T) {
	t.Parallel()
	log := &apptest.LogBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		start := len(log.String())
		for i := 0; i < 11; i++ {
			s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": fmt.Sprintf("p%d@example.org", i), "password": "wrong-password-1"})
		}
		for i := 0; i < 6; i++ {
			s.Client().Do("POST", "/api/v1/auth/register", map[string]any{"email": fmt.Sprintf("r%d@example.org", i), "password": apptest.Password, "display_name": "R", "privacy_consent": true})
		}
		got := log.String()[start:]
		if lines := eventLines(got, "auth.rate_limited"); len(lines) != 2 || !strings.Contains(lines[0], "ip=127.0.0.1") {
			t.Errorf("rate limit events:\n%s", strings.Join(lines, "\n"))
		}
	}, apptest.WithLog(log), apptest.WithRateLimits(), apptest.WithoutDemo())
}
