package participation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
)

// answer is an expert group's public answer: {text, group:{id,name}}.
type answer struct {
	Text  string
	Group *struct {
		ID   int64
		Name string
	}
}

// triaged is what ideas and comments answer about their triage.
type triaged struct {
	ID          int64
	TriageState string `json:"triage_state"`
	Response    *answer
}

// expertOf makes an expert of groups and signs them in.
func expertOf(t *testing.T, s *apptest.Server, email, name string, groups ...int64) *apptest.Client {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "a-good-password", DisplayName: name, Role: access.Expert, Groups: groups,
	}); err != nil {
		t.Fatal(err)
	}
	return s.Login(email, "a-good-password")
}

func wantAnswer(t *testing.T, where string, got triaged, state, text string, group int64, name string) {
	t.Helper()
	a := got.Response
	switch {
	case got.TriageState != state:
		t.Errorf("%s: triage_state %q, want %q", where, got.TriageState, state)
	case text == "" && a != nil:
		t.Errorf("%s: response %+v, want null", where, *a)
	case text == "":
	case a == nil || a.Text != text:
		t.Errorf("%s: response %+v, want the text %q", where, a, text)
	case group == 0 && a.Group != nil:
		t.Errorf("%s: response group %+v, want null", where, *a.Group)
	case group != 0 && (a.Group == nil || a.Group.ID != group || a.Group.Name != name):
		t.Errorf("%s: response group %+v, want %d %q", where, a.Group, group, name)
	}
}

// An expert group's triage and public answer of a comment or an idea
// show wherever the item does, with the name of the group whose inbox it
// was given in: the API, live events, pages (also kept ones), /me and
// /me/export.
func TestExpertAnswersShowWithTheirGroup(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		bildung := expertOf(t, s, "bildung@example.org", "Berta Bildung", 1)
		youth := expertOf(t, s, "jugend@example.org", "Jo Jugend", 7)
		alice := s.Register("alice@example.org", "Alice")
		browser := s.Browser("alice@example.org", "a-good-password")
		anon := s.Client()
		comment := contribute(t, alice, "/api/v1/measures/1/comments", "Ein Kommentar zur Maßnahme.", 0)
		var idea created
		alice.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Lernwerkstatt", "body": "Ein Ort zum Lernen."}).JSON(t, &idea)
		ideaComment := contribute(t, alice, fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), "Ein Kommentar zur Idee.", 0)
		settle(t, s)
		anon.Get("/m/1") // kept before the answer

		triage := func(c *apptest.Client, group int64, kind string, id int64, body map[string]string) triaged {
			t.Helper()
			r := c.Do("POST", fmt.Sprintf("/api/v1/expert-groups/%d/inbox/%s/%d/triage", group, kind, id), body)
			var out triaged
			r.JSON(t, &out)
			if r.Status != http.StatusOK {
				t.Fatalf("triage %s %d by group %d: %d %s", kind, id, group, r.Status, r.Body)
			}
			return out
		}
		const (
			commentAnswer = "Wir prüfen das im Schulausschuss."
			ideaAnswer    = "Die Lernwerkstatt kommt in die Planung 2027."
			youthAnswer   = "Die Jugend unterstützt das."
			bildungName   = "Expert*innengruppe Bildung"
			youthName     = "AG postmigrantisch"
		)
		out := triage(bildung, 1, "comment", comment, map[string]string{"state": "considered", "response": commentAnswer})
		wantAnswer(t, "the triage's answer", out, "considered", commentAnswer, 1, bildungName)
		triage(youth, 7, "comment", ideaComment, map[string]string{"state": "in_review", "response": youthAnswer})
		triage(bildung, 1, "idea", idea.ID, map[string]string{"state": "in_review"})
		// The page form records its group as the API does.
		b := s.Browser("bildung@example.org", "a-good-password")
		csrf := b.CSRF
		b.CSRF = ""
		if r := b.Do("POST", fmt.Sprintf("/experts/1/inbox/idea/%d/triage", idea.ID),
			url.Values{"_csrf": {csrf}, "state": {"adopted"}, "response": {ideaAnswer}}); r.Status != http.StatusSeeOther {
			t.Fatalf("triage form: %d %s", r.Status, r.Body)
		}
		settle(t, s)

		// The API: the comment list, the idea, the field's ideas, the inbox.
		find := func(path string, id int64) triaged {
			t.Helper()
			var list struct{ Items []triaged }
			anon.Get(path).JSON(t, &list)
			for _, it := range list.Items {
				if it.ID == id {
					return it
				}
			}
			t.Fatalf("%s does not list %d", path, id)
			return triaged{}
		}
		wantAnswer(t, "the measure's comment list", find("/api/v1/measures/1/comments", comment), "considered", commentAnswer, 1, bildungName)
		wantAnswer(t, "the idea's comment list", find(fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), ideaComment), "in_review", youthAnswer, 7, youthName)
		wantAnswer(t, "the field's idea list", find("/api/v1/fields/1/ideas", idea.ID), "adopted", ideaAnswer, 1, bildungName)
		var got triaged
		anon.Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID)).JSON(t, &got)
		wantAnswer(t, "the idea", got, "adopted", ideaAnswer, 1, bildungName)
		var inbox struct{ Items []triaged }
		bildung.Get("/api/v1/expert-groups/1/inbox").JSON(t, &inbox)
		for _, it := range inbox.Items {
			if it.ID == comment && it.Response == nil {
				t.Error("the inbox lacks the comment's answer")
			}
		}
		// In English the group's name is the English one.
		wantAnswer(t, "the idea in English", func() triaged {
			var g triaged
			anon.Get(fmt.Sprintf("/api/v1/ideas/%d?lang=en", idea.ID)).JSON(t, &g)
			return g
		}(), "adopted", ideaAnswer, 1, "Expert group Education")

		// Live events carry the item as the list shows it.
		latest := func(typ, topic string) triaged {
			t.Helper()
			var data []string
			if err := s.App.Store.DB.NewRaw("SELECT data FROM events WHERE type = ? AND topics LIKE ? ORDER BY id DESC LIMIT 1", typ, "%,"+topic+",%").Scan(t.Context(), &data); err != nil || len(data) == 0 {
				t.Fatalf("no %s event on %s (%v)", typ, topic, err)
			}
			var ev struct {
				Comment *triaged
				triaged
			}
			if err := json.Unmarshal([]byte(data[0]), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Comment != nil {
				return *ev.Comment
			}
			return ev.triaged
		}
		wantAnswer(t, "comment.published after the triage", latest("comment.published", "measure:1"), "considered", commentAnswer, 1, bildungName)
		wantAnswer(t, "idea.updated after the triage", latest("idea.updated", fmt.Sprintf("idea:%d", idea.ID)), "adopted", ideaAnswer, 1, bildungName)

		// Pages, in German and in Arabic; the measure page again from the cache.
		pages := []struct {
			path  string
			texts []string
		}{
			{"/m/1", []string{commentAnswer, bildungName, "Berücksichtigt"}},
			{"/m/1", []string{commentAnswer, bildungName}},
			{fmt.Sprintf("/i/%d", idea.ID), []string{ideaAnswer, youthAnswer, youthName, bildungName, "In Prüfung"}},
			{"/f/1", []string{ideaAnswer, bildungName}},
			// (?lang= is kept in a cookie: the pages below ask for German again.)
			{"/m/1?lang=ar", []string{commentAnswer, "ردّ من", bildungName}},
			{fmt.Sprintf("/i/%d?lang=ar", idea.ID), []string{ideaAnswer, "ردّ من", `lang="de" dir="ltr"`}},
			{"/f/1?lang=de", []string{ideaAnswer, bildungName}},
		}
		for _, c := range []*apptest.Client{anon, browser} {
			for _, p := range pages {
				r := c.Get(p.path)
				for _, want := range p.texts {
					if !strings.Contains(r.Text(), want) {
						t.Errorf("%s lacks %q", p.path, want)
					}
				}
			}
		}
		me := browser.Get("/me?lang=de").Text()
		for _, want := range []string{commentAnswer, ideaAnswer, youthAnswer, bildungName, youthName, "Übernommen"} {
			if !strings.Contains(me, want) {
				t.Errorf("/me lacks %q", want)
			}
		}
		var export struct {
			Format   string
			Ideas    []triaged
			Comments []triaged
		}
		alice.Get("/api/v1/me/export").JSON(t, &export)
		if export.Format != "mitreden-export/2" || len(export.Ideas) != 1 || len(export.Comments) != 2 {
			t.Fatalf("/me/export: %+v", export)
		}
		wantAnswer(t, "/me/export's idea", export.Ideas[0], "adopted", ideaAnswer, 1, bildungName)
		wantAnswer(t, "/me/export's comment", export.Comments[0], "considered", commentAnswer, 1, bildungName)
		// The feedback export prints the answer's text.
		if r := bildung.Get("/api/v1/expert-groups/1/export?format=csv"); !strings.Contains(r.Text(), ideaAnswer) || !strings.Contains(r.Text(), commentAnswer) {
			t.Error("the group's CSV export lacks the answers")
		}

		// An empty answer belongs to no group; an answer older than the
		// group's record, or whose group is gone, shows without one.
		wantAnswer(t, "an emptied answer", triage(bildung, 1, "comment", comment, map[string]string{"state": "considered", "response": ""}), "considered", "", 0, "")
		if n := count(t, s, "SELECT COUNT(*) FROM comments WHERE id = ? AND response_group_id IS NULL", comment); n != 1 {
			t.Error("an emptied answer keeps its group")
		}
		if err := s.App.Store.Write(t.Context(), func(ctx ctxT, tx txT) error {
			if _, err := tx.ExecContext(ctx, "UPDATE comments SET response = 'Eine alte Antwort.' WHERE id = ?", comment); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM expert_groups WHERE id = 7")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// The rows changed behind the application's back (it deletes no
		// group), so no event told the page cache: it is off from here.
		s.App.Pages.Cache.SetEnabled(false)
		wantAnswer(t, "an older answer", find("/api/v1/measures/1/comments", comment), "considered", "Eine alte Antwort.", 0, "")
		wantAnswer(t, "an answer of a deleted group", find(fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), ideaComment), "in_review", youthAnswer, 0, "")
		if page := anon.Get(fmt.Sprintf("/i/%d", idea.ID)).Text(); !strings.Contains(page, youthAnswer) || strings.Contains(page, youthName) {
			t.Error("the idea page does not show the deleted group's answer without its name")
		}
		if page := anon.Get("/m/1").Text(); !strings.Contains(page, "Eine alte Antwort.") || !strings.Contains(page, "Antwort der Expert*innengruppe") {
			t.Error("the measure page does not show an older answer under the general heading")
		}
	})
}
