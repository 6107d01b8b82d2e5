package accounts_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Display names: 1 to 60 characters with a letter or digit, nothing
// invisible, and no name that passes for the platform's staff.
func TestDisplayNameRules(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.AccountAs("mara@example.org", "Mara Moderatorin", "moderator")
		s.AccountAs("eko@example.org", "Dr. Eko Expert", "expert")
		refused := []struct{ name, displayName string }{
			{"empty", "   "},
			{"61 characters", strings.Repeat("x", 61)},
			{"no letter or digit", "-- . --"},
			{"right-to-left override", "Bob\u202Eevil"},
			{"zero-width space", "Bo\u200Bb"},
			{"zero-width joiner only around", "\u200DBob"},
			{"line separator", "Bob\u2028Alice"},
			{"paragraph separator", "Bob\u2029Alice"},
			{"newline", "Bob\nAlice"},
			{"tab", "Bob\tAlice"},
			{"reserved word", "Admin"},
			{"reserved word in capitals with spaces", " ADMINI STRATION "},
			{"reserved word in full-width letters", "ｍｏｄｅｒａｔｏｒ"},
			{"reserved word moderation", "moderation"},
			{"the platform's name", "Mitreden"},
			{"a moderator's name", "mara moderatorin"},
			{"an expert's name without spaces", "Dr.EkoExpert"},
			{"the first administrator's name", "Administration"},
		}
		c := s.Client()
		for i, n := range refused {
			r := c.Do("POST", "/api/v1/auth/register", map[string]any{
				"email": fmt.Sprintf("r%d@example.org", i), "password": apptest.Password, "display_name": n.displayName, "privacy_consent": true,
			})
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"display_name"`) {
				t.Errorf("%s (%q): %d %s", n.name, n.displayName, r.Status, r.Body)
			}
		}
		accepted := []string{"A", "Ö", "李", "٣", "Ada Lovelace", "Admin Fan", "Mara", strings.Repeat("ä", 60), " Zoë "}
		for i, name := range accepted {
			r := c.Do("POST", "/api/v1/auth/register", map[string]any{
				"email": fmt.Sprintf("a%d@example.org", i), "password": apptest.Password, "display_name": name, "privacy_consent": true,
			})
			if r.Status != 201 {
				t.Errorf("%q: %d %s", name, r.Status, r.Body)
			}
		}
		if r := c.Get("/api/v1/users?q=zo"); r.Status == 200 && strings.Contains(r.Text(), `" Zoë "`) {
			t.Error("the name was not trimmed")
		}
	})
}

// An administrator renaming a resident is bound by the same rules; staff
// may keep a name like "Administration".
func TestAdministratorRenamesUnderTheRules(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		resident := s.Register("rudi@example.org", "Rudi")
		mod := s.AccountAs("mara@example.org", "Mara", "moderator")

		b := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		b.CSRF = ""
		path := fmt.Sprintf("/admin/users/%d", resident.UserID)
		csrf := apptest.FormCSRF(t, b.Get(path))
		r := b.Do("POST", path, url.Values{"_csrf": {csrf}, "role": {"resident"}, "display_name": {"Mara"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-display_name"`) {
			t.Fatalf("the form renamed a resident after a moderator: %d", r.Status)
		}
		for _, name := range []string{"Moderator", "administration", "Mitreden", "Bob\u202E", ""} {
			r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", resident.UserID), map[string]any{"display_name": name})
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"display_name"`) {
				t.Errorf("renaming a resident to %q: %d %s", name, r.Status, r.Body)
			}
		}
		if r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", resident.UserID), map[string]any{"display_name": "R"}); r.Status != 200 {
			t.Fatalf("a one-letter name: %d %s", r.Status, r.Body)
		}
		if r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", mod.UserID), map[string]any{"display_name": "Moderation"}); r.Status != 200 {
			t.Fatalf("a moderator called Moderation: %d %s", r.Status, r.Body)
		}
		// Demoting and renaming at once: the rules of the new role apply.
		r = admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", mod.UserID), map[string]any{"role": "resident", "display_name": "Moderator"})
		if r.Status != 422 {
			t.Fatalf("a resident renamed Moderator on demotion: %d %s", r.Status, r.Body)
		}

	})
}

// Registration through the API needs privacy_consent: true.
func TestAPIRegistrationNeedsConsent(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		for _, consent := range []any{nil, false, "yes"} {
			body := map[string]any{"email": "kim@example.org", "password": apptest.Password, "display_name": "Kim"}
			if consent != nil {
				body["privacy_consent"] = consent
			}
			r := s.Client().Do("POST", "/api/v1/auth/register", body)
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"privacy_consent"`) {
				t.Fatalf("consent %v: %d %s", consent, r.Status, r.Body)
			}
		}
		r := s.Client().Do("POST", "/api/v1/auth/register", map[string]any{"email": "kim@example.org", "password": apptest.Password, "display_name": "Kim", "privacy_consent": true})
		if r.Status != 201 {
			t.Fatalf("with consent: %d %s", r.Status, r.Body)
		}
	})
}
