package accounts_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// behindProxy trusts the test's own address as a proxy, so each request's
// X-Forwarded-For names its client.
func behindProxy() apptest.Option {
	return func(s *apptest.Setup) { s.Config.TrustedProxies = []string{"127.0.0.1"} }
}

// from is a fresh client with its own client address.
func from(s *apptest.Server, n int) *apptest.Client {
	c := s.Client()
	c.Headers["X-Forwarded-For"] = fmt.Sprintf("203.0.113.%d", n)
	return c
}

// Ten failed sign-ins for one address within 15 minutes lock that address
// for everyone, whatever the client address, through the API and the
// form alike, but not the browser its owner signed in with before.
func TestSignInIsThrottledPerAccount(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("owner@example.org", "Owner")
		owner := from(s, 200)
		r := owner.Do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@example.org", "password": apptest.Password})
		if r.Status != 200 {
			t.Fatalf("the owner's sign-in: %d %s", r.Status, r.Body)
		}
		for _, sc := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "mitreden_device=") {
				ck, err := http.ParseSetCookie(sc)
				if err != nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || time.Until(ck.Expires) < 360*24*time.Hour {
					t.Fatalf("device cookie %q", sc)
				}
			}
		}
		if owner.Cookie("mitreden_device") == "" {
			t.Fatal("no device cookie after a successful sign-in")
		}
		if r := from(s, 201).Do("POST", "/api/v1/auth/register", map[string]any{"email": "new@example.org", "password": apptest.Password, "display_name": "New", "privacy_consent": true}); !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), "\n"), "mitreden_device=") {
			t.Fatal("no device cookie after registering")
		}

		for i := 1; i <= 10; i++ {
			c := from(s, i)
			var status int
			if i%2 == 0 {
				status = c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "Owner@Example.org", "password": fmt.Sprintf("guess-number-%d", i)}).Status
			} else {
				c.Get("/login")
				status = c.Do("POST", "/login", url.Values{"_csrf": {c.Cookie("mitreden_csrf")}, "email": {"owner@example.org"}, "password": {fmt.Sprintf("guess-number-%d", i)}}).Status
			}
			if status != 401 {
				t.Fatalf("failed sign-in %d: %d", i, status)
			}
		}
		// The right password from a new address: the account is locked.
		r = from(s, 11).Do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@example.org", "password": apptest.Password})
		if r.Status != 429 {
			t.Fatalf("11th sign-in: %d %s", r.Status, r.Body)
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 890 || secs > 900 {
			t.Fatalf("Retry-After %q, want the rest of 15 minutes", r.Header.Get("Retry-After"))
		}
		c := from(s, 12)
		c.Get("/login")
		if r := c.Do("POST", "/login", url.Values{"_csrf": {c.Cookie("mitreden_csrf")}, "email": {"owner@example.org"}, "password": {apptest.Password}}); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the form after the lock: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
		}
		// A forged or foreign device cookie does not help.
		forged := from(s, 13)
		forged.Headers["Cookie"] = "mitreden_device=" + owner.Cookie("mitreden_device") + "x"
		if r := forged.Do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@example.org", "password": apptest.Password}); r.Status != 429 {
			t.Fatalf("a forged device cookie: %d", r.Status)
		}
		s.Register("other@example.org", "Other")
		foreign := from(s, 14)
		foreign.Do("POST", "/api/v1/auth/login", map[string]string{"email": "other@example.org", "password": apptest.Password})
		if r := foreign.Do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@example.org", "password": apptest.Password}); r.Status != 429 {
			t.Fatalf("another account's device cookie: %d", r.Status)
		}
		// The owner's browser still signs in.
		if r := owner.Do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@example.org", "password": apptest.Password}); r.Status != 200 {
			t.Fatalf("the owner's browser was locked out: %d %s", r.Status, r.Body)
		}
		// Other accounts are not affected.
		if r := from(s, 15).Do("POST", "/api/v1/auth/login", map[string]string{"email": "other@example.org", "password": apptest.Password}); r.Status != 200 {
			t.Fatalf("another account: %d", r.Status)
		}
	}, apptest.WithRateLimits(), behindProxy())
}

// Addresses without an account are counted too, so the answer does not
// tell which addresses exist.
func TestUnknownAddressesAreThrottledToo(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		for i := 1; i <= 10; i++ {
			if r := from(s, i).Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "whatever-it-is"}); r.Status != 401 {
				t.Fatalf("attempt %d: %d", i, r.Status)
			}
		}
		if r := from(s, 11).Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.org", "password": "whatever-it-is"}); r.Status != 429 {
			t.Fatalf("11th attempt: %d", r.Status)
		}
	}, apptest.WithRateLimits(), behindProxy(), apptest.WithoutDemo())
}
