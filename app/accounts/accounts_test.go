package accounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

func TestRegisterSignInSignOut(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		anon := s.Client()
		r := anon.Do("POST", "/api/v1/auth/register", map[string]any{"privacy_consent": true,
			"email": "  Amira@Example.org ", "password": "correct horse battery", "display_name": "Amira", "locale": "en",
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var reg struct {
			User      map[string]any `json:"user"`
			Token     string         `json:"token"`
			CSRFToken string         `json:"csrf_token"`
		}
		r.JSON(t, &reg)
		if reg.User["display_name"] != "Amira" || reg.User["role"] != "resident" || len(reg.Token) < 40 || reg.CSRFToken == "" {
			t.Fatalf("register answer %s", r.Body)
		}
		if anon.Cookie("mitreden_session") != reg.Token {
			t.Error("register did not set the session cookie")
		}

		me := s.Login("amira@example.org", "correct horse battery")
		r = me.Get("/api/v1/me")
		m := r.Map(t)
		if r.Status != 200 || m["email"] != "amira@example.org" || m["display_name"] != "Amira" || m["role"] != "resident" || m["locale"] != "en" {
			t.Fatalf("/me: %d %s", r.Status, r.Body)
		}
		if groups, ok := m["groups"].([]any); !ok || len(groups) != 0 {
			t.Fatalf("/me groups: %s", r.Body)
		}

		// Each sign-in is a new session; the earlier one still works until it signs out.
		second := s.Login("amira@example.org", "correct horse battery")
		if second.Token == me.Token {
			t.Fatal("a sign-in reused a session token")
		}
		if r := me.Do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		if r := me.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("token works after logout: %d", r.Status)
		}
		if r := second.Get("/api/v1/me"); r.Status != http.StatusOK {
			t.Fatalf("the other session ended too: %d", r.Status)
		}
	})
}

func TestSignInReplacesTheCookieSession(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("lea@example.org", "Lea")
		browser := s.Browser("lea@example.org", "a-good-password")
		old := browser.Cookie("mitreden_session")
		r := browser.Do("POST", "/api/v1/auth/login", map[string]string{"email": "lea@example.org", "password": "a-good-password"})
		if r.Status != 200 {
			t.Fatalf("second login: %d %s", r.Status, r.Body)
		}
		fresh := browser.Cookie("mitreden_session")
		if fresh == old || fresh == "" {
			t.Fatal("the session token was not rotated")
		}
		stale := s.Client()
		stale.Token = old
		if r := stale.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("the replaced session still works: %d", r.Status)
		}
	})
}

func TestAccountRefusals(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("taken@example.org", "Taken")
		cases := []struct {
			name   string
			path   string
			body   any
			status int
			field  string
		}{
			{"duplicate email, other case", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "TAKEN@example.org", "password": "a-good-password", "display_name": "X y"}, 409, ""},
			{"short password", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "a@example.org", "password": "short", "display_name": "Ab"}, 422, "password"},
			{"bad email", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "not an email", "password": "a-good-password", "display_name": "Ab"}, 422, "email"},
			{"missing name", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "b@example.org", "password": "a-good-password"}, 422, "display_name"},
			{"unsupported locale", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "c@example.org", "password": "a-good-password", "display_name": "Cc", "locale": "xx"}, 422, "locale"},
			{"unknown field", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "d@example.org", "password": "a-good-password", "display_name": "Dd", "role": "admin"}, 422, "role"},
			{"wrong type", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": 5, "password": "a-good-password", "display_name": "Ee"}, 422, "email"},
			{"nul in name", "/api/v1/auth/register", map[string]any{"privacy_consent": true, "email": "f@example.org", "password": "a-good-password", "display_name": "F\x00f"}, 422, "display_name"},
			{"not json", "/api/v1/auth/register", apptest.Raw{ContentType: "text/plain", Body: []byte(`{"email":"g@example.org"}`)}, 415, ""},
			{"malformed", "/api/v1/auth/register", apptest.Raw{ContentType: "application/json", Body: []byte(`{"email":`)}, 400, ""},
			{"invalid utf-8", "/api/v1/auth/register", apptest.Raw{ContentType: "application/json", Body: []byte("{\"email\":\"h@example.org\",\"password\":\"a-good-password\",\"display_name\":\"H\xffh\"}")}, 422, "display_name"},
			{"wrong password", "/api/v1/auth/login", map[string]string{"email": "taken@example.org", "password": "wrong-password"}, 401, ""},
			{"unknown email", "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "wrong-password"}, 401, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.Client().Do("POST", c.path, c.body)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				p := r.Map(t)
				if p["status"] != float64(c.status) || p["title"] == "" || p["detail"] == "" {
					t.Fatalf("problem %s", r.Body)
				}
				if c.field != "" {
					errs, _ := p["errors"].([]any)
					if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
						t.Fatalf("errors %s, want field %s", r.Body, c.field)
					}
				}
			})
		}
		// Wrong password and unknown e-mail get the same answer.
		a := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "taken@example.org", "password": "wrong-password"})
		b := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "wrong-password"})
		if a.Text() != b.Text() {
			t.Fatalf("login answers differ: %s vs %s", a.Body, b.Body)
		}
		// Nothing was stored by the refused registrations.
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM users").Scan(t.Context(), &n); err != nil || n != 2 {
			t.Fatalf("users after refusals: %d (%v), want the admin and taken@", n, err)
		}
		if r := s.Client().Get("/api/v1/me"); r.Status != 401 {
			t.Fatalf("anonymous /me: %d", r.Status)
		}
		bad := s.Client()
		bad.Token = "not-a-token"
		if r := bad.Get("/api/v1/consultations"); r.Status != 401 {
			t.Fatalf("a bad Bearer token: %d", r.Status)
		}
	})
}

// A cookie-authenticated write needs the session's CSRF token; a Bearer
// write needs none.
func TestCSRF(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		body := map[string]any{"title": map[string]string{"de": "Geänderter Titel"}}
		token := browser.CSRF
		browser.CSRF = ""
		if r := browser.Do("PATCH", "/api/v1/consultations/wir2", body); r.Status != http.StatusForbidden {
			t.Fatalf("cookie write without CSRF token: %d %s", r.Status, r.Body)
		}
		browser.CSRF = "wrong"
		if r := browser.Do("PATCH", "/api/v1/consultations/wir2", body); r.Status != http.StatusForbidden {
			t.Fatalf("cookie write with a wrong CSRF token: %d", r.Status)
		}
		browser.CSRF = token
		if r := browser.Do("PATCH", "/api/v1/consultations/wir2", body); r.Status != http.StatusOK {
			t.Fatalf("cookie write with the CSRF token: %d %s", r.Status, r.Body)
		}
		if r := s.Admin().Do("PATCH", "/api/v1/consultations/wir2", body); r.Status != http.StatusOK {
			t.Fatalf("bearer write: %d %s", r.Status, r.Body)
		}
		// An HTML form post without its _csrf field is refused too.
		browser.CSRF = ""
		if r := browser.Do("POST", "/logout", url.Values{}); r.Status != http.StatusForbidden {
			t.Fatalf("form post without _csrf: %d", r.Status)
		}
	})
}

func TestAuthRateLimit(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		var last *apptest.Response
		for i := 0; i < 11; i++ {
			last = c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "x@example.org", "password": "wrong-password"})
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("11th login in a minute: %d", last.Status)
		}
		if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("Retry-After %q", ra)
		}
		// The form route shares the allowance.
		c.Get("/login")
		form := url.Values{"_csrf": {c.Cookie("mitreden_csrf")}, "email": {"x@example.org"}, "password": {"wrong-password"}}
		if r := c.Do("POST", "/login", form); r.Status != http.StatusTooManyRequests {
			t.Fatalf("form login after the limit: %d", r.Status)
		}
	}, apptest.WithRateLimits())
}

func TestSignInAndRegisterForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		r := b.Get("/register")
		if r.Status != 200 || !strings.Contains(r.Text(), `name="_csrf"`) || !strings.Contains(r.Text(), `href="/datenschutz"`) {
			t.Fatalf("register page: %d", r.Status)
		}
		csrf := b.Cookie("mitreden_csrf")
		if csrf == "" || !strings.Contains(r.Text(), `value="`+csrf+`"`) {
			t.Fatal("the form carries no CSRF token")
		}
		// Without consent: the form comes back with the error linked to the checkbox.
		r = b.Do("POST", "/register", url.Values{"_csrf": {csrf}, "email": {"nour@example.org"}, "display_name": {"Nour"}, "password": {"a-good-password"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-consent"`) || !strings.Contains(r.Text(), `value="nour@example.org"`) {
			t.Fatalf("register without consent: %d %s", r.Status, r.Body)
		}
		if strings.Contains(r.Text(), "a-good-password") {
			t.Fatal("the password was echoed back into the form")
		}
		r = b.Do("POST", "/register", url.Values{"_csrf": {csrf}, "email": {"nour@example.org"}, "display_name": {"Nour"}, "password": {"a-good-password"}, "consent": {"yes"}})
		if r.Status != http.StatusSeeOther || b.Cookie("mitreden_session") == "" {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var consent int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM users WHERE email = 'nour@example.org' AND privacy_consent_at IS NOT NULL").Scan(t.Context(), &consent); err != nil || consent != 1 {
			t.Fatalf("consent not stored: %d %v", consent, err)
		}
		r = b.Get("/me")
		if r.Status != 200 || !strings.Contains(r.Text(), "nour@example.org") {
			t.Fatalf("/me after registering: %d", r.Status)
		}
		if !strings.Contains(r.Text(), "Willkommen") {
			t.Error("no welcome message after registering")
		}

		// Sign out through the form, then in again with a wrong and a right password.
		page := b.Get("/me").Text()
		session := b.Cookie("mitreden_session")
		formCSRF := between(page, `name="_csrf" value="`, `"`)
		if r := b.Do("POST", "/logout", url.Values{"_csrf": {formCSRF}}); r.Status != http.StatusSeeOther {
			t.Fatalf("logout form: %d %s", r.Status, r.Body)
		}
		stale := s.Client()
		stale.Token = session
		if r := stale.Get("/api/v1/me"); r.Status != 401 {
			t.Fatal("the session survived signing out")
		}
		if r := b.Get("/me"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
			t.Fatalf("/me signed out: %d %s", r.Status, r.Header.Get("Location"))
		}
		b.Get("/login")
		csrf = b.Cookie("mitreden_csrf")
		r = b.Do("POST", "/login", url.Values{"_csrf": {csrf}, "email": {"nour@example.org"}, "password": {"wrong-password"}})
		if r.Status != 401 || !strings.Contains(r.Text(), `role="alert"`) {
			t.Fatalf("wrong password form: %d", r.Status)
		}
		r = b.Do("POST", "/login", url.Values{"_csrf": {csrf}, "email": {"nour@example.org"}, "password": {"a-good-password"}, "next": {"/c/wir2"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/c/wir2" {
			t.Fatalf("login form: %d %s", r.Status, r.Header.Get("Location"))
		}
		// next never leads off the site.
		other := s.Client()
		other.Get("/login")
		r = other.Do("POST", "/login", url.Values{"_csrf": {other.Cookie("mitreden_csrf")}, "email": {"nour@example.org"}, "password": {"a-good-password"}, "next": {"//evil.example"}})
		if r.Header.Get("Location") != "/" {
			t.Fatalf("open redirect to %q", r.Header.Get("Location"))
		}
	})
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

// An answer that hands out a session token is never kept by a cache,
// although the request that asks for it is not signed in yet.
func TestSessionAnswersAreNotCached(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		reg := s.Client().Do("POST", "/api/v1/auth/register", map[string]any{"email": "ada@example.org", "password": apptest.Password, "display_name": "Ada", "privacy_consent": true})
		login := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.org", "password": apptest.Password})
		for name, r := range map[string]*apptest.Response{"register": reg, "login": login} {
			if r.Status/100 != 2 || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d, Cache-Control %q; want 2xx and no-store", name, r.Status, r.Header.Get("Cache-Control"))
			}
		}
	})
}
