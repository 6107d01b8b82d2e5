package accounts_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// generatedAdmin starts the server the way a newcomer does: no
// administrator configured, so one is made with a password printed once.
func generatedAdmin(log *apptest.LogBuffer) apptest.Option {
	return func(s *apptest.Setup) {
		s.Config.AdminEmail, s.Config.AdminPassword = "", ""
		s.Log = log
	}
}

// generatedPassword reads the password the last server printed (the
// servers of one test share log).
func generatedPassword(t *testing.T, log *apptest.LogBuffer) string {
	t.Helper()
	m := regexp.MustCompile(`email=admin@localhost password=(\S+)`).FindAllStringSubmatch(log.String(), -1)
	if m == nil {
		t.Fatalf("no generated password in the log:\n%s", log)
	}
	return m[len(m)-1][1]
}

// The generated administrator password is one-time: until a new one is
// set, the API answers nothing but the password change and signing out,
// and pages lead to the password form.
func TestGeneratedAdminPasswordIsOneTime(t *testing.T) {
	t.Parallel()
	log := &apptest.LogBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		generated := generatedPassword(t, log)

		api := s.Login("admin@localhost", generated)
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/v1/me"},
			{"GET", "/api/v1/consultations"},
			{"GET", "/api/v1/users"},
			{"POST", "/api/v1/consultations"},
			{"PATCH", "/api/v1/users/1"},
		} {
			r := api.Do(req.method, req.path, map[string]any{})
			if r.Status != 403 || !strings.Contains(r.Text(), `"code":"password_change_required"`) {
				t.Fatalf("%s %s before the change: %d %s", req.method, req.path, r.Status, r.Body)
			}
		}

		// A reader's page kept for signed-in readers is not served instead.
		reader := s.Register("rita@example.org", "Rita")
		reader.Get("/m/1")
		reader.Get("/m/1")

		b := s.Browser("admin@localhost", generated)
		b.CSRF = ""
		for _, path := range []string{"/", "/m/1", "/admin/users", "/c/wir2"} {
			if r := b.Get(path); r.Status != 303 || r.Header.Get("Location") != "/me" {
				t.Fatalf("GET %s before the change: %d %s", path, r.Status, r.Header.Get("Location"))
			}
		}
		page := b.Get("/me?lang=en")
		apptest.CheckPage(t, page, "en")
		if page.Status != 200 || !strings.Contains(page.Text(), "one-time password") || !strings.Contains(page.Text(), `action="/me/password"`) {
			t.Fatalf("/me does not explain the one-time password: %d", page.Status)
		}
		csrf := apptest.FormCSRF(t, page)
		if r := b.Do("POST", "/reports", url.Values{"_csrf": {csrf}, "target_type": {"idea"}, "target_id": {"1"}, "reason": {"spam"}}); r.Status != 303 || r.Header.Get("Location") != "/me" {
			t.Fatalf("a form post before the change: %d %s", r.Status, r.Header.Get("Location"))
		}
		// The one-time password cannot be kept as the new one.
		r := api.Do("POST", "/api/v1/me/password", map[string]string{"current_password": generated, "new_password": generated})
		if r.Status != 422 {
			t.Fatalf("keeping the one-time password: %d %s", r.Status, r.Body)
		}
		r = b.Do("POST", "/me/password", url.Values{"_csrf": {csrf}, "current_password": {generated}, "new_password": {"my-own-choice-77"}, "new_password_confirm": {"my-own-choice-77"}})
		if r.Status != 303 || r.Header.Get("Location") != "/me" {
			t.Fatalf("the password form: %d %s", r.Status, r.Body)
		}
		if r := b.Get("/"); r.Status != 200 {
			t.Fatalf("GET / after the change: %d", r.Status)
		}
		if r := b.Get("/me?lang=en"); strings.Contains(r.Text(), "one-time password") {
			t.Fatal("/me still asks for a new password")
		}
		admin := s.Login("admin@localhost", "my-own-choice-77")
		if r := admin.Get("/api/v1/users"); r.Status != 200 {
			t.Fatalf("the API after the change: %d %s", r.Status, r.Body)
		}
	}, generatedAdmin(log))
}

// Signing out works before the change; the API's password change lifts
// the hold; an administrator from MITREDEN_ADMIN_PASSWORD is not held.
func TestOneTimePasswordChangedThroughTheAPI(t *testing.T) {
	t.Parallel()
	log := &apptest.LogBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		generated := generatedPassword(t, log)
		first := s.Login("admin@localhost", generated)
		if r := first.Do("POST", "/api/v1/auth/logout", nil); r.Status != 204 {
			t.Fatalf("logout before the change: %d %s", r.Status, r.Body)
		}
		api := s.Login("admin@localhost", generated)
		if r := api.Do("POST", "/api/v1/me/password", map[string]string{"current_password": generated, "new_password": "my-own-choice-77"}); r.Status != 204 {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		if r := api.Get("/api/v1/me"); r.Status != 200 {
			t.Fatalf("/me after the change: %d %s", r.Status, r.Body)
		}
	}, generatedAdmin(log), apptest.WithoutDemo())

	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		if r := s.Admin().Get("/api/v1/users"); r.Status != 200 {
			t.Fatalf("the configured administrator is held: %d %s", r.Status, r.Body)
		}
	}, apptest.WithoutDemo())
}
