package accounts_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"net/url"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
)

// Changing one's password ends every other session; the one in use stays.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		phone := s.Register("lea@example.org", "Lea")
		laptop := s.Login("lea@example.org", "a-good-password")
		browser := s.Browser("lea@example.org", "a-good-password")

		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"wrong current password", map[string]string{"current_password": "not-my-password", "new_password": "a-better-password"}, "current_password"},
			{"no current password", map[string]string{"new_password": "a-better-password"}, "current_password"},
			{"new password too short", map[string]string{"current_password": "a-good-password", "new_password": "short"}, "new_password"},
			{"unknown field", map[string]string{"current_password": "a-good-password", "password": "a-better-password"}, "password"},
		}
		for _, c := range cases {
			r := phone.Do("POST", "/api/v1/me/password", c.body)
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"`+c.field+`"`) {
				t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		if r := s.Client().Do("POST", "/api/v1/me/password", map[string]string{"current_password": "a-good-password", "new_password": "a-better-password"}); r.Status != 401 {
			t.Fatalf("anonymous: %d", r.Status)
		}
		if r := laptop.Get("/api/v1/me"); r.Status != 200 {
			t.Fatal("a refused change ended a session")
		}

		r := phone.Do("POST", "/api/v1/me/password", map[string]string{"current_password": "a-good-password", "new_password": "a-better-password"})
		if r.Status != http.StatusNoContent {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		if r := phone.Get("/api/v1/me"); r.Status != 200 {
			t.Fatalf("the session that changed the password ended: %d", r.Status)
		}
		for name, c := range map[string]*apptest.Client{"laptop": laptop, "browser": browser} {
			if r := c.Get("/api/v1/me"); r.Status != 401 {
				t.Fatalf("the %s session survived the change: %d", name, r.Status)
			}
		}
		if r := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "lea@example.org", "password": "a-good-password"}); r.Status != 401 {
			t.Fatalf("the old password still works: %d", r.Status)
		}
		s.Login("lea@example.org", "a-better-password")
	})
}

// The form on /me: the new password twice, errors beside the fields, and
// the browser stays signed in.
func TestChangePasswordForm(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("nour@example.org", "Nour")
		other := s.Login("nour@example.org", "a-good-password")
		b := s.Browser("nour@example.org", "a-good-password")
		b.CSRF = "" // a form sends its token as the _csrf field
		page := b.Get("/me")
		apptest.CheckPage(t, page, "de")
		for _, want := range []string{`action="/me/password"`, `autocomplete="current-password"`, "Einwilligung in die Datenschutzerklärung", `<dt>Einwilligung in die Datenschutzerklärung</dt><dd><time datetime=`} {
			if !strings.Contains(page.Text(), want) {
				t.Errorf("/me lacks %q", want)
			}
		}
		csrf := apptest.FormCSRF(t, page)
		form := func(current, next, confirm string) map[string][]string {
			return map[string][]string{"_csrf": {csrf}, "current_password": {current}, "new_password": {next}, "new_password_confirm": {confirm}}
		}
		r := b.Do("POST", "/me/password", url.Values(form("a-good-password", "a-better-password", "a-different-password")))
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-new_password_confirm"`) {
			t.Fatalf("mismatch: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		r = b.Do("POST", "/me/password", url.Values(form("wrong-password", "a-better-password", "a-better-password")))
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-current_password"`) || strings.Contains(r.Text(), "a-better-password") {
			t.Fatalf("wrong current password: %d", r.Status)
		}
		r = b.Do("POST", "/me/password", url.Values(form("a-good-password", "a-better-password", "a-better-password")))
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/me" {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		if page := b.Get("/me"); page.Status != 200 || !strings.Contains(page.Text(), "Passwort ist geändert") {
			t.Fatalf("after the change: %d", page.Status)
		}
		if r := other.Get("/api/v1/me"); r.Status != 401 {
			t.Fatal("the other session survived")
		}
	})
}

// Registering through the form records the consent, and /me shows its date.
func TestMeShowsPrivacyConsent(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		b.Get("/register")
		r := b.Do("POST", "/register", url.Values(map[string][]string{
			"_csrf": {b.Cookie("mitreden_csrf")}, "email": {"ada@example.org"}, "display_name": {"Ada"},
			"password": {"a-good-password"}, "consent": {"yes"},
		}))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("register: %d", r.Status)
		}
		page := b.Get("/me?lang=en").Text()
		if !strings.Contains(page, "<dt>Consent to the privacy notice</dt><dd><time datetime=") || !strings.Contains(page, `href="/datenschutz"`) {
			t.Fatal("/me does not show the consent date")
		}
	})
}

// The operator's way back in: mitreden user set-password, run against the
// live database, ends every session of that account.
func TestSetPasswordCommandEndsSessions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		a, b := s.Admin(), s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		db := s.App.Config.DB
		url := db.URL
		if db.Driver == config.SQLite {
			url = "sqlite://" + db.Path
		}
		var stdout, stderr bytes.Buffer
		code := cli.Main([]string{"user", "set-password", "--email", apptest.AdminEmail, "--password-stdin", "--db", url},
			cli.IO{Stdin: strings.NewReader("recovered-password\n"), Stdout: &stdout, Stderr: &stderr, Env: func(string) string { return "" }})
		if code != 0 {
			t.Fatalf("set-password: %d %s", code, stderr.String())
		}
		for _, c := range []*apptest.Client{a, b} {
			if r := c.Get("/api/v1/me"); r.Status != 401 {
				t.Fatalf("a session survived set-password: %d", r.Status)
			}
		}
		s.Login(apptest.AdminEmail, "recovered-password")
	})
}
