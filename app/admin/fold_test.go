package admin_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// translation finds the folded part of a form for one language: whether
// it is open, its summary and its inputs.
func translation(t *testing.T, page, lang string) (open bool, summary, body string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)<details class="translation"( open)?>\s*<summary><span lang="` + lang + `"[^>]*>.*?</summary>(.*?)</details>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no folded part for %s", lang)
	}
	summary, _, _ = strings.Cut(m[0], "</summary>")
	return m[1] != "", summary, m[2]
}

// The consultation and field forms fold every translation but German
// away, each saying how much of it is filled in; a translation with an
// error shows open, so the error summary's link reaches its field.
func TestTranslationsFoldAway(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		form := url.Values{
			"_csrf": {csrf}, "slug": {"rad"}, "phase": {"draft"}, "moderation": {"pre"},
			"title.de": {"Radverkehr"}, "description.de": {"Wie fahren wir Rad?"},
			"title.en": {"Cycling"}, "guidelines.en": {"Safe."}, "guidelines.de": {"Sicher."},
			"theme_rows": {"1"}, "themes.0.key": {"klima"}, "themes.0.title.de": {"Klima"}, "themes.0.title.uk": {"Клімат"},
		}
		wantRedirect(t, post(t, b, "/admin/consultations", form), "/admin/consultations/rad")
		page := b.Get("/admin/consultations/rad").Text()
		for lang, want := range map[string]string{"de": "3 von 5 ausgefüllt", "en": "2 von 5 ausgefüllt", "tr": "leer"} {
			open, summary, body := translation(t, page, lang)
			if open != (lang == "de") || !strings.Contains(summary, want) || !strings.Contains(body, `name="title.`+lang+`"`) {
				t.Errorf("%s: open %v, summary %q", lang, open, summary)
			}
		}
		if !regexp.MustCompile(`<details class="translation">\s*<summary>Übersetzungen – 1 von 5 ausgefüllt</summary>`).MatchString(page) {
			t.Error("the theme's translations are not folded with their count")
		}

		form.Set("title.en", strings.Repeat("x", 201))
		form.Set("themes.0.title.ar", strings.Repeat("x", 201))
		r := post(t, b, "/admin/consultations/rad", form)
		if r.Status != 422 {
			t.Fatalf("long English title: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		page = r.Text()
		open, summary, body := translation(t, page, "en")
		if !open || !strings.Contains(summary, "enthält Fehler") || !strings.Contains(body, `id="field-title.en"`) || !strings.Contains(page, `href="#field-title.en"`) {
			t.Errorf("the English part with the error: open %v, summary %q", open, summary)
		}
		if open, _, _ := translation(t, page, "tr"); open {
			t.Error("a translation without errors shows open")
		}
		if !regexp.MustCompile(`<details class="translation" open>\s*<summary>Übersetzungen – 2 von 5 ausgefüllt · `).MatchString(page) {
			t.Error("the theme's translations with an error are not open")
		}

		r = post(t, b, "/admin/fields/1", url.Values{"_csrf": {csrf}, "slug": {"bildung"}, "title.de": {"Bildung"}, "title.ru": {strings.Repeat("я", 201)}})
		if r.Status != 422 {
			t.Fatalf("long Russian field title: %d", r.Status)
		}
		if open, summary, _ := translation(t, r.Text(), "ru"); !open || !strings.Contains(summary, "1 von 2 ausgefüllt") {
			t.Errorf("the field form's Russian part: open %v, summary %q", open, summary)
		}
		if open, summary, _ := translation(t, b.Get("/admin/fields/1?lang=en").Text(), "de"); !open || !strings.Contains(summary, "complete") {
			t.Errorf("the field form's German part: open %v, summary %q", open, summary)
		}
	})
}
