package legal_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

type text struct {
	Key       string  `json:"key"`
	Title     string  `json:"title"`
	Body      string  `json:"body"`
	Lang      string  `json:"lang"`
	UpdatedAt *string `json:"updated_at"`
}

func TestLegalTexts(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		// Until the city writes its own, the catalogs' default text.
		var def text
		r := s.Client().Get("/api/v1/legal/impressum?lang=en")
		r.JSON(t, &def)
		if r.Status != 200 || def.Key != "impressum" || def.Title != "Imprint" || !strings.Contains(def.Body, "§ 5 DDG") || def.Lang != "en" || def.UpdatedAt != nil {
			t.Fatalf("default: %d %s", r.Status, r.Body)
		}

		body := map[string]any{"body": map[string]string{
			"de": "Stadt Musterstadt\nRathausplatz 1\n\nVertreten durch die Oberbürgermeisterin.",
			"en": "City of Musterstadt\nRathausplatz 1",
		}}
		r = admin.Do("PUT", "/api/v1/legal/impressum", body)
		var put text
		r.JSON(t, &put)
		if r.Status != 200 || !strings.HasPrefix(put.Body, "Stadt Musterstadt") || put.UpdatedAt == nil {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		// At once on the public page and the API, in every language.
		page := s.Client().Get("/impressum")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), "<p>Stadt Musterstadt<br>Rathausplatz 1</p><p>Vertreten durch die Oberbürgermeisterin.</p>") || strings.Contains(page.Text(), "§ 5 DDG") {
			t.Fatal("the page does not show the new text as paragraphs")
		}
		if page := s.Client().Get("/impressum?lang=en"); !strings.Contains(page.Text(), "City of Musterstadt") || !strings.Contains(page.Text(), "<h1>Imprint</h1>") {
			t.Fatal("the English page does not show the English text")
		}
		admin.Do("PUT", "/api/v1/legal/impressum", map[string]any{"body": map[string]string{"de": "Nur auf Deutsch."}})
		page = s.Client().Get("/impressum?lang=en")
		if !strings.Contains(page.Text(), `<div class="prose" lang="de"><p>Nur auf Deutsch.</p></div>`) {
			t.Fatal("a missing translation is not shown in German, marked as German")
		}
		var en text
		s.Client().Get("/api/v1/legal/impressum?lang=en").JSON(t, &en)
		if en.Body != "Nur auf Deutsch." || en.Lang != "de" {
			t.Fatalf("API fallback: %+v", en)
		}
		// The other page is untouched.
		if page := s.Client().Get("/datenschutz"); !strings.Contains(page.Text(), "Wir verarbeiten nur") {
			t.Fatal("the privacy notice lost its default text")
		}

		var entries []struct {
			ObjectID    string `bun:"object_id"`
			BeforeState string `bun:"before_state"`
			AfterState  string `bun:"after_state"`
		}
		if err := s.App.Store.DB.NewRaw("SELECT object_id, before_state, after_state FROM audit_log WHERE action = 'legal.update' ORDER BY id").Scan(t.Context(), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].ObjectID != "impressum" || entries[0].BeforeState != "{}" || !strings.Contains(entries[0].AfterState, "Musterstadt") ||
			!strings.Contains(entries[1].BeforeState, "Musterstadt") || entries[1].AfterState != `{"de":"Nur auf Deutsch."}` {
			t.Fatalf("audit %+v", entries)
		}

		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		cases := []struct {
			name   string
			as     *apptest.Client
			path   string
			body   any
			status int
			field  string
		}{
			{"anonymous", s.Client(), "/api/v1/legal/impressum", body, 401, ""},
			{"moderator", mod, "/api/v1/legal/impressum", body, 403, ""},
			{"unknown page", admin, "/api/v1/legal/agb", body, 404, ""},
			{"no german", admin, "/api/v1/legal/datenschutz", map[string]any{"body": map[string]string{"en": "Only English"}}, 422, "body.de"},
			{"unsupported language", admin, "/api/v1/legal/datenschutz", map[string]any{"body": map[string]string{"de": "Text", "fr": "Texte"}}, 422, "body.fr"},
			{"too long", admin, "/api/v1/legal/datenschutz", map[string]any{"body": map[string]string{"de": strings.Repeat("x", 50001)}}, 422, "body.de"},
			{"control character", admin, "/api/v1/legal/datenschutz", map[string]any{"body": map[string]string{"de": "a\u0001"}}, 422, "body.de"},
			{"body as a string", admin, "/api/v1/legal/datenschutz", map[string]any{"body": "Text"}, 422, "body"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.as.Do("PUT", c.path, c.body).WantProblem(t, c.status, c.field)
			})
		}
		if r := s.Client().Get("/api/v1/legal/agb"); r.Status != 404 {
			t.Fatalf("unknown page: %d", r.Status)
		}
	})
}
