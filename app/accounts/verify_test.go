package accounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/mail/mailtest"
)

// A registration is mailed a link; until it is confirmed the account
// reads but does not vote (403, code email_unverified); opening the link
// confirms nothing, its button does, once.
func TestEmailVerification(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.RegisterIn("vera@example.org", "Vera", "de")
		vera := s.Login("vera@example.org", apptest.Password)
		var me struct {
			EmailVerified bool `json:"email_verified"`
		}
		vera.Get("/api/v1/me").JSON(t, &me)
		if me.EmailVerified {
			t.Fatal("a new registration counts as verified")
		}
		vote := func() *apptest.Response {
			return vera.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		}
		if r := vote(); r.Status != http.StatusForbidden || !strings.Contains(r.Text(), `"code":"email_unverified"`) {
			t.Fatalf("vote before confirming: %d %s", r.Status, r.Body)
		}
		m := smtpd.Wait(t, 1, 10*time.Second)[0]
		link := m.Link("/verify?token=")
		if link == "" || m.Envelope.To != "vera@example.org" {
			t.Fatalf("mail to %s without link:\n%s", m.Envelope.To, m.Text)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		// A scanner opening the link confirms nothing.
		page := s.Client().Get(u.RequestURI())
		apptest.CheckPage(t, page, "de")
		if r := vote(); r.Status != http.StatusForbidden {
			t.Fatalf("opening the link confirmed the address: %d", r.Status)
		}
		token := u.Query().Get("token")
		if r := s.Client().Do("POST", "/api/v1/auth/verify", map[string]string{"token": token}); r.Status != http.StatusNoContent {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if r := vote(); r.Status != http.StatusOK {
			t.Fatalf("vote after confirming: %d %s", r.Status, r.Body)
		}
		vera.Get("/api/v1/me").JSON(t, &me)
		if !me.EmailVerified {
			t.Error("/me says the address is not confirmed")
		}
		// The export lists the link, without its token.
		export := vera.Get("/api/v1/me/export")
		var links struct {
			AddressLinks []struct {
				Email  string  `json:"email"`
				UsedAt *string `json:"used_at"`
			} `json:"address_links"`
		}
		export.JSON(t, &links)
		if len(links.AddressLinks) != 1 || links.AddressLinks[0].Email != "vera@example.org" || links.AddressLinks[0].UsedAt == nil || strings.Contains(export.Text(), token) {
			t.Errorf("export: %s", export.Body)
		}
		for _, bad := range []string{token, "nonsense", ""} {
			if r := s.Client().Do("POST", "/api/v1/auth/verify", map[string]string{"token": bad}); r.Status != http.StatusBadRequest {
				t.Errorf("verify %q: %d", bad, r.Status)
			}
		}
		// Asking again once confirmed sends nothing.
		if r := vera.Do("POST", "/api/v1/auth/verify/resend", nil); r.Status != http.StatusAccepted {
			t.Errorf("resend: %d", r.Status)
		}
		smtpd.Quiet(t, 1, 500*time.Millisecond)

		// Accounts made by an operator or an administrator are confirmed.
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{Email: "staff@example.org", DisplayName: "Staff", Role: access.Moderator, Password: apptest.Password}); err != nil {
			t.Fatal(err)
		}
		s.Login("staff@example.org", apptest.Password).Get("/api/v1/me").JSON(t, &me)
		if !me.EmailVerified {
			t.Error("an account made by an operator is not confirmed")
		}
	}, apptest.WithEmailVerification())
}

// Without JavaScript: the banner with its resend button, the page's
// button, and the banner gone afterwards.
func TestEmailVerificationPages(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		b := s.RegisterForm("seda@example.org", "Seda")
		smtpd.Wait(t, 1, 10*time.Second)
		page := b.Get("/m/1")
		if !strings.Contains(page.Text(), `id="verify-banner"`) {
			t.Fatal("no banner for an unconfirmed address")
		}
		apptest.CheckPage(t, page, "de")
		csrf := apptest.FormCSRF(t, page)
		if r := b.Do("POST", "/me/verify/resend", url.Values{"_csrf": {csrf}}); r.Status != http.StatusSeeOther {
			t.Fatalf("resend: %d", r.Status)
		}
		m := smtpd.Wait(t, 2, 10*time.Second)[1]
		u, err := url.Parse(m.Link("/verify?token="))
		if err != nil {
			t.Fatal(err)
		}
		verify := b.Get(u.RequestURI())
		apptest.CheckPage(t, verify, "de")
		if r := b.Do("POST", "/verify", url.Values{"token": {u.Query().Get("token")}}); r.Status != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if page := b.Get("/m/1").Text(); strings.Contains(page, `id="verify-banner"`) {
			t.Error("the banner stays after confirming")
		}
		if r := b.Do("POST", "/verify", url.Values{"token": {"nonsense"}}); r.Status != http.StatusBadRequest {
			t.Errorf("a bad link: %d", r.Status)
		}
	}, apptest.WithEmailVerification())
}
