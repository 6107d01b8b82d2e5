package accounts_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/mail/mailtest"
)

// pathOf is a link from a mail as a path on the test server.
func pathOf(t *testing.T, s *apptest.Server, link string) string {
	t.Helper()
	if !strings.HasPrefix(link, s.URL+"/") {
		t.Fatalf("link %q does not lead to the server %s", link, s.URL)
	}
	return strings.TrimPrefix(link, s.URL)
}

// A person asks for a reset, follows the link in the mail, sets a new
// password; every old session ends, the new password signs in, the old
// one does not, and the link works once.
func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.RegisterIn("leyla@example.org", "Leyla", "ar")
		bearer := s.Login("leyla@example.org", apptest.Password)
		browser := s.Browser("leyla@example.org", apptest.Password)
		// Both sessions in use, so that the server keeps them for a moment.
		for _, c := range []*apptest.Client{bearer, browser} {
			if r := c.Get("/api/v1/me"); r.Status != http.StatusOK {
				t.Fatalf("before the reset: %d", r.Status)
			}
		}

		r := s.Client().Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": " Leyla@Example.org "})
		if r.Status != http.StatusAccepted {
			t.Fatalf("reset request: %d %s", r.Status, r.Body)
		}
		m := smtpd.Wait(t, 1, 10*time.Second)[0]
		if m.Envelope.To != "leyla@example.org" || !strings.Contains(m.Header.Get("To"), "leyla@example.org") {
			t.Errorf("mail to %q (%q)", m.Envelope.To, m.Header.Get("To"))
		}
		if from := m.Header.Get("From"); !strings.Contains(from, "noreply@mitreden.test") {
			t.Errorf("From %q", from)
		}
		if _, err := m.Header.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}
		if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@mitreden.test>") {
			t.Errorf("Message-ID %q", id)
		}
		// In the reader's language, right to left.
		if m.Subject != "تعيين كلمة مرور جديدة" || !strings.Contains(m.Text, "Leyla") {
			t.Errorf("subject %q, text %q", m.Subject, m.Text)
		}
		if !strings.Contains(m.HTML, `<html lang="ar" dir="rtl">`) {
			t.Errorf("the HTML part is not marked Arabic, right to left: %.200s", m.HTML)
		}
		link := m.Link("/password-reset?token=")
		if link == "" || !strings.Contains(m.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
			t.Fatalf("no reset link in both parts: %q", m.Text)
		}
		path := pathOf(t, s, link)
		token := strings.TrimPrefix(path, "/password-reset?token=")

		// Opening the link twice (a mail scanner, then the person) uses nothing up.
		person := s.Client()
		for range 2 {
			page := person.Get(path)
			if page.Status != http.StatusOK || !strings.Contains(page.Text(), `name="token" value="`+token+`"`) {
				t.Fatalf("the link's page: %d", page.Status)
			}
			apptest.CheckPage(t, page, "de")
		}
		r = person.Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "leyla"})
		r.WantProblem(t, http.StatusUnprocessableEntity, "new_password")
		r = person.Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "olive-tree-lantern-9"})
		if r.Status != http.StatusNoContent {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		for name, c := range map[string]*apptest.Client{"bearer": bearer, "browser": browser} {
			if r := c.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
				t.Errorf("the %s session survived the reset: %d", name, r.Status)
			}
		}
		r = s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "leyla@example.org", "password": apptest.Password})
		r.WantProblem(t, http.StatusUnauthorized, "")
		s.Login("leyla@example.org", "olive-tree-lantern-9")

		r = person.Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "another-olive-tree-10"})
		r.WantProblem(t, http.StatusBadRequest, "")
		if page := person.Get(path); page.Status != http.StatusBadRequest || strings.Contains(page.Text(), `name="token"`) {
			t.Errorf("a used link's page: %d", page.Status)
		}
		s.Login("leyla@example.org", "olive-tree-lantern-9")

		// The account is told that its password changed.
		changed := smtpd.Wait(t, 2, 10*time.Second)[1]
		if changed.Envelope.To != "leyla@example.org" || changed.Subject != "تم تغيير كلمة مرورك" || strings.Contains(changed.Text, token) {
			t.Errorf("password changed mail: %q to %q", changed.Subject, changed.Envelope.To)
		}
	})
}

// An unknown address answers like a known one, and no mail goes out.
func TestPasswordResetUnknownAddress(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.Register("known@example.org", "Known")
		for _, email := range []string{"nobody@example.org", "known@example.org"} {
			r := s.Client().Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email})
			if r.Status != http.StatusAccepted || len(r.Body) != 0 {
				t.Fatalf("%s: %d %s", email, r.Status, r.Body)
			}
		}
		got := smtpd.Wait(t, 1, 10*time.Second)
		smtpd.Quiet(t, 1, 500*time.Millisecond)
		if got[0].Envelope.To != "known@example.org" {
			t.Fatalf("mail went to %s", got[0].Envelope.To)
		}
		// Both requests did the same work: one link each, one of them
		// opening no account.
		if n := rows(t, s, "SELECT COUNT(*) FROM password_resets"); n != 2 {
			t.Errorf("%d reset links written, want 2", n)
		}
		for _, tc := range []struct {
			body  any
			field string
		}{
			{map[string]string{"email": "no address"}, "email"},
			{map[string]string{"email": ""}, "email"},
		} {
			s.Client().Do("POST", "/api/v1/auth/password-reset", tc.body).WantProblem(t, http.StatusUnprocessableEntity, tc.field)
		}
		for _, body := range []map[string]string{
			{"token": "made-up", "new_password": "olive-tree-lantern-9"},
			{"token": "", "new_password": "olive-tree-lantern-9"},
		} {
			s.Client().Do("POST", "/api/v1/auth/password-reset/confirm", body).WantProblem(t, http.StatusBadRequest, "")
		}
	})
}

// A link older than an hour works no more.
func TestPasswordResetExpires(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.Register("late@example.org", "Late")
		s.Client().Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "late@example.org"})
		path := pathOf(t, s, smtpd.Wait(t, 1, 10*time.Second)[0].Link("/password-reset?token="))
		token := strings.TrimPrefix(path, "/password-reset?token=")
		s.App.Accounts.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
		if page := s.Client().Get(path); page.Status != http.StatusBadRequest {
			t.Errorf("an expired link's page: %d", page.Status)
		}
		s.Client().Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "olive-tree-lantern-9"}).
			WantProblem(t, http.StatusBadRequest, "")
		s.App.Accounts.SetClock(func() time.Time { return time.Now().Add(59 * time.Minute) })
		if r := s.Client().Do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": "olive-tree-lantern-9"}); r.Status != http.StatusNoContent {
			t.Errorf("a link 59 minutes old: %d %s", r.Status, r.Body)
		}
		// Expired links are deleted with ended sessions.
		s.App.Accounts.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
		if ran, err := s.App.Prune(context.Background()); err != nil || !ran {
			t.Fatal(ran, err)
		}
		if n := rows(t, s, "SELECT COUNT(*) FROM password_resets"); n != 0 {
			t.Errorf("%d expired reset links kept", n)
		}
	})
}

// rows counts with query.
func rows(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.App.Store.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The export shows an account's mail and reset links; deleting the
// account deletes them.
func TestErasureRemovesMailAndResetLinks(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		c := s.Register("gone@example.org", "Gone")
		s.Client().Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "gone@example.org"})
		smtpd.Wait(t, 1, 10*time.Second)
		if rows(t, s, "SELECT COUNT(*) FROM mail_queue WHERE user_id = ?", c.UserID) != 1 || rows(t, s, "SELECT COUNT(*) FROM password_resets WHERE user_id = ?", c.UserID) != 1 {
			t.Fatal("the reset request left no mail or link")
		}
		// The export lists them, without the link.
		export := c.Get("/api/v1/me/export")
		var data struct {
			Mail []struct {
				To      string `json:"to"`
				Subject string `json:"subject"`
			} `json:"mail"`
			PasswordResets []map[string]any `json:"reset_links"`
		}
		export.JSON(t, &data)
		if len(data.Mail) != 1 || data.Mail[0].To != "gone@example.org" || data.Mail[0].Subject != "Neues Passwort festlegen" || len(data.PasswordResets) != 1 || strings.Contains(export.Text(), "token") {
			t.Errorf("export: %s", export.Body)
		}
		if r := c.Do("DELETE", "/api/v1/me", nil); r.Status != http.StatusNoContent {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if n := rows(t, s, "SELECT COUNT(*) FROM mail_queue WHERE user_id = ? OR recipient = 'gone@example.org'", c.UserID); n != 0 {
			t.Errorf("%d mails of the deleted account kept", n)
		}
		if n := rows(t, s, "SELECT COUNT(*) FROM password_resets WHERE user_id = ?", c.UserID); n != 0 {
			t.Errorf("%d reset links of the deleted account kept", n)
		}
	})
}

// The whole way without JavaScript: the sign-in page links to the form,
// the form mails a link, the link's page sets the password.
func TestPasswordResetForms(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		s.Register("form@example.org", "Form")
		b := s.Client()
		if login := b.Get("/login"); !strings.Contains(login.Text(), `href="/password-reset"`) {
			t.Fatal("the sign-in page does not link to the password reset")
		}
		page := b.Get("/password-reset")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), `<label for="field-email">`) {
			t.Error("the address field has no label")
		}
		csrf := apptest.FormCSRF(t, page)
		if r := b.Do("POST", "/password-reset", url.Values{"email": {"form@example.org"}}); r.Status != http.StatusForbidden {
			t.Errorf("a form post without its CSRF token: %d", r.Status)
		}
		r := b.Do("POST", "/password-reset", url.Values{"_csrf": {csrf}, "email": {"kein Name"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `href="#field-email"`) || !strings.Contains(r.Text(), `aria-describedby="field-email-error"`) {
			t.Fatalf("a bad address: %d", r.Status)
		}
		r = b.Do("POST", "/password-reset", url.Values{"_csrf": {csrf}, "email": {"form@example.org"}})
		if r.Status != http.StatusOK || !strings.Contains(r.Text(), "Wenn es ein Konto mit dieser Adresse gibt") {
			t.Fatalf("sent: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")

		path := pathOf(t, s, smtpd.Wait(t, 1, 10*time.Second)[0].Link("/password-reset?token="))
		page = b.Get(path)
		apptest.CheckPage(t, page, "de")
		if page.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("the page with the token may be cached: %q", page.Header.Get("Cache-Control"))
		}
		token := strings.TrimPrefix(path, "/password-reset?token=")
		form := func(next, confirm string) url.Values {
			return url.Values{"_csrf": {apptest.FormCSRF(t, page)}, "token": {token}, "new_password": {next}, "new_password_confirm": {confirm}}
		}
		r = b.Do("POST", "/password-reset/confirm", form("olive-tree-lantern-9", "olive-tree-lantern-8"))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `href="#field-new_password_confirm"`) || !strings.Contains(r.Text(), `value="`+token+`"`) {
			t.Fatalf("passwords that differ: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		r = b.Do("POST", "/password-reset/confirm", form("olive-tree-lantern-9", "olive-tree-lantern-9"))
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if login := b.Get("/login"); !strings.Contains(login.Text(), "Ihr neues Passwort ist gespeichert") {
			t.Error("the sign-in page does not say the password is set")
		}
		s.Login("form@example.org", "olive-tree-lantern-9")
	})
}

// Reset mails are limited per client address and per e-mail address,
// for unknown addresses too.
func TestPasswordResetRateLimits(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		ask := func(c *apptest.Client, email string) int {
			return c.Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email}).Status
		}
		c := s.Client()
		for i := range 3 {
			if st := ask(c, "someone@example.org"); st != http.StatusAccepted {
				t.Fatalf("request %d: %d", i+1, st)
			}
		}
		if st := ask(c, "SomeOne@example.org"); st != http.StatusTooManyRequests {
			t.Fatalf("the fourth request for one address: %d", st)
		}
		for i := range 6 {
			if st := ask(c, "other"+string(rune('a'+i))+"@example.org"); st != http.StatusAccepted {
				t.Fatalf("request %d for another address: %d", i+1, st)
			}
		}
		if st := ask(c, "yet-another@example.org"); st != http.StatusTooManyRequests {
			t.Fatalf("the eleventh request of one client: %d", st)
		}
	}, apptest.WithRateLimits())
}
