package accounts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail/mailtest"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Resetting a password in a real browser, from the sign-in page through
// the mail to signing in again: every page of the way passes axe-core's
// WCAG 2.1 AA rules in German and Arabic.
func TestPasswordResetInTheBrowser(t *testing.T) {
	t.Parallel()
	smtpd := mailtest.Start(t)
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithSMTP(smtpd.URL()))
	axe := browsertest.AxeScript(t)
	check := func(tab *browsertest.Tab, what string) {
		t.Helper()
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s: %s", what, v)
		}
	}
	s.Register("rosa@example.org", "Rosa")
	password := apptest.Password
	for i, lang := range []string{"de", "ar"} {
		tab := browsertest.Start(t, s.URL).Tab()
		tab.Open("/login?lang=" + lang)
		if status := tab.Follow(`a[href="/password-reset"]`); status != 200 {
			t.Fatalf("%s: the reset page: %d", lang, status)
		}
		check(tab, lang+" /password-reset")
		tab.Fill(`[name="email"]`, "rosa at example")
		if status := tab.Follow(`form[action="/password-reset"] button[type="submit"]`); status != 422 {
			t.Fatalf("%s: a bad address: %d", lang, status)
		}
		check(tab, lang+" /password-reset with a bad address")
		tab.Fill(`[name="email"]`, "rosa@example.org")
		if status := tab.Follow(`form[action="/password-reset"] button[type="submit"]`); status != 200 {
			t.Fatalf("%s: sending: %d", lang, status)
		}
		check(tab, lang+" /password-reset sent")

		m := smtpd.Wait(t, 2*i+1, 10*time.Second)[2*i]
		link := m.Link("/password-reset?token=")
		if status := tab.Open(strings.TrimPrefix(link, s.URL)); status != 200 {
			t.Fatalf("%s: the link: %d", lang, status)
		}
		check(tab, lang+" the new-password form")
		next := "river-stone-lantern-" + lang
		tab.Fill(`[name="new_password"]`, next)
		tab.Fill(`[name="new_password_confirm"]`, next+"x")
		if status := tab.Follow(`form[action="/password-reset/confirm"] button[type="submit"]`); status != 422 {
			t.Fatalf("%s: passwords that differ: %d", lang, status)
		}
		check(tab, lang+" the new-password form with an error")
		tab.Fill(`[name="new_password"]`, next)
		tab.Fill(`[name="new_password_confirm"]`, next)
		if status := tab.Follow(`form[action="/password-reset/confirm"] button[type="submit"]`); status != 200 || !strings.HasSuffix(tab.Location(), "/login") {
			t.Fatalf("%s: saving: %d at %s", lang, status, tab.Location())
		}
		check(tab, lang+" the sign-in page after the reset")
		tab.Fill(`[name="email"]`, "rosa@example.org")
		tab.Fill(`[name="password"]`, next)
		if status := tab.Follow(`form[action="/login"] button[type="submit"]`); status != 200 || strings.HasSuffix(tab.Location(), "/login") {
			t.Fatalf("%s: signing in with the new password: %d at %s", lang, status, tab.Location())
		}
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "422") { // the forms sent back with errors
				t.Errorf("%s: the browser logged %q", lang, e)
			}
		}
		smtpd.Wait(t, 2*i+2, 10*time.Second) // the password-changed mail
		password = next
	}
	s.Login("rosa@example.org", password)
}
