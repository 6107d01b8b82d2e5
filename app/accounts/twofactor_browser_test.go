package accounts_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Two-step sign-in in a real browser: every state of its pages (setup
// with the QR code, a wrong code, the recovery codes, turning it off, the
// sign-in's second step, the administration's account page) passes
// axe-core's WCAG 2.1 AA rules in German and Arabic.
func TestTwoFactorInTheBrowser(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	axe := browsertest.AxeScript(t)
	clk := setClock(s)
	lea := s.Register("lea@example.org", "Lea")
	s.Login("lea@example.org", "a-good-password") // a second session for the list

	check := func(tab *browsertest.Tab, what string) {
		t.Helper()
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s: %s", what, v)
		}
	}
	signIn := func(tab *browsertest.Tab, lang string) {
		t.Helper()
		tab.Open("/login?lang=" + lang)
		tab.Fill(`[name="email"]`, "lea@example.org")
		tab.Fill(`[name="password"]`, "a-good-password")
		tab.Follow(`form[action="/login"] button[type="submit"]`)
	}

	for _, lang := range []string{"de", "ar"} {
		tab := browsertest.Start(t, s.URL).Tab()
		signIn(tab, lang)
		tab.Open("/me?lang=" + lang)
		check(tab, lang+" /me")

		tab.Fill(`#field-twofa_password`, "wrong-password")
		if status := tab.Follow(`form[action="/me/2fa"] button[type="submit"]`); status != 422 {
			t.Fatalf("%s: wrong password: %d", lang, status)
		}
		check(tab, lang+" /me with a wrong password")
		tab.Fill(`#field-twofa_password`, "a-good-password")
		tab.Follow(`form[action="/me/2fa"] button[type="submit"]`)
		secret := strings.ReplaceAll(tab.Text(".secret"), " ", "")
		if secret == "" {
			t.Fatalf("%s: no secret shown", lang)
		}
		check(tab, lang+" /me with the QR code")
		tab.Fill(`#field-twofa_code`, wrongCode(t, secret, clk.Now()))
		tab.Follow(`form[action="/me/2fa/confirm"] button[type="submit"]`)
		check(tab, lang+" /me with a wrong code")
		tab.Fill(`#field-twofa_code`, code(t, secret, clk.Now()))
		tab.Follow(`form[action="/me/2fa/confirm"] button[type="submit"]`)
		codes := strings.Fields(tab.Text(".recovery-codes"))
		if len(codes) != 10 {
			t.Fatalf("%s: recovery codes %q", lang, codes)
		}
		check(tab, lang+" /me with the recovery codes")
		tab.Open("/me?lang=" + lang)
		check(tab, lang+" /me with 2fa on")

		admin := browsertest.Start(t, s.URL).Tab()
		admin.Open("/login?lang=" + lang)
		admin.Fill(`[name="email"]`, apptest.AdminEmail)
		admin.Fill(`[name="password"]`, apptest.AdminPassword)
		admin.Follow(`form[action="/login"] button[type="submit"]`)
		admin.Open(fmt.Sprintf("/admin/users/%d?lang=%s", lea.UserID, lang))
		check(admin, lang+" the account page with 2fa on")

		other := browsertest.Start(t, s.URL).Tab()
		signIn(other, lang)
		if other.Location() != "/login" || other.Value(`[name="challenge"]`) == "" {
			t.Fatalf("%s: no second step, at %s", lang, other.Location())
		}
		check(other, lang+" the sign-in's second step")
		clk.Add(30 * time.Second)
		other.Fill(`#field-code`, wrongCode(t, secret, clk.Now()))
		if status := other.Follow(`form[action="/login/2fa"] button[type="submit"]`); status != 401 {
			t.Fatalf("%s: wrong code at sign-in: %d", lang, status)
		}
		check(other, lang+" the second step with a wrong code")
		other.Fill(`#field-code`, code(t, secret, clk.Now()))
		if status := other.Follow(`form[action="/login/2fa"] button[type="submit"]`); status != 200 || other.Location() != "/" {
			t.Fatalf("%s: second step: %d at %s", lang, status, other.Location())
		}

		// Turning it off, with a recovery code.
		tab.Fill(`#field-disable_password`, "a-good-password")
		tab.Fill(`#field-disable_code`, codes[0])
		tab.Follow(`form[action="/me/2fa/disable"] button[type="submit"]`)
		if !strings.Contains(tab.HTML("main"), `action="/me/2fa"`) {
			t.Fatalf("%s: 2fa is still on", lang)
		}
		check(tab, lang+" /me after turning 2fa off")
	}
}
