package consultations_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

type recordJSON struct {
	ID      int64
	Status  string
	Lead    *string
	History []struct {
		Status    string
		Statement *string
		CreatedAt string `json:"created_at"`
	}
	Milestones []struct {
		ID     int64
		Title  string
		DueOn  *string `json:"due_on"`
		DoneOn *string `json:"done_on"`
	}
	Documents []struct{ Title, URL string }
	Ideas     []int64
}

func count(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.App.Store.DB.NewRaw(query, args...).Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A measure's public record: statements with every status change, the
// lead, milestones, documents and ideas taken up, each change announced.
func TestMeasureRecord(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		bildung := expert(t, s, "bildung@example.org", 1)
		soziales := expert(t, s, "soziales@example.org", 2)
		resident := s.Register("res@example.org", "Resi")
		voter := s.Register("voter@example.org", "Vera")
		if r := voter.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		var m recordJSON
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if len(m.History) != 1 || m.History[0].Status != "proposed" || m.History[0].Statement != nil || m.Lead != nil ||
			len(m.Milestones) != 0 || len(m.Documents) != 0 || m.Ideas == nil {
			t.Fatalf("a measure's record before any change: %+v", m)
		}
		events := func() int {
			return count(t, s, "SELECT COUNT(*) FROM events WHERE type = 'measure.updated' AND topics LIKE '%,measure:1,%'")
		}

		// A status change needs a statement with German.
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"status": "adopted"}, `"field":"statement"`},
			{map[string]any{"status": "adopted", "statement": map[string]string{"en": "Decided."}}, `"field":"statement.de"`},
			{map[string]any{"lead": map[string]string{"de": strings.Repeat("x", 201)}}, `"field":"lead.de"`},
		} {
			if r := bildung.Do("PATCH", "/api/v1/measures/1", bad.body); r.Status != 422 || !strings.Contains(r.Text(), bad.field) {
				t.Errorf("%v: %d %s", bad.body, r.Status, r.Body)
			}
		}
		r := bildung.Do("PATCH", "/api/v1/measures/1?lang=en", map[string]any{
			"status":    "adopted",
			"statement": map[string]string{"de": "Der Rat hat die Maßnahme am 3. März beschlossen.", "en": "The council adopted it on 3 March."},
			"lead":      map[string]string{"de": "Fachbereich Bildung", "en": "Education department"},
		})
		r.JSON(t, &m)
		if r.Status != 200 || m.Status != "adopted" || len(m.History) != 2 || m.History[1].Status != "adopted" ||
			m.History[1].Statement == nil || *m.History[1].Statement != "The council adopted it on 3 March." || m.Lead == nil || *m.Lead != "Education department" {
			t.Fatalf("status change: %d %s", r.Status, r.Body)
		}
		if n := events(); n != 1 {
			t.Fatalf("%d measure.updated events after the status change", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM notifications WHERE kind = 'measure_status'"); n != 1 {
			t.Fatalf("%d measure_status notifications (the voter)", n)
		}
		// The same status again is no change: no statement needed, no entry.
		if r := bildung.Do("PATCH", "/api/v1/measures/1", map[string]any{"status": "adopted", "lead": nil}); r.Status != 200 {
			t.Fatalf("same status: %d %s", r.Status, r.Body)
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if len(m.History) != 2 || m.Lead != nil {
			t.Fatalf("lead: null removes the lead, the same status adds no entry: %+v", m)
		}

		// Milestones and documents are replaced whole.
		milestones := []map[string]any{
			{"title": map[string]string{"de": "Konzept", "ar": "المفهوم"}, "due_on": "2027-03-31", "done_on": "2027-03-20"},
			{"title": map[string]string{"de": "Start an zehn Schulen"}, "due_on": "2027-09-01", "done_on": nil},
		}
		r = bildung.Do("PUT", "/api/v1/measures/1/milestones?lang=ar", milestones)
		r.JSON(t, &m)
		if r.Status != 200 || len(m.Milestones) != 2 || m.Milestones[0].Title != "المفهوم" || *m.Milestones[0].DueOn != "2027-03-31" ||
			*m.Milestones[0].DoneOn != "2027-03-20" || m.Milestones[1].DoneOn != nil || m.Milestones[1].Title != "Start an zehn Schulen" {
			t.Fatalf("milestones: %d %s", r.Status, r.Body)
		}
		// A milestone newly reached is news for the voter, as a status change.
		if n := count(t, s, "SELECT COUNT(*) FROM notifications WHERE kind = 'measure_status'"); n != 2 {
			t.Fatalf("%d measure_status notifications after a milestone was reached (want 2)", n)
		}
		bildung.Do("PUT", "/api/v1/measures/1/milestones", milestones)
		if n := count(t, s, "SELECT COUNT(*) FROM notifications WHERE kind = 'measure_status'"); n != 2 {
			t.Fatalf("%d measure_status notifications after the same milestones again (want 2)", n)
		}
		docs := []map[string]any{{"title": map[string]string{"de": "Ratsdrucksache 1234/2026"}, "url": "https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/1234-2026"}}
		if r := bildung.Do("PUT", "/api/v1/measures/1/documents", docs); r.Status != 200 || !strings.Contains(r.Text(), `"url":"https://e-government.hannover-stadt.de/`) {
			t.Fatalf("documents: %d %s", r.Status, r.Body)
		}
		for _, bad := range []struct {
			path  string
			body  any
			field string
		}{
			{"milestones", []map[string]any{{"title": map[string]string{"de": "Konzept"}, "due_on": "31.03.2027"}}, `"field":"milestones[0].due_on"`},
			{"milestones", []map[string]any{{"title": map[string]string{"en": "Concept"}}}, `"field":"milestones[0].title.de"`},
			{"documents", []map[string]any{{"title": map[string]string{"de": "Skript"}, "url": "javascript:alert(1)"}}, `"field":"documents[0].url"`},
			{"documents", []map[string]any{{"title": map[string]string{"de": "Unsicher"}, "url": "http://example.org/a.pdf"}}, `"field":"documents[0].url"`},
			{"documents", map[string]any{"title": "kein Array"}, `"status":400`},
		} {
			if r := bildung.Do("PUT", "/api/v1/measures/1/"+bad.path, bad.body); (r.Status != 422 && r.Status != 400) || !strings.Contains(r.Text(), bad.field) {
				t.Errorf("%s %v: %d %s", bad.path, bad.body, r.Status, r.Body)
			}
		}

		// Ideas are taken up: published ones of the same consultation only.
		var idea, other struct {
			ID     int64
			Status string
		}
		resident.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Elterncafé", "body": "Ein Treffpunkt für Eltern."}).JSON(t, &idea)
		resident.Do("POST", "/api/v1/fields/2/ideas", map[string]string{"title": "Zweite Idee", "body": "Noch eine Idee."}).JSON(t, &other)
		// The demo moderates before publishing; a moderator's decision is
		// not what this test is about.
		exec(t, s, "UPDATE ideas SET status = 'published', published_at = updated_at WHERE id IN (?, ?)", idea.ID, other.ID)
		before := events()
		if r := bildung.Do("PUT", "/api/v1/measures/1/ideas/"+itoa(idea.ID), nil); r.Status != 204 {
			t.Fatalf("take up: %d %s", r.Status, r.Body)
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if len(m.Ideas) != 1 || m.Ideas[0] != idea.ID {
			t.Fatalf("ideas %v", m.Ideas)
		}
		if r := s.Client().Get("/api/v1/ideas/" + itoa(idea.ID)); !strings.Contains(r.Text(), `"measure_id":1`) {
			t.Fatalf("the idea names its measure: %s", r.Body)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'res@example.org' AND n.kind = 'answer'"); n != 1 {
			t.Fatalf("%d notifications to the idea's author", n)
		}
		// Taking it up in another measure of the consultation moves it.
		if r := s.Admin().Do("PUT", "/api/v1/measures/2/ideas/"+itoa(idea.ID), nil); r.Status != 204 {
			t.Fatalf("move: %d %s", r.Status, r.Body)
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if len(m.Ideas) != 0 {
			t.Fatalf("the idea moved, measure 1 still lists %v", m.Ideas)
		}
		if n := events() - before; n != 2 {
			t.Fatalf("%d measure.updated events on measure 1 for taking up and moving (want 2)", n)
		}
		if r := s.Admin().Do("DELETE", "/api/v1/measures/2/ideas/"+itoa(idea.ID), nil); r.Status != 204 || strings.Contains(s.Client().Get("/api/v1/ideas/"+itoa(idea.ID)).Text(), `"measure_id":2`) {
			t.Fatalf("drop: %d", r.Status)
		}
		exec(t, s, "UPDATE ideas SET status = 'hidden' WHERE id = ?", other.ID)
		if r := bildung.Do("PUT", "/api/v1/measures/1/ideas/"+itoa(other.ID), nil); r.Status != 422 || !strings.Contains(r.Text(), `"field":"idea_id"`) {
			t.Fatalf("a hidden idea: %d %s", r.Status, r.Body)
		}
		if r := bildung.Do("PUT", "/api/v1/measures/1/ideas/99999", nil); r.Status != 404 {
			t.Fatalf("an unknown idea: %d", r.Status)
		}

		// Only experts of the field's groups and admins keep the record.
		for _, refused := range []struct {
			name   string
			c      *apptest.Client
			status int
		}{{"anonymous", s.Client(), 401}, {"resident", resident, 403}, {"expert of another field", soziales, 403}} {
			for _, req := range []struct {
				method, path string
				body         any
			}{
				{"PUT", "/api/v1/measures/1/milestones", milestones},
				{"PUT", "/api/v1/measures/1/documents", docs},
				{"PUT", "/api/v1/measures/1/ideas/" + itoa(idea.ID), nil},
				{"DELETE", "/api/v1/measures/1/ideas/" + itoa(idea.ID), nil},
			} {
				if r := refused.c.Do(req.method, req.path, req.body); r.Status != refused.status {
					t.Errorf("%s: %s %s: %d", refused.name, req.method, req.path, r.Status)
				}
			}
		}
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// exec changes the database as a test's premise, through the one writer.
func exec(t *testing.T, s *apptest.Server, query string, args ...any) {
	t.Helper()
	if err := s.App.Store.Write(t.Context(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, query, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
