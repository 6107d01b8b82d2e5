package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// setCookie finds the Set-Cookie header of a cookie by name.
func setCookie(r *apptest.Response, name string) string {
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	return ""
}

// hostCookie checks what browsers demand of a __Host- cookie.
func hostCookie(t *testing.T, header string) {
	t.Helper()
	lower := strings.ToLower(header)
	if !strings.Contains(lower, "; secure") || !strings.Contains(lower, "; path=/") || strings.Contains(lower, "domain=") {
		t.Errorf("not a valid __Host- cookie: %s", header)
	}
}

// With MITREDEN_PUBLIC_URL on https, the session and form cookies are
// Secure __Host- cookies and every answer carries HSTS, though the
// request (from the TLS proxy) came over plain HTTP.
func TestBehindTLS(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithPublicURL("https://mitreden.example"))
	anon := s.Client()
	for _, r := range []*apptest.Response{
		anon.Get("/"),
		anon.Get("/api/v1/consultations"),
		anon.Get("/no/such/page"),
		anon.Get("/static/css/site.css"),
		anon.Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: make([]byte, 2<<20)}),
	} {
		if got := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("answer %d without HSTS", r.Status)
		}
	}

	page := s.Client().Get("/login")
	form := setCookie(page, "__Host-mitreden_csrf")
	if form == "" {
		t.Fatalf("no __Host-mitreden_csrf cookie: %v", page.Header.Values("Set-Cookie"))
	}
	hostCookie(t, form)

	r := anon.Do("POST", "/api/v1/auth/login", map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword})
	session := setCookie(r, "__Host-mitreden_session")
	if r.Status != http.StatusOK || session == "" || setCookie(r, "mitreden_session") != "" {
		t.Fatalf("sign-in: %d %v", r.Status, r.Header.Values("Set-Cookie"))
	}
	hostCookie(t, session)
	token, _, _ := strings.Cut(strings.TrimPrefix(session, "__Host-mitreden_session="), ";")

	browser := s.Client()
	browser.Headers["Cookie"] = "__Host-mitreden_session=" + token
	browser.CSRF, _ = r.Map(t)["csrf_token"].(string)
	if r := browser.Get("/api/v1/me"); r.Status != http.StatusOK {
		t.Fatalf("the __Host- session cookie does not sign in: %d", r.Status)
	}
	// The name without the prefix is any cookie a sibling domain or a
	// plain-HTTP answer could have set: it is not a session here.
	plain := s.Client()
	plain.Headers["Cookie"] = "mitreden_session=" + token
	if r := plain.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
		t.Fatalf("the unprefixed cookie signs in: %d", r.Status)
	}
	out := browser.Do("POST", "/api/v1/auth/logout", nil)
	if c := setCookie(out, "__Host-mitreden_session"); !strings.Contains(strings.ToLower(c), "max-age=0") && !strings.Contains(c, "expires=Thu, 01 Jan 1970") {
		t.Errorf("sign-out does not clear the __Host- cookie: %v", out.Header.Values("Set-Cookie"))
	}
}

// Without MITREDEN_PUBLIC_URL on https the cookies keep their names, are
// Secure only when the request came over TLS (X-Forwarded-Proto from an
// untrusted peer does not count), and no HSTS is sent over plain HTTP.
func TestWithoutTLS(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	c := s.Client()
	c.Headers["X-Forwarded-Proto"] = "https"
	r := c.Get("/login")
	form := setCookie(r, "mitreden_csrf")
	if form == "" || strings.Contains(strings.ToLower(form), "secure") {
		t.Fatalf("form cookie: %q", form)
	}
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS over plain HTTP")
	}
	r = c.Do("POST", "/api/v1/auth/login", map[string]string{"email": apptest.AdminEmail, "password": apptest.AdminPassword})
	if session := setCookie(r, "mitreden_session"); session == "" || strings.Contains(strings.ToLower(session), "secure") {
		t.Fatalf("session cookie: %q", session)
	}
}
