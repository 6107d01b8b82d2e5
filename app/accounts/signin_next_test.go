package accounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// "Sign in to vote" leads back to the vote form, and the header's sign-in
// and register links lead back to the page they are on; a path that
// would leave the site is not carried.
func TestSignInLinksCarryTheWayBack(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		measure := b.Get("/m/1").Text()
		for _, want := range []string{
			`<a href="/login?next=%2fm%2f1%23vote">`,
			`<a href="/login?next=%2fm%2f1">`,
			`<a href="/register?next=%2fm%2f1">`,
			`id="vote"`,
		} {
			if !strings.Contains(measure, want) {
				t.Errorf("the measure page lacks %s", want)
			}
		}
		home := b.Get("/").Text()
		if !strings.Contains(home, `<a href="/login">`) || !strings.Contains(home, `<a href="/register">`) {
			t.Error("the start page's header links carry a way back to the start page")
		}
		if evil := b.Get("//evil.example/x").Text(); strings.Contains(evil, "next=%2f%2fevil") {
			t.Error("the header carries next=//evil.example")
		}
		// On the sign-in page, the header's register link keeps the way back.
		login := b.Get("/login?next=%2Fm%2F1%23vote").Text()
		if !strings.Contains(login, `<a href="/register?next=%2fm%2f1%23vote"`) {
			t.Error("the sign-in page's header register link loses next")
		}

		s.Register("zurueck@example.org", "Zurück")
		c := s.Client()
		page := c.Get("/login?next=%2Fm%2F1%23vote")
		form := url.Values{"_csrf": {apptest.FormCSRF(t, page)}, "email": {"zurueck@example.org"}, "password": {apptest.Password}, "next": {"/m/1#vote"}}
		if r := c.Do("POST", "/login", form); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/m/1#vote" {
			t.Fatalf("sign-in with next: %d → %q, want /m/1#vote", r.Status, r.Header.Get("Location"))
		}
	})
}
