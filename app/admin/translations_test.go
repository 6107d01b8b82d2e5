package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
)

// languageSection is the part of the translation overview for one language.
func languageSection(t *testing.T, page, lang string) string {
	t.Helper()
	_, after, ok := strings.Cut(page, `<section aria-labelledby="lang-`+lang+`-heading">`)
	if !ok {
		t.Fatalf("no section for %s", lang)
	}
	section, _, _ := strings.Cut(after, "</section>")
	return section
}

// The translation overview lists, per language, the texts that lack it and
// which of their parts, each linked to its form; only administrators see it.
func TestTranslationOverview(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		wantRedirect(t, post(t, b, "/admin/consultations", url.Values{
			"_csrf": {csrf}, "slug": {"rad"}, "phase": {"draft"}, "moderation": {"pre"},
			"title.de": {"Radverkehr"}, "title.en": {"Cycling"}, "title.tr": {"Bisiklet"}, "description.de": {"Wie fahren wir Rad?"}, "description.tr": {"Nasıl?"},
			"guidelines.de": {"Sicher.\r\nSchnell."}, "guidelines.tr": {"Güvenli."},
			"theme_rows": {"1"}, "themes.0.key": {"klima"}, "themes.0.title.de": {"Klima"}, "themes.0.title.en": {"Climate"},
		}), "/admin/consultations/rad")
		r := post(t, b, "/admin/consultations/rad/fields", url.Values{"_csrf": {csrf}, "slug": {"wege"}, "title.de": {"Radwege"}, "title.en": {"Cycle paths"}})
		field := strings.TrimPrefix(r.Header.Get("Location"), "/admin/fields/")
		m, err := s.App.Consultations.CreateMeasure(t.Context(), b.UserID, groupID(t, field), consultations.MeasureInput{
			Title: locale.Text{"de": "Breitere Radwege"}, Summary: locale.Text{"de": "Zwei Meter überall."},
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		r = post(t, b, "/admin/groups", url.Values{"_csrf": {csrf}, "name.de": {"AG Rad"}, "name.en": {"Cycling group"}, "name.tr": {"Bisiklet grubu"}})
		group := r.Header.Get("Location")

		r = b.Get("/admin/translations")
		if r.Status != http.StatusOK {
			t.Fatalf("status %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		page := r.Text()
		en, tr := languageSection(t, page, "en"), languageSection(t, page, "tr")
		for _, want := range []string{
			`Verfahren:</span> <a href="/admin/consultations/rad">Radverkehr</a> – fehlt: Beschreibung, Leitlinien</li>`,
			`Maßnahme:</span> <a href="/measures/` + itoa(m.ID) + `/edit">Breitere Radwege</a> – fehlt: Titel, Kurzbeschreibung</li>`,
		} {
			if !strings.Contains(en, want) {
				t.Errorf("the English gaps lack %q: %s", want, en)
			}
		}
		for _, unwanted := range []string{`href="/admin/consultations/rad#field-themes.0.key"`, `href="/admin/fields/` + field + `"`, `href="` + group + `"`} {
			if strings.Contains(en, unwanted) {
				t.Errorf("the English gaps list %s, which is translated", unwanted)
			}
		}
		for _, want := range []string{
			`<a href="/admin/consultations/rad">Radverkehr</a> – fehlt: Leitlinien</li>`,
			`Querschnittsthema:</span> <a href="/admin/consultations/rad#field-themes.0.key">Klima</a> – fehlt: Titel</li>`,
			`Handlungsfeld:</span> <a href="/admin/fields/` + field + `">Radwege</a> – fehlt: Titel</li>`,
		} {
			if !strings.Contains(tr, want) {
				t.Errorf("the Turkish gaps lack %q", want)
			}
		}
		if strings.Contains(tr, `href="`+group+`"`) || !strings.Contains(languageSection(t, page, "uk"), `href="`+group+`"`) {
			t.Error("the group is listed where its name is translated, or not where it is missing")
		}
		if !strings.Contains(b.Get("/admin").Text(), `<a href="/admin/translations">`) {
			t.Error("the administration does not link the overview")
		}
		if r := b.Get("/admin/translations?lang=ar"); r.Status != http.StatusOK || !strings.Contains(r.Text(), `href="#lang-uk-heading"`) {
			t.Fatalf("in Arabic: %d", r.Status)
		}

		for _, role := range []string{"expert", "moderator"} {
			s.AccountAs(role+"@example.org", "Person "+role, role)
			if r := s.Browser(role+"@example.org", "a-good-password").Get("/admin/translations"); r.Status != http.StatusForbidden {
				t.Errorf("a %s sees the overview: %d", role, r.Status)
			}
		}
		if r := s.Client().Get("/admin/translations"); r.Status != http.StatusSeeOther {
			t.Errorf("anonymous: %d", r.Status)
		}
	})
}
