package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Every administration page answers administrators in German and in
// English, keeping the page conventions, and refuses everyone else.
func TestAdministrationPages(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		member := s.Register("nadia@example.org", "Nadia Nachbarin")
		admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		pages := []struct {
			path     string
			contains map[string]string // lang -> text
		}{
			{"/admin", map[string]string{"de": "Beteiligungsverfahren", "en": "Expert groups"}},
			{"/admin/consultations/new", map[string]string{"de": "Neues Beteiligungsverfahren", "en": "Cross-cutting theme 1"}},
			{"/admin/consultations/wir2", map[string]string{"de": "Vielfalt", "en": "Fields of action"}},
			{"/admin/consultations/wir2/codes", map[string]string{"de": "Teilnahme-Codes", "en": "Make codes"}},
			{"/admin/consultations/wir2/fields/new", map[string]string{"de": "Neues Handlungsfeld", "en": "Served by these expert groups"}},
			{"/admin/fields/1", map[string]string{"de": "Bildung", "en": "Served by these expert groups"}},
			{"/admin/groups/new", map[string]string{"de": "Neue Expert*innengruppe", "en": "Name (English)"}},
			{"/admin/groups/1?q=nadia", map[string]string{"de": "Nadia Nachbarin", "en": "Add: Nadia Nachbarin"}},
			{"/admin/users", map[string]string{"de": "nadia@example.org", "en": "All roles"}},
			{"/admin/users?role=admin&q=ADMIN", map[string]string{"de": apptest.AdminEmail, "en": apptest.AdminEmail}},
			{"/admin/users/" + itoa(member.UserID), map[string]string{"de": "Konto sperren", "en": "Change role and name"}},
			{"/admin/screening", map[string]string{"de": "idiot*", "en": "get rich quick"}},
			{"/admin/legal/impressum", map[string]string{"de": "§ 5 DDG", "en": "Text (English)"}},
			{"/admin/legal/datenschutz", map[string]string{"de": "Wir verarbeiten nur", "en": "We only process"}},
			{"/admin/audit", map[string]string{"de": "Änderungsprotokoll", "en": "consultation.create"}},
		}
		for _, p := range pages {
			for lang, want := range p.contains {
				t.Run(p.path+"/"+lang, func(t *testing.T) {
					sep := "?"
					if strings.Contains(p.path, "?") {
						sep = "&"
					}
					r := admin.Get(p.path + sep + "lang=" + lang)
					if r.Status != http.StatusOK {
						t.Fatalf("status %d: %s", r.Status, r.Body)
					}
					apptest.CheckPage(t, r, lang)
					if !strings.Contains(r.Text(), want) {
						t.Errorf("page lacks %q", want)
					}
					if !strings.Contains(r.Text(), `href="/admin"`) {
						t.Error("no link to the administration")
					}
				})
			}
		}
		// Anonymous visitors are sent to sign in; others get a clear 403 page.
		r := s.Client().Get("/admin/users")
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fadmin%2Fusers" {
			t.Fatalf("anonymous /admin/users: %d %s", r.Status, r.Header.Get("Location"))
		}
		for _, role := range []string{"resident", "expert", "moderator"} {
			s.AccountAs(role+"@example.org", "Person "+role, role)
			b := s.Browser(role+"@example.org", "a-good-password")
			for _, path := range []string{"/admin", "/admin/users", "/admin/screening", "/admin/groups/1", "/admin/audit"} {
				r := b.Get(path)
				if r.Status != http.StatusForbidden || !strings.Contains(r.Text(), "Fehler 403") || !strings.Contains(r.Text(), "Berechtigung") {
					t.Errorf("%s on %s: %d", role, path, r.Status)
				}
			}
			if strings.Contains(b.Get("/").Text(), `href="/admin"`) {
				t.Errorf("the %s sees the administration link", role)
			}
			csrf := apptest.FormCSRF(t, b.Get("/me"))
			if r := b.Do("POST", "/admin/groups", formValues("_csrf", csrf, "name.de", "Gruppe")); r.Status != http.StatusForbidden {
				t.Errorf("%s posts a group form: %d", role, r.Status)
			}
		}
	})
}
