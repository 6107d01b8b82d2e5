package accounts_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// post sends a form with the page's CSRF token.
func post(c *apptest.Client, path, csrf string, values url.Values) *apptest.Response {
	values.Set("_csrf", csrf)
	return c.Do(http.MethodPost, path, values)
}

// noRawKeys fails when a page shows a message key instead of its text.
func noRawKeys(t *testing.T, r *apptest.Response) {
	t.Helper()
	if m := regexp.MustCompile(`>[^<]*\b(twofa|sessions|login|admin\.user|label)\.[a-z_]+`).FindString(r.Text()); m != "" {
		t.Errorf("the page shows a message key: %q", m)
	}
}

var secretText = regexp.MustCompile(`<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>`)

// Turning two-step sign-in on and off on /me, and signing in through the
// /login form with it, without a browser.
func TestTwoFactorPages(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		s.Register("nour@example.org", "Nour")
		b := s.Browser("nour@example.org", "a-good-password")
		csrf := b.CSRF
		b.CSRF = "" // forms carry the _csrf field instead

		me := b.Get("/me")
		apptest.CheckPage(t, me, "de")
		if !strings.Contains(me.Text(), `action="/me/2fa"`) || !strings.Contains(me.Text(), `id="field-twofa_password"`) {
			t.Fatal("/me offers no two-step sign-in")
		}
		r := post(b, "/me/2fa", csrf, url.Values{"current_password": {"wrong-password"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-twofa_password"`) {
			t.Fatalf("wrong password: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		r = post(b, "/me/2fa", csrf, url.Values{"current_password": {"a-good-password"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/me#two-factor" {
			t.Fatalf("begin: %d %s", r.Status, r.Header.Get("Location"))
		}
		me = b.Get("/me?lang=ar")
		apptest.CheckPage(t, me, "ar")
		noRawKeys(t, me)
		m := secretText.FindStringSubmatch(me.Text())
		if m == nil || !strings.Contains(me.Text(), `<img class="qr-code" src="data:image/png;base64,`) {
			t.Fatal("/me shows no QR code and secret")
		}
		secret := strings.ReplaceAll(m[1], " ", "")
		r = post(b, "/me/2fa/confirm", csrf, url.Values{"code": {wrongCode(t, secret, clk.Now())}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-twofa_code"`) || !strings.Contains(r.Text(), `aria-invalid="true"`) {
			t.Fatalf("wrong code: %d", r.Status)
		}
		r = post(b, "/me/2fa/confirm", csrf, url.Values{"code": {code(t, secret, clk.Now())}})
		apptest.CheckPage(t, r, "ar")
		noRawKeys(t, r)
		codes := regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`).FindAllStringSubmatch(r.Text(), -1)
		if r.Status != 200 || len(codes) != 10 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("confirm: %d, %d codes", r.Status, len(codes))
		}
		me = b.Get("/me?lang=de")
		noRawKeys(t, me)
		if !strings.Contains(me.Text(), "Unbenutzte Wiederherstellungscodes: 10.") {
			t.Error("/me does not count the recovery codes")
		}
		if strings.Contains(me.Text(), codes[0][1]) || strings.Contains(me.Text(), "qr-code") || !strings.Contains(me.Text(), `action="/me/2fa/disable"`) {
			t.Fatal("/me shows the codes again, or no way to turn 2fa off")
		}
		apptest.CheckPage(t, me, "de")

		// Sign in through the form: password, then the code.
		clk.Add(30 * time.Second)
		other := s.Client()
		other.Get("/login")
		formCSRF := other.Cookie("mitreden_csrf")
		r = post(other, "/login", formCSRF, url.Values{"email": {"nour@example.org"}, "password": {"a-good-password"}, "next": {"/c/wir2"}})
		apptest.CheckPage(t, r, "de")
		noRawKeys(t, r)
		if r.Status != 200 || other.Cookie("mitreden_session") != "" || !strings.Contains(r.Text(), `action="/login/2fa"`) ||
			!strings.Contains(r.Text(), `autocomplete="one-time-code"`) || !strings.Contains(r.Text(), `value="/c/wir2"`) {
			t.Fatalf("first step: %d", r.Status)
		}
		ch := between(r.Text(), `name="challenge" value="`, `"`)
		r = post(other, "/login/2fa", formCSRF, url.Values{"challenge": {ch}, "next": {"/c/wir2"}, "code": {wrongCode(t, secret, clk.Now())}})
		apptest.CheckPage(t, r, "de")
		if r.Status != 401 || !strings.Contains(r.Text(), `href="#field-code"`) || !strings.Contains(r.Text(), `name="challenge" value="`+ch+`"`) {
			t.Fatalf("wrong code: %d", r.Status)
		}
		r = post(other, "/login/2fa", formCSRF, url.Values{"challenge": {ch}, "next": {"/c/wir2"}, "code": {code(t, secret, clk.Now())}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/c/wir2" || other.Cookie("mitreden_session") == "" {
			t.Fatalf("second step: %d %s", r.Status, r.Header.Get("Location"))
		}
		if r := other.Get("/me"); r.Status != 200 {
			t.Fatalf("/me after signing in: %d", r.Status)
		}
		// A challenge that is gone leads back to the first step.
		third := s.Client()
		third.Get("/login")
		r = post(third, "/login/2fa", third.Cookie("mitreden_csrf"), url.Values{"challenge": {ch}, "code": {codes[0][1]}})
		if r.Status != 401 || !strings.Contains(r.Text(), `action="/login"`) || strings.Contains(r.Text(), `action="/login/2fa"`) {
			t.Fatalf("used challenge: %d", r.Status)
		}

		// Turning it off through the form.
		r = post(b, "/me/2fa/disable", csrf, url.Values{"current_password": {"a-good-password"}, "code": {"123-456"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-disable_code"`) {
			t.Fatalf("wrong code to turn off: %d", r.Status)
		}
		r = post(b, "/me/2fa/disable", csrf, url.Values{"current_password": {"a-good-password"}, "code": {codes[1][1]}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("turn off: %d", r.Status)
		}
		if me := b.Get("/me").Text(); !strings.Contains(me, `action="/me/2fa"`) {
			t.Fatal("/me does not offer turning it on again")
		}
	})
}

// The sessions list on /me: this device marked, others ended one by one
// or all at once; the administration's button ends them all.
func TestSessionPages(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("lea@example.org", "Lea")
		laptop := s.Browser("lea@example.org", "a-good-password")
		phone := signInFrom(t, s, "lea@example.org", phoneAgent)
		tablet := signInFrom(t, s, "lea@example.org", "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/605.1")
		csrf := laptop.CSRF
		laptop.CSRF = ""
		me := laptop.Get("/me?lang=en")
		apptest.CheckPage(t, me, "en")
		noRawKeys(t, me)
		text := me.Text()
		if strings.Count(text, "This device") != 1 || !strings.Contains(text, "Chrome, Android") || !strings.Contains(text, "Safari, iPadOS") || !strings.Contains(text, `action="/me/sessions/end-others"`) {
			t.Fatalf("sessions list:\n%s", between(text, `id="sessions"`, "</section>"))
		}
		phoneID := currentSession(t, phone)
		if r := post(laptop, fmt.Sprintf("/me/sessions/%d/end", phoneID), csrf, url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("end one: %d", r.Status)
		}
		if phone.Get("/api/v1/me").Status != http.StatusUnauthorized {
			t.Fatal("the phone's session survived")
		}
		if r := post(laptop, "/me/sessions/end-others", csrf, url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("end others: %d", r.Status)
		}
		if tablet.Get("/api/v1/me").Status != http.StatusUnauthorized || laptop.Get("/me").Status != 200 {
			t.Fatal("ending the others ended the wrong sessions")
		}
		if r := post(laptop, fmt.Sprintf("/me/sessions/%d/end", phoneID), csrf, url.Values{}); r.Status != 404 {
			t.Fatalf("end a gone session: %d", r.Status)
		}

		// A browser ending its own session through the API forgets the cookie.
		own := s.Browser("lea@example.org", "a-good-password")
		if r := own.Do(http.MethodDelete, fmt.Sprintf("/api/v1/me/sessions/%d", currentSession(t, own)), nil); r.Status != http.StatusNoContent || own.Cookie("mitreden_session") != "" {
			t.Fatalf("end the own session: %d, cookie %q", r.Status, own.Cookie("mitreden_session"))
		}

		admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		adminCSRF := admin.CSRF
		admin.CSRF = ""
		page := admin.Get(fmt.Sprintf("/admin/users/%d", phone.UserID))
		apptest.CheckPage(t, page, "de")
		noRawKeys(t, page)
		if !strings.Contains(page.Text(), "Laufende Sitzungen: 1") {
			t.Fatalf("the account page does not count the sessions: %s", between(page.Text(), `id="security-heading"`, "</section>"))
		}
		if r := post(admin, fmt.Sprintf("/admin/users/%d/sessions/end", phone.UserID), adminCSRF, url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("admin ends sessions: %d", r.Status)
		}
		if r := laptop.Get("/me"); r.Status != http.StatusSeeOther {
			t.Fatalf("the laptop is still signed in: %d", r.Status)
		}
	})
}
