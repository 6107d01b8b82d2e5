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

// PATCH /me changes name and language under the registration's rules.
func TestChangeOwnAccount(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Register("own@example.org", "Olga")
		var me struct {
			DisplayName string `json:"display_name"`
			Locale      string `json:"locale"`
		}
		r := c.Do("PATCH", "/api/v1/me", map[string]string{"display_name": "Olga K.", "locale": "uk"})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &me)
		if me.DisplayName != "Olga K." || me.Locale != "uk" {
			t.Fatalf("after patch: %+v", me)
		}
		c.Get("/api/v1/me").JSON(t, &me)
		if me.DisplayName != "Olga K." || me.Locale != "uk" {
			t.Fatalf("read back: %+v", me)
		}
		for _, bad := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"locale": "xx"}, "locale"},
			{map[string]string{"display_name": ""}, "display_name"},
			{map[string]string{"display_name": "Administration"}, "display_name"},
		} {
			r := c.Do("PATCH", "/api/v1/me", bad.body)
			r.WantProblem(t, http.StatusUnprocessableEntity, bad.field)
		}
		if r := s.Client().Do("PATCH", "/api/v1/me", map[string]string{"locale": "de"}); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", r.Status)
		}
	})
}

// A new address counts once its link is followed; the old one is told.
func TestChangeEmail(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.RegisterIn("old@example.org", "Elif", "tr")
		c := s.Login("old@example.org", apptest.Password)
		if r := c.Do("POST", "/api/v1/me/email", map[string]string{"email": "new@example.org", "current_password": "wrong-password"}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
		s.Register("taken@example.org", "Taken")
		if r := c.Do("POST", "/api/v1/me/email", map[string]string{"email": "taken@example.org", "current_password": apptest.Password}); r.Status != http.StatusConflict {
			t.Fatalf("taken address: %d %s", r.Status, r.Body)
		}
		if r := c.Do("POST", "/api/v1/me/email", map[string]string{"email": "New@Example.org", "current_password": apptest.Password}); r.Status != http.StatusAccepted {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		m := smtpd.Wait(t, 1, 10*time.Second)[0]
		if m.Envelope.To != "new@example.org" {
			t.Fatalf("link went to %s", m.Envelope.To)
		}
		var me struct {
			Email string `json:"email"`
		}
		c.Get("/api/v1/me").JSON(t, &me)
		if me.Email != "old@example.org" {
			t.Fatalf("the address changed before the link was followed: %s", me.Email)
		}
		u, err := url.Parse(m.Link("/verify?token="))
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Client().Do("POST", "/api/v1/auth/verify", map[string]string{"token": u.Query().Get("token")}); r.Status != http.StatusNoContent {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		c.Get("/api/v1/me").JSON(t, &me)
		if me.Email != "new@example.org" {
			t.Fatalf("after confirming: %s", me.Email)
		}
		told := smtpd.Wait(t, 2, 10*time.Second)[1]
		if told.Envelope.To != "old@example.org" || !strings.Contains(told.Text, "/password-reset") {
			t.Errorf("the old address was told: %s\n%s", told.Envelope.To, told.Text)
		}
		if s.Login("new@example.org", apptest.Password) == nil {
			t.Fatal("no sign-in with the new address")
		}
		// The account is told in the app too; the old address had its mail.
		var list struct {
			Items []struct{ Kind, Body string } `json:"items"`
		}
		c.Get("/api/v1/me/notifications").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].Kind != "account" || !strings.Contains(list.Items[0].Body, "neue E-Mail-Adresse") {
			t.Errorf("notifications: %+v", list.Items)
		}
		smtpd.Quiet(t, 2, 700*time.Millisecond)
	})
}

// The forms on /me, without JavaScript.
func TestOwnAccountForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		page := b.Get("/me")
		apptest.CheckPage(t, page, "de")
		csrf := apptest.FormCSRF(t, page)
		if r := b.Do("POST", "/me/profile", url.Values{"_csrf": {csrf}, "display_name": {"Stadt Hannover"}, "locale": {"en"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("profile: %d %s", r.Status, r.Body)
		}
		if r := b.Do("POST", "/me/email", url.Values{"_csrf": {csrf}, "email": {"x@example.org"}, "email_password": {"wrong"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `id="field-email_password-error"`) {
			t.Errorf("email with a wrong password: %d", r.Status)
		}
	})
}

// Changing one's password is an account notice: in the app, and by mail
// as the person chose (at once by default).
func TestPasswordChangeNotice(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.RegisterIn("pia@example.org", "Pia", "de")
		c := s.Login("pia@example.org", apptest.Password)
		if r := c.Do("POST", "/api/v1/me/password", map[string]string{"current_password": apptest.Password, "new_password": "another-good-password"}); r.Status != http.StatusNoContent {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		var list struct {
			Items []struct{ Kind, Body string } `json:"items"`
		}
		c.Get("/api/v1/me/notifications").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].Kind != "account" {
			t.Fatalf("notifications: %+v", list.Items)
		}
		if m := smtpd.Wait(t, 1, 10*time.Second)[0]; m.Envelope.To != "pia@example.org" || !strings.Contains(m.Text, "Passwort") {
			t.Errorf("mail to %s:\n%s", m.Envelope.To, m.Text)
		}
	})
}
