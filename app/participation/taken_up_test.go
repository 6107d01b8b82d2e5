package participation_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// What became of my contributions: /me shows, for each, its moderation
// state, the expert group's answer and, for an idea, the measure it was
// taken up in (titled in the reader's language, linked); /me/export
// carries the same.
func TestMyContributionsShowTheMeasure(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		bildung := expertOf(t, s, "bildung@example.org", "Berta Bildung", 1)
		alice := s.Register("alice@example.org", "Alice")
		browser := s.Browser("alice@example.org", "a-good-password")
		var idea created
		alice.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Lernwerkstatt", "body": "Ein Ort zum Lernen."}).JSON(t, &idea)
		comment := contribute(t, alice, fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), "Ein Kommentar zur eigenen Idee.", 0)
		const answerText = "Wir nehmen die Lernwerkstatt in die Lots*innen-Maßnahme auf."
		if r := bildung.Do("POST", fmt.Sprintf("/api/v1/expert-groups/1/inbox/idea/%d/triage", idea.ID),
			map[string]string{"state": "adopted", "response": answerText}); r.Status != http.StatusOK {
			t.Fatalf("triage: %d %s", r.Status, r.Body)
		}

		type exported struct {
			ID           int64
			Status       string
			TriageState  string `json:"triage_state"`
			Response     *answer
			MeasureID    *int64  `json:"measure_id"`
			MeasureTitle *string `json:"measure_title"`
		}
		var export struct {
			Ideas    []exported
			Comments []exported
		}
		alice.Get("/api/v1/me/export").JSON(t, &export)
		if len(export.Ideas) != 1 || export.Ideas[0].MeasureID != nil || export.Ideas[0].MeasureTitle != nil {
			t.Fatalf("/me/export before the idea was taken up: %+v", export.Ideas)
		}
		if me := browser.Get("/me?lang=en").Text(); strings.Contains(me, `href="/m/3"`) {
			t.Fatal("/me names a measure before the idea was taken up")
		}

		if r := s.Admin().Do("PUT", fmt.Sprintf("/api/v1/measures/3/ideas/%d", idea.ID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("take up: %d %s", r.Status, r.Body)
		}
		for lang, title := range map[string]string{"en": "Education guides for newly arrived families", "de": "Bildungslots*innen für neu zugewanderte Familien"} {
			me := browser.Get("/me?lang=" + lang).Text()
			taken := map[string]string{"en": "Taken up in the measure:", "de": "Aufgegriffen in der Maßnahme:"}[lang]
			group := map[string]string{"en": "Expert group Education", "de": "Expert*innengruppe Bildung"}[lang]
			var card string
			for _, li := range strings.Split(me, `<li class="card">`) {
				if strings.Contains(li, ">Lernwerkstatt</a>") {
					card, _, _ = strings.Cut(li, "</li>")
				}
			}
			for _, want := range []string{`href="/m/3"`, title, taken, answerText, group, `status-published`} {
				if !strings.Contains(card, want) {
					t.Errorf("/me?lang=%s: the idea's card lacks %q", lang, want)
				}
			}
			// The comment on the idea names no measure of its own.
			if n := strings.Count(me, taken); n != 1 {
				t.Errorf("/me?lang=%s names the measure %d times, want once (the idea)", lang, n)
			}
		}

		alice.Get("/api/v1/me/export").JSON(t, &export)
		i, c := export.Ideas[0], export.Comments[0]
		if i.Status != "published" || i.TriageState != "adopted" || i.Response == nil || i.Response.Text != answerText ||
			i.Response.Group == nil || i.Response.Group.ID != 1 || i.MeasureID == nil || *i.MeasureID != 3 ||
			i.MeasureTitle == nil || *i.MeasureTitle != "Bildungslots*innen für neu zugewanderte Familien" {
			t.Errorf("/me/export's idea: %+v", i)
		}
		if c.ID != comment || c.Status != "published" || c.TriageState != "new" || c.MeasureID != nil {
			t.Errorf("/me/export's comment: %+v", c)
		}
	})
}
