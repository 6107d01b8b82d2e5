package consultations_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
)

func expert(t *testing.T, s *apptest.Server, email string, groups ...int64) *apptest.Client {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "expert-password", DisplayName: "Expertin", Role: access.Expert, Groups: groups,
	}); err != nil {
		t.Fatal(err)
	}
	return s.Login(email, "expert-password")
}

func TestMeasures(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		var list struct {
			Items []struct {
				ID           int64
				FieldID      int64 `json:"field_id"`
				Title        string
				Status       string
				Themes       []string
				Example      bool
				CommentCount int `json:"comment_count"`
				Tally        struct{ For, Against, Neutral int }
			}
			NextCursor *string `json:"next_cursor"`
		}
		s.Client().Get("/api/v1/fields/1/measures?lang=en").JSON(t, &list)
		if len(list.Items) != 3 || list.Items[0].Title != "Multilingual parents' evenings at primary schools" || !list.Items[0].Example ||
			list.Items[0].Status != "proposed" || len(list.Items[0].Themes) != 2 || list.Items[0].FieldID != 1 {
			t.Fatalf("measures %+v", list.Items)
		}
		s.Client().Get("/api/v1/fields/1/measures?limit=2").JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0].ID != 1 || list.Items[1].ID != 2 || list.NextCursor == nil {
			t.Fatalf("first page %+v", list)
		}
		s.Client().Get("/api/v1/fields/1/measures?limit=2&cursor="+*list.NextCursor).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != 3 || list.NextCursor != nil {
			t.Fatalf("second page %+v", list)
		}

		bildung := expert(t, s, "bildung@example.org", 1)
		youth := expert(t, s, "jugend@example.org", 7)
		soziales := expert(t, s, "soziales@example.org", 2)
		resident := s.Register("res@example.org", "Resi")
		measure := map[string]any{
			"title":       map[string]string{"de": "Sprachförderung in Kitas", "en": "Language support in day care"},
			"summary":     map[string]string{"de": "Mehr Stunden für Sprachförderung."},
			"description": map[string]string{"de": "Ausführlich."},
			"themes":      []string{"diversitaet"},
		}
		r := bildung.Do("POST", "/api/v1/fields/1/measures", measure)
		if r.Status != 201 {
			t.Fatalf("expert of the field's group: %d %s", r.Status, r.Body)
		}
		var m struct {
			ID      int64
			Title   string
			Example bool
			MyVote  *int `json:"my_vote"`
		}
		r.JSON(t, &m)
		if m.Title != "Sprachförderung in Kitas" || m.Example || !strings.Contains(r.Text(), `"description":"Ausführlich."`) {
			t.Fatalf("created %s", r.Body)
		}
		// The youth group serves every field.
		if r := youth.Do("POST", "/api/v1/fields/1/measures", measure); r.Status != 201 {
			t.Fatalf("expert of the second group: %d", r.Status)
		}
		if r := s.Admin().Do("POST", "/api/v1/fields/1/measures", measure); r.Status != 201 {
			t.Fatalf("admin: %d", r.Status)
		}
		for _, refused := range []struct {
			name   string
			c      *apptest.Client
			status int
		}{{"anonymous", s.Client(), 401}, {"resident", resident, 403}, {"expert of another field", soziales, 403}} {
			if r := refused.c.Do("POST", "/api/v1/fields/1/measures", measure); r.Status != refused.status {
				t.Errorf("%s creating: %d", refused.name, r.Status)
			}
			if r := refused.c.Do("PATCH", "/api/v1/measures/1", map[string]string{"status": "adopted"}); r.Status != refused.status {
				t.Errorf("%s changing: %d", refused.name, r.Status)
			}
		}
		for _, bad := range []struct {
			body  any
			field string
		}{
			{map[string]any{"title": map[string]string{"de": "x"}, "summary": map[string]string{"de": "s"}}, "title.de"},
			{map[string]any{"title": map[string]string{"de": "Titel"}}, "summary.de"},
			{map[string]any{"title": map[string]string{"de": "Titel"}, "summary": map[string]string{"de": "s"}, "themes": []string{"unbekannt"}}, "themes[0]"},
			{map[string]any{"title": map[string]string{"de": "Titel"}, "summary": map[string]string{"de": "s"}, "status": "done"}, "status"},
		} {
			if r := bildung.Do("POST", "/api/v1/fields/1/measures", bad.body); r.Status != 422 || !strings.Contains(r.Text(), `"field":"`+bad.field+`"`) {
				t.Errorf("bad measure: %d %s", r.Status, r.Body)
			}
		}
		// A status change shows on the measure page and reaches subscribers.
		r = bildung.Do("PATCH", "/api/v1/measures/1?lang=en", map[string]any{"status": "adopted", "statement": map[string]string{"de": "Beschlossen im Rat."}})
		if r.Status != 200 || !strings.Contains(r.Text(), `"status":"adopted"`) || !strings.Contains(r.Text(), `"title":"Multilingual parents' evenings at primary schools"`) {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(s.Client().Get("/m/1").Text(), "Beschlossen") {
			t.Fatal("the measure page does not show the new status")
		}
		var events int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM events WHERE type = 'measure.updated' AND topics LIKE '%,measure:1,%'").Scan(t.Context(), &events); err != nil || events != 1 {
			t.Fatalf("%d measure.updated events (%v)", events, err)
		}
		if r := s.Client().Get("/api/v1/measures/999"); r.Status != 404 {
			t.Fatalf("unknown measure: %d", r.Status)
		}
	})
}
