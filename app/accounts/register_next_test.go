package accounts_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// "Sign in to vote" → "Register" keeps the way back: the register link on
// the sign-in page carries next, the form sends it, and registering
// lands on the measure; a next that leaves the site lands on the start page.
func TestRegisterKeepsNext(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		measure := b.Get("/m/1").Text()
		signIn := html.UnescapeString(attrAfter(measure, `<p><a href="/login?next=`, `"`))
		if signIn == "" {
			t.Fatal("the measure page has no sign-in link")
		}
		login := b.Get("/login?next=" + signIn).Text()
		register := html.UnescapeString(attrAfter(login, `<a href="/register?next=`, `"`))
		next, err := url.QueryUnescape(register)
		if err != nil || next != "/m/1#vote" {
			t.Fatalf("the sign-in page's register link carries next=%q", register)
		}
		page := b.Get("/register?next=" + register).Text()
		if !strings.Contains(page, `<input type="hidden" name="next" value="`+html.EscapeString(next)+`">`) {
			t.Fatalf("the register form does not carry next %q", next)
		}
		for _, tc := range []struct{ next, want string }{
			{next, next},
			{"//evil.example/", "/"},
		} {
			c := s.Client()
			c.Get("/register")
			email := strings.NewReplacer("/", "", "#", "", ".", "")
			form := url.Values{"_csrf": {c.Cookie("mitreden_csrf")}, "email": {"n" + email.Replace(tc.next) + "@example.org"}, "display_name": {"Neu"},
				"password": {apptest.Password}, "consent": {"yes"}, "next": {tc.next}}
			r := c.Do("POST", "/register", form)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != tc.want {
				t.Fatalf("register with next=%q: %d → %q, want %q", tc.next, r.Status, r.Header.Get("Location"), tc.want)
			}
		}
	})
}

func attrAfter(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
