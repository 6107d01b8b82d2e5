package experts_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
)

func account(t *testing.T, s *apptest.Server, email string, role access.Role, groups ...int64) *apptest.Client {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "a-good-password", DisplayName: strings.Split(email, "@")[0], Role: role, Groups: groups,
	}); err != nil {
		t.Fatal(err)
	}
	return s.Login(email, "a-good-password")
}

type created struct {
	ID     int64
	Status string
}

func post(t *testing.T, c *apptest.Client, path string, body any) created {
	t.Helper()
	var cr created
	r := c.Do("POST", path, body)
	if r.Status != 201 {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	r.JSON(t, &cr)
	return cr
}

// answer is an expert group's public answer: {text, group:{id,name}}.
type answer struct {
	Text  string
	Group *struct {
		ID   int64
		Name string
	}
}

type inbox struct {
	Items []struct {
		Kind        string
		ID          int64
		FieldID     int64 `json:"field_id"`
		Title       *string
		Body        string
		Tally       *struct{ For, Against, Neutral int }
		TriageState string `json:"triage_state"`
		Response    *answer
	}
	NextCursor *string `json:"next_cursor"`
}

func getInbox(t *testing.T, c *apptest.Client, group int64, query string) inbox {
	t.Helper()
	var in inbox
	r := c.Get(fmt.Sprintf("/api/v1/expert-groups/%d/inbox%s", group, query))
	if r.Status != 200 {
		t.Fatalf("inbox: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &in)
	return in
}

func TestInboxAndTriage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		resident := s.Register("res@example.org", "Resi")
		bildung := account(t, s, "bildung@example.org", access.Expert, 1)
		soziales := account(t, s, "soziales@example.org", access.Expert, 2)
		youth := account(t, s, "jugend@example.org", access.Expert, 7)
		mod := account(t, s, "mod@example.org", access.Moderator)

		idea := post(t, resident, "/api/v1/fields/1/ideas", map[string]any{"title": "Lernwerkstatt", "body": "Ein Ort zum Lernen.", "themes": []string{"diversitaet"}})
		time.Sleep(5 * time.Millisecond)
		comment := post(t, resident, "/api/v1/measures/1/comments", map[string]string{"body": "Gute Maßnahme."})
		time.Sleep(5 * time.Millisecond)
		post(t, resident, "/api/v1/fields/2/ideas", map[string]string{"title": "Sozialidee", "body": "Für Field 2."})
		resident.Do("PUT", fmt.Sprintf("/api/v1/ideas/%d/vote", idea.ID), map[string]int{"value": 1})
		// Pending content never reaches an inbox.
		admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "pre"})
		post(t, resident, "/api/v1/fields/1/ideas", map[string]string{"title": "Noch geheim", "body": "Wartet."})

		in := getInbox(t, bildung, 1, "")
		if len(in.Items) != 2 || in.Items[0].Kind != "comment" || in.Items[0].ID != comment.ID || in.Items[1].Kind != "idea" ||
			in.Items[1].Title == nil || *in.Items[1].Title != "Lernwerkstatt" || in.Items[1].Tally == nil || in.Items[1].Tally.For != 1 ||
			in.Items[1].TriageState != "new" || in.Items[1].Response != nil {
			t.Fatalf("inbox of group 1 (newest first): %+v", in.Items)
		}
		if in := getInbox(t, youth, 7, ""); len(in.Items) != 3 {
			t.Fatalf("the youth group serves every field: %d items", len(in.Items))
		}
		if in := getInbox(t, admin, 1, ""); len(in.Items) != 2 {
			t.Fatalf("admin: %d items", len(in.Items))
		}
		for _, refused := range []struct {
			name   string
			c      *apptest.Client
			status int
		}{{"anonymous", s.Client(), 401}, {"resident", resident, 403}, {"expert of another group", soziales, 403}, {"moderator", mod, 403}} {
			if r := refused.c.Get("/api/v1/expert-groups/1/inbox"); r.Status != refused.status {
				t.Errorf("%s on the inbox: %d", refused.name, r.Status)
			}
			if r := refused.c.Do("POST", fmt.Sprintf("/api/v1/expert-groups/1/inbox/idea/%d/triage", idea.ID), map[string]string{"state": "in_review"}); r.Status != refused.status {
				t.Errorf("%s triaging: %d", refused.name, r.Status)
			}
			if r := refused.c.Get("/experts/1"); r.Status == 200 {
				t.Errorf("%s sees the group page", refused.name)
			}
		}
		if r := bildung.Get("/api/v1/expert-groups/999/inbox"); r.Status != 404 {
			t.Fatalf("unknown group: %d", r.Status)
		}

		// Filters: state, field, theme.
		if in := getInbox(t, youth, 7, "?field=2"); len(in.Items) != 1 || *in.Items[0].Title != "Sozialidee" {
			t.Fatalf("field filter: %+v", in.Items)
		}
		if in := getInbox(t, bildung, 1, "?theme=diversitaet"); len(in.Items) != 1 || in.Items[0].ID != idea.ID {
			t.Fatalf("theme filter on ideas: %+v", in.Items)
		}
		if in := getInbox(t, bildung, 1, "?theme=gleichbehandlung"); len(in.Items) != 1 || in.Items[0].ID != comment.ID {
			t.Fatalf("theme filter through the measure's themes: %+v", in.Items)
		}
		if r := bildung.Get("/api/v1/expert-groups/1/inbox?state=done"); r.Status != 422 {
			t.Fatalf("unknown state filter: %d", r.Status)
		}
		if in := getInbox(t, bildung, 1, "?limit=1"); len(in.Items) != 1 || in.NextCursor == nil {
			t.Fatalf("first page: %+v", in)
		} else if next := getInbox(t, bildung, 1, "?limit=1&cursor="+*in.NextCursor); len(next.Items) != 1 || next.Items[0].ID != idea.ID || next.NextCursor != nil {
			t.Fatalf("second page: %+v", next)
		}

		// Triage with a public answer.
		triage := func(c *apptest.Client, group int64, kind string, id int64, body map[string]string) *apptest.Response {
			return c.Do("POST", fmt.Sprintf("/api/v1/expert-groups/%d/inbox/%s/%d/triage", group, kind, id), body)
		}
		if r := triage(bildung, 1, "idea", idea.ID, map[string]string{"state": "in_review"}); r.Status != 200 {
			t.Fatalf("in_review: %d %s", r.Status, r.Body)
		}
		if r := triage(bildung, 1, "idea", idea.ID, map[string]string{"state": "new"}); r.Status != 422 {
			t.Fatalf("back to new: %d", r.Status)
		}
		answer := "Wir nehmen die Lernwerkstatt in die Planung 2027 auf."
		if r := triage(bildung, 1, "idea", idea.ID, map[string]string{"state": "adopted", "response": answer}); r.Status != 200 {
			t.Fatalf("adopted: %d %s", r.Status, r.Body)
		}
		r := s.Client().Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID))
		if !strings.Contains(r.Text(), `"triage_state":"adopted"`) || !strings.Contains(r.Text(), answer) {
			t.Fatalf("the idea does not show the answer: %s", r.Body)
		}
		if page := s.Client().Get(fmt.Sprintf("/i/%d", idea.ID)).Text(); !strings.Contains(page, answer) || !strings.Contains(page, "Übernommen") {
			t.Fatal("the idea page does not show the answer")
		}
		if r := triage(bildung, 1, "comment", comment.ID, map[string]string{"state": "considered"}); r.Status != 200 {
			t.Fatalf("comment triage: %d", r.Status)
		}
		if in := getInbox(t, bildung, 1, "?state=adopted"); len(in.Items) != 1 || in.Items[0].ID != idea.ID {
			t.Fatalf("state filter: %+v", in.Items)
		}
		// Items outside the group's fields do not exist for it.
		var other inbox
		youth.Get("/api/v1/expert-groups/7/inbox?field=2").JSON(t, &other)
		if r := triage(bildung, 1, "idea", other.Items[0].ID, map[string]string{"state": "in_review"}); r.Status != 404 {
			t.Fatalf("triage of another field's idea: %d", r.Status)
		}
		if r := triage(bildung, 1, "essay", idea.ID, map[string]string{"state": "in_review"}); r.Status != 404 {
			t.Fatalf("unknown kind: %d", r.Status)
		}
		var events int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM events WHERE type = 'expert.inbox' AND topics = ',expert-group:1,'").Scan(t.Context(), &events); err != nil || events < 4 {
			t.Fatalf("%d expert.inbox events for group 1 (%v)", events, err)
		}
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM events WHERE type = 'idea.updated' AND topics LIKE ?", fmt.Sprintf("%%,idea:%d,%%", idea.ID)).Scan(t.Context(), &events); err != nil || events != 2 {
			t.Fatalf("%d idea.updated events (%v)", events, err)
		}
	})
}

// Experts work through their page without JavaScript: triage, a new
// measure, and a measure's status.
func TestGroupPage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		resident := s.Register("res@example.org", "Resi")
		idea := post(t, resident, "/api/v1/fields/1/ideas", map[string]string{"title": "Seitenidee", "body": "Text."})
		account(t, s, "bildung@example.org", access.Expert, 1)
		b := s.Browser("bildung@example.org", "a-good-password")
		page := b.Get("/experts/1")
		if page.Status != 200 || !strings.Contains(page.Text(), "Seitenidee") || !strings.Contains(page.Text(), `data-inbox-count="new">1<`) ||
			!strings.Contains(page.Text(), `href="/experts/1"`) {
			t.Fatalf("group page: %d", page.Status)
		}
		csrf := b.CSRF
		b.CSRF = ""
		form := func(v url.Values) url.Values { v.Set("_csrf", csrf); return v }
		r := b.Do("POST", fmt.Sprintf("/experts/1/inbox/idea/%d/triage", idea.ID), form(url.Values{"state": {"considered"}, "response": {"Danke, wir prüfen das."}}))
		if r.Status != 303 {
			t.Fatalf("triage form: %d", r.Status)
		}
		if !strings.Contains(s.Client().Get(fmt.Sprintf("/i/%d", idea.ID)).Text(), "Danke, wir prüfen das.") {
			t.Fatal("the answer is not on the idea page")
		}
		r = b.Do("POST", fmt.Sprintf("/experts/1/inbox/idea/%d/triage", idea.ID), form(url.Values{"state": {"finished"}}))
		if r.Status != 422 {
			t.Fatalf("bad triage form: %d", r.Status)
		}
		r = b.Do("POST", "/experts/1/measures", form(url.Values{"field_id": {"1"}, "title_de": {"x"}, "summary_de": {"Kurz"}}))
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-measure-title_de"`) {
			t.Fatalf("bad measure form: %d", r.Status)
		}
		r = b.Do("POST", "/experts/1/measures", form(url.Values{"field_id": {"2"}, "title_de": {"Fremdes Feld"}, "summary_de": {"Kurz"}}))
		if r.Status != 422 {
			t.Fatalf("measure in another group's field: %d", r.Status)
		}
		r = b.Do("POST", "/experts/1/measures", form(url.Values{"field_id": {"1"}, "title_de": {"Schulgärten"}, "title_en": {"School gardens"}, "summary_de": {"Gärten an allen Schulen."}, "themes": {"diversitaet"}}))
		if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/m/") {
			t.Fatalf("measure form: %d %s", r.Status, r.Body)
		}
		measurePath := r.Header.Get("Location")
		m := b.Get(measurePath).Text()
		if !strings.Contains(m, "Schulgärten") || !strings.Contains(m, "/edit") {
			t.Fatal("the new measure page lacks its title or the edit link")
		}
		edit := measurePath[len("/m/"):]
		if r := b.Get("/measures/" + edit + "/edit"); r.Status != 200 || !strings.Contains(r.Text(), `value="School gardens"`) {
			t.Fatalf("edit page: %d", r.Status)
		}
		r = b.Do("POST", "/measures/"+edit+"/edit", form(url.Values{"status": {"in_discussion"}, "statement_de": {"Der Ausschuss berät im Mai."}, "title_de": {"Schulgärten für alle"}, "summary_de": {"Gärten an allen Schulen."}, "themes": {"diversitaet", "gleichbehandlung"}}))
		if r.Status != 303 {
			t.Fatalf("edit form: %d %s", r.Status, r.Body)
		}
		if page := s.Client().Get(measurePath).Text(); !strings.Contains(page, "Schulgärten für alle") || !strings.Contains(page, "In Diskussion") || strings.Contains(page, "/edit") {
			t.Fatal("the measure page does not show the change (or shows the edit link to the public)")
		}
		r = b.Do("POST", "/measures/"+edit+"/edit", form(url.Values{"status": {"in_discussion"}, "title_de": {""}, "summary_de": {"s"}}))
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-title_de"`) {
			t.Fatalf("edit without a title: %d", r.Status)
		}
		if r := resident.Get("/measures/" + edit + "/edit"); r.Status != 403 {
			t.Fatalf("a resident's edit page: %d", r.Status)
		}
	})
}
