package accounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/mail/mailtest"
)

// An administrator invites a person by e-mail; the link sets their first
// password, signs them in and confirms their address. Until then the
// account has no password anyone could sign in with.
func TestInvitation(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		admin := s.Admin()
		resident := s.Register("someone@example.org", "Someone")
		body := map[string]any{"email": "moderatorin@example.org", "display_name": "Mona", "role": "moderator", "locale": "en"}
		if r := resident.Do("POST", "/api/v1/users", body); r.Status != http.StatusForbidden {
			t.Fatalf("a resident invites: %d", r.Status)
		}
		r := admin.Do("POST", "/api/v1/users", body)
		if r.Status != http.StatusCreated || !strings.Contains(r.Text(), `"moderator"`) {
			t.Fatalf("invite: %d %s", r.Status, r.Body)
		}
		if r := admin.Do("POST", "/api/v1/users", body); r.Status != http.StatusConflict {
			t.Errorf("invite twice: %d", r.Status)
		}
		m := smtpd.Wait(t, 1, 10*time.Second)[0]
		if m.Envelope.To != "moderatorin@example.org" || !strings.Contains(m.Subject, "invitation") {
			t.Fatalf("mail to %s: %q", m.Envelope.To, m.Subject)
		}
		u, err := url.Parse(m.Link("/password-reset?token="))
		if err != nil {
			t.Fatal(err)
		}
		token := u.Query().Get("token")
		if r := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "moderatorin@example.org", "password": ""}); r.Status == http.StatusOK {
			t.Fatal("an invited account signs in without a password")
		}
		if r := s.Client().Do("POST", "/api/v1/auth/invitation", map[string]string{"token": token, "password": "short"}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `"field":"password"`) {
			t.Errorf("weak password: %d %s", r.Status, r.Body)
		}
		r = s.Client().Do("POST", "/api/v1/auth/invitation", map[string]string{"token": token, "password": "a-good-moderator-password"})
		if r.Status != http.StatusOK {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		var sess struct {
			Token string `json:"token"`
			User  struct {
				EmailVerified bool   `json:"email_verified"`
				Role          string `json:"role"`
			} `json:"user"`
		}
		r.JSON(t, &sess)
		if sess.Token == "" || !sess.User.EmailVerified || sess.User.Role != "moderator" {
			t.Fatalf("session: %s", r.Body)
		}
		if r := s.Client().Do("POST", "/api/v1/auth/invitation", map[string]string{"token": token, "password": "another-good-password"}); r.Status != http.StatusBadRequest {
			t.Errorf("the link twice: %d", r.Status)
		}
		s.Login("moderatorin@example.org", "a-good-moderator-password")
		// Setting the first password tells nobody that it "changed".
		smtpd.Quiet(t, 1, 500*time.Millisecond)
	})
}

// The invitation form on /admin/users, without JavaScript.
func TestInvitationForm(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		b := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		page := b.Get("/admin/users")
		apptest.CheckPage(t, page, "de")
		csrf := apptest.FormCSRF(t, page)
		r := b.Do("POST", "/admin/users/invite", url.Values{"_csrf": {csrf}, "invite_email": {"not an address"}, "invite_name": {"Eda"}, "invite_role": {"expert"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `id="field-invite_email-error"`) {
			t.Fatalf("bad address: %d", r.Status)
		}
		r = b.Do("POST", "/admin/users/invite", url.Values{"_csrf": {csrf}, "invite_email": {"eda@example.org"}, "invite_name": {"Eda"}, "invite_role": {"expert"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("invite: %d %s", r.Status, r.Body)
		}
		if m := smtpd.Wait(t, 1, 10*time.Second)[0]; m.Envelope.To != "eda@example.org" || m.Link("/password-reset?token=") == "" {
			t.Errorf("invitation to %s:\n%s", m.Envelope.To, m.Text)
		}
	})
}
