package experts_test

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/locale"
)

// An inbox item is compact: its text, what a comment is about (linked),
// and the triage form folded away, its select showing the item's state.
func TestInboxItemsOnThePage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		resident := s.Register("res@example.org", "Resi")
		account(t, s, "bildung@example.org", access.Expert, 1)
		idea := post(t, resident, "/api/v1/fields/1/ideas", map[string]string{"title": "Lesepaten", "body": "Ältere lesen mit Kindern."})
		onMeasure := post(t, resident, "/api/v1/measures/1/comments", map[string]string{"body": "Gute Maßnahme."})
		onIdea := post(t, resident, fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), map[string]string{"body": "Ich lese gern vor."})
		var title locale.Text
		if err := s.App.Store.DB.NewRaw("SELECT title FROM measures WHERE id = 1").Scan(t.Context(), &title); err != nil {
			t.Fatal(err)
		}

		b := s.Browser("bildung@example.org", "a-good-password")
		page := b.Get("/experts/1")
		apptest.CheckPage(t, page, "de")
		text := page.Text()
		item := func(kind string, id int64) string {
			t.Helper()
			start := strings.Index(text, fmt.Sprintf(`id="triage-%s-%d"`, kind, id))
			if start < 0 {
				t.Fatalf("no %s %d in the inbox", kind, id)
			}
			end := strings.Index(text[start:], "</li>")
			return text[start : start+end]
		}
		for _, k := range []struct {
			kind string
			id   int64
			want []string
		}{
			{"idea", idea.ID, []string{`<option value="new" selected>Neu</option>`, "Ältere lesen mit Kindern."}},
			{"comment", onMeasure.ID, []string{`<option value="new" selected>Neu</option>`, `Zur Maßnahme: <a href="/m/1"`, ">" + html.EscapeString(title["de"]) + "</a>"}},
			{"comment", onIdea.ID, []string{fmt.Sprintf(`Zur Idee: <a href="/i/%d" lang="de" dir="auto">Lesepaten</a>`, idea.ID)}},
		} {
			got := item(k.kind, k.id)
			for _, want := range append(k.want, `<details class="triage">`, `<summary>Einordnen und antworten</summary>`) {
				if !strings.Contains(got, want) {
					t.Errorf("%s %d lacks %q:\n%s", k.kind, k.id, want, got)
				}
			}
		}

		// Saving an answer with "new" keeps the item new.
		csrf := b.CSRF
		b.CSRF = ""
		r := b.Do("POST", fmt.Sprintf("/experts/1/inbox/idea/%d/triage", idea.ID), url.Values{"_csrf": {csrf}, "state": {"new"}, "response": {"Wir melden uns."}})
		if r.Status != 303 {
			t.Fatalf("answer on a new item: %d %s", r.Status, r.Body)
		}
		in := getInbox(t, s.Login("bildung@example.org", "a-good-password"), 1, "?state=new")
		found := false
		for _, it := range in.Items {
			if it.Kind == "idea" && it.ID == idea.ID {
				found = it.Response != nil && it.Response.Text == "Wir melden uns."
			}
		}
		if !found {
			t.Fatalf("the idea is not new with its answer: %+v", in.Items)
		}
		page = b.Get("/experts/1")
		if !strings.Contains(page.Text(), `<option value="new" selected>Neu</option>`) {
			t.Error("the new idea's select does not show new after the answer")
		}
	})
}

// An empty inbox says whether nothing has come in yet or the filters
// leave nothing.
func TestEmptyInbox(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		account(t, s, "soziales@example.org", access.Expert, 2)
		b := s.Browser("soziales@example.org", "a-good-password")
		for _, k := range []struct{ query, want, not string }{
			{"", "Noch keine Beiträge in diesem Eingang.", "Keine Beiträge mit diesen Filtern."},
			{"?state=all", "Noch keine Beiträge in diesem Eingang.", "Keine Beiträge mit diesen Filtern."},
			{"?state=adopted", "Keine Beiträge mit diesen Filtern.", "Noch keine Beiträge"},
			{"?content_lang=ar", "Keine Beiträge mit diesen Filtern.", "Noch keine Beiträge"},
			{"?theme=diversitaet", "Keine Beiträge mit diesen Filtern.", "Noch keine Beiträge"},
		} {
			page := b.Get("/experts/2" + k.query)
			if page.Status != 200 || !strings.Contains(page.Text(), k.want) || strings.Contains(page.Text(), k.not) {
				t.Errorf("/experts/2%s: %d, want %q without %q", k.query, page.Status, k.want, k.not)
			}
		}
		if page := b.Get("/experts/2?lang=en"); !strings.Contains(page.Text(), "No contributions in this inbox yet.") {
			t.Error("the empty text is not translated")
		}
	})
}
