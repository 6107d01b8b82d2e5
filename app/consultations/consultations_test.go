package consultations_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

func newConsultation(slug string) map[string]any {
	return map[string]any{
		"slug":        slug,
		"title":       map[string]string{"de": "Radverkehr in der Südstadt", "en": "Cycling in Südstadt"},
		"description": map[string]string{"de": "Wie soll der Radverkehr aussehen?"},
		"phase":       "open",
		"moderation":  "post",
		"guidelines":  []map[string]string{{"de": "Sicher für alle.", "en": "Safe for everyone."}, {"de": "Barrierefrei."}},
		"priorities":  []map[string]string{{"de": "Schulwege zuerst."}},
		"themes":      []map[string]any{{"key": "sicherheit", "title": map[string]string{"de": "Sicherheit", "en": "Safety"}}},
	}
}

func TestAdministratorManagesConsultations(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		r := admin.Do("POST", "/api/v1/consultations?lang=en", newConsultation("rad"))
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var c struct {
			Slug, Title, Phase, Moderation string
			Guidelines                     []struct {
				Number int
				Text   string
			}
			Themes []struct{ Key, Title string }
		}
		r.JSON(t, &c)
		if c.Title != "Cycling in Südstadt" || c.Phase != "open" || c.Moderation != "post" || len(c.Guidelines) != 2 ||
			c.Guidelines[1].Number != 2 || c.Guidelines[1].Text != "Barrierefrei." || c.Themes[0].Title != "Safety" {
			t.Fatalf("created %s", r.Body)
		}
		if r := admin.Do("POST", "/api/v1/consultations", newConsultation("rad")); r.Status != http.StatusConflict {
			t.Fatalf("duplicate slug: %d", r.Status)
		}

		// A partial change leaves the rest as it was; lists given are replaced whole.
		r = admin.Do("PATCH", "/api/v1/consultations/rad", map[string]any{
			"phase": "closed", "guidelines": []map[string]string{{"de": "Nur eine Leitlinie."}},
		})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		var after struct {
			Title, Phase string
			Guidelines   []struct{ Text string }
			Priorities   []struct{ Text string }
		}
		r.JSON(t, &after)
		if after.Phase != "closed" || after.Title != "Radverkehr in der Südstadt" || len(after.Guidelines) != 1 || len(after.Priorities) != 1 {
			t.Fatalf("after patch %s", r.Body)
		}
		// Renaming the slug moves the consultation.
		if r := admin.Do("PATCH", "/api/v1/consultations/rad", map[string]any{"slug": "radverkehr"}); r.Status != 200 {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		if r := s.Client().Get("/api/v1/consultations/rad"); r.Status != 404 {
			t.Fatalf("old slug: %d", r.Status)
		}

		// Drafts are visible to administrators only.
		draft := newConsultation("entwurf")
		draft["phase"] = "draft"
		if r := admin.Do("POST", "/api/v1/consultations", draft); r.Status != 201 {
			t.Fatalf("create draft: %d %s", r.Status, r.Body)
		}
		if r := s.Client().Get("/api/v1/consultations/entwurf"); r.Status != 404 {
			t.Fatalf("anonymous sees a draft: %d", r.Status)
		}
		if r := s.Client().Get("/c/entwurf"); r.Status != 404 {
			t.Fatalf("anonymous sees a draft page: %d", r.Status)
		}
		if r := admin.Get("/api/v1/consultations/entwurf"); r.Status != 200 {
			t.Fatalf("admin cannot see the draft: %d", r.Status)
		}
		var pub, all struct{ Items []struct{ Slug string } }
		s.Client().Get("/api/v1/consultations").JSON(t, &pub)
		admin.Get("/api/v1/consultations").JSON(t, &all)
		if len(pub.Items) != 2 || len(all.Items) != 3 {
			t.Fatalf("public list %v, admin list %v", pub.Items, all.Items)
		}

		// Every change is in the audit log with who, before and after.
		var entries []struct {
			ActorID     *int64 `bun:"actor_id"`
			Action      string `bun:"action"`
			BeforeState string `bun:"before_state"`
			AfterState  string `bun:"after_state"`
		}
		if err := s.App.Store.DB.NewRaw("SELECT actor_id, action, before_state, after_state FROM audit_log WHERE object_kind = 'consultation' AND actor_id IS NOT NULL ORDER BY id").Scan(t.Context(), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 4 || entries[1].Action != "consultation.update" || !strings.Contains(entries[1].BeforeState, `"open"`) || !strings.Contains(entries[1].AfterState, `"closed"`) {
			t.Fatalf("audit log %+v", entries)
		}
	})
}

func TestConsultationRefusals(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		resident := s.Register("res@example.org", "Resident")
		admin := s.Admin()
		good := newConsultation("neu")
		cases := []struct {
			name   string
			as     *apptest.Client
			method string
			path   string
			body   any
			status int
			field  string
		}{
			{"anonymous create", s.Client(), "POST", "/api/v1/consultations", good, 401, ""},
			{"resident create", resident, "POST", "/api/v1/consultations", good, 403, ""},
			{"resident patch", resident, "PATCH", "/api/v1/consultations/wir2", map[string]any{"phase": "closed"}, 403, ""},
			{"resident field", resident, "POST", "/api/v1/consultations/wir2/fields", map[string]any{"slug": "x"}, 403, ""},
			{"bad slug", admin, "POST", "/api/v1/consultations", with(good, "slug", "Not A Slug"), 422, "slug"},
			{"no german title", admin, "POST", "/api/v1/consultations", with(good, "title", map[string]string{"en": "Only English"}), 422, "title.de"},
			{"unsupported language", admin, "POST", "/api/v1/consultations", with(good, "title", map[string]string{"de": "Titel", "xx": "?"}), 422, "title.xx"},
			{"title as a string", admin, "POST", "/api/v1/consultations", with(good, "title", "Titel"), 422, "title"},
			{"unknown phase", admin, "POST", "/api/v1/consultations", with(good, "phase", "running"), 422, "phase"},
			{"unknown moderation", admin, "POST", "/api/v1/consultations", with(good, "moderation", "none"), 422, "moderation"},
			{"empty guideline", admin, "POST", "/api/v1/consultations", with(good, "guidelines", []map[string]string{{"de": " "}}), 422, "guidelines[0].de"},
			{"duplicate theme", admin, "POST", "/api/v1/consultations", with(good, "themes", []map[string]any{{"key": "a1", "title": map[string]string{"de": "A"}}, {"key": "a1", "title": map[string]string{"de": "B"}}}), 422, "themes[1].key"},
			{"title too long", admin, "POST", "/api/v1/consultations", with(good, "title", map[string]string{"de": strings.Repeat("ä", 201)}), 422, "title.de"},
			{"script is kept as text", admin, "POST", "/api/v1/consultations", with(good, "slug", "<script>"), 422, "slug"},
			{"sql fragment as slug", admin, "PATCH", "/api/v1/consultations/wir2'%20OR%20'1'='1", map[string]any{"phase": "open"}, 404, ""},
			{"unknown consultation", admin, "PATCH", "/api/v1/consultations/nope", map[string]any{"phase": "open"}, 404, ""},
			{"field in unknown consultation", admin, "POST", "/api/v1/consultations/nope/fields", map[string]any{"slug": "feld", "title": map[string]string{"de": "Feld"}}, 404, ""},
			{"field with unknown group", admin, "POST", "/api/v1/consultations/wir2/fields", map[string]any{"slug": "feld", "title": map[string]string{"de": "Feld"}, "expert_groups": []int{999}}, 422, "expert_groups"},
			{"duplicate field slug", admin, "POST", "/api/v1/consultations/wir2/fields", map[string]any{"slug": "bildung", "title": map[string]string{"de": "Feld"}}, 409, ""},
			{"field id not a number", admin, "PATCH", "/api/v1/fields/abc", map[string]any{"slug": "x1"}, 404, ""},
			{"unknown field", admin, "PATCH", "/api/v1/fields/999", map[string]any{"slug": "x1"}, 404, ""},
			{"bad limit", s.Client(), "GET", "/api/v1/consultations?limit=-1", nil, 422, "limit"},
			{"bad cursor", s.Client(), "GET", "/api/v1/consultations?cursor=zzz", nil, 422, "cursor"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := c.as.Do(c.method, c.path, c.body)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				if r.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("content type %q: %s", r.Header.Get("Content-Type"), r.Body)
				}
				if c.field != "" && !strings.Contains(r.Text(), `"field":"`+c.field+`"`) {
					t.Fatalf("problem does not name %s: %s", c.field, r.Body)
				}
			})
		}
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM consultations").Scan(t.Context(), &n); err != nil || n != 1 {
			t.Fatalf("refused requests changed the data: %d consultations (%v)", n, err)
		}
		var c struct{ Phase string }
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if c.Phase != "open" {
			t.Fatalf("wir2 phase changed to %s", c.Phase)
		}
	})
}

func with(base map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	out[key] = value
	return out
}

func TestAdministratorManagesFieldsAndGroups(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		r := admin.Do("POST", "/api/v1/expert-groups", map[string]any{"name": "AG Wohnen", "fields": []int{}})
		if r.Status != 201 {
			t.Fatalf("create group: %d %s", r.Status, r.Body)
		}
		var g struct {
			ID   int64
			Name string
		}
		r.JSON(t, &g)
		r = admin.Do("POST", "/api/v1/consultations/wir2/fields", map[string]any{
			"slug": "wohnen", "title": map[string]string{"de": "Wohnen", "en": "Housing"},
			"description": map[string]string{"de": "Bezahlbarer Wohnraum für alle."}, "expert_groups": []int64{g.ID},
		})
		if r.Status != 201 {
			t.Fatalf("create field: %d %s", r.Status, r.Body)
		}
		var f struct {
			ID           int64
			Slug, Title  string
			ExpertGroups []int64 `json:"expert_groups"`
			MeasureCount int     `json:"measure_count"`
		}
		r.JSON(t, &f)
		if f.Slug != "wohnen" || f.Title != "Wohnen" || len(f.ExpertGroups) != 1 || f.ExpertGroups[0] != g.ID {
			t.Fatalf("field %s", r.Body)
		}
		r = admin.Do("PATCH", fmt.Sprintf("/api/v1/fields/%d?lang=en", f.ID), map[string]any{"expert_groups": []int64{g.ID, 7}})
		r.JSON(t, &f)
		if r.Status != 200 || f.Title != "Housing" || len(f.ExpertGroups) != 2 {
			t.Fatalf("patch field: %d %s", r.Status, r.Body)
		}
		// The groups list shows the link from the group's side too.
		r = admin.Do("PATCH", fmt.Sprintf("/api/v1/expert-groups/%d", g.ID), map[string]any{"name": map[string]string{"de": "AG Wohnen", "en": "Housing group"}})
		var g2 struct {
			Name   string
			Fields []int64
		}
		r.JSON(t, &g2)
		if r.Status != 200 || len(g2.Fields) != 1 || g2.Fields[0] != f.ID {
			t.Fatalf("patch group: %d %s", r.Status, r.Body)
		}
		var c struct {
			Fields []struct{ Slug string }
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if len(c.Fields) != 7 || c.Fields[6].Slug != "wohnen" {
			t.Fatalf("fields after adding: %+v", c.Fields)
		}
		if page := s.Client().Get(fmt.Sprintf("/f/%d", f.ID)); page.Status != 200 || !strings.Contains(page.Text(), "AG Wohnen") {
			t.Fatalf("field page: %d", page.Status)
		}
		if r := s.Register("x@example.org", "Xx").Do("POST", "/api/v1/expert-groups", map[string]any{"name": "No"}); r.Status != 403 {
			t.Fatalf("resident creates a group: %d", r.Status)
		}
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		for i := range 4 {
			if r := admin.Do("POST", "/api/v1/consultations", newConsultation(fmt.Sprintf("c%d", i))); r.Status != 201 {
				t.Fatal(r.Text())
			}
		}
		var slugs []string
		next := ""
		for pages := 0; pages < 10; pages++ {
			var page struct {
				Items      []struct{ Slug string }
				NextCursor *string `json:"next_cursor"`
			}
			path := "/api/v1/consultations?limit=2"
			if next != "" {
				path += "&cursor=" + next
			}
			s.Client().Get(path).JSON(t, &page)
			if len(page.Items) > 2 {
				t.Fatalf("page of %d items", len(page.Items))
			}
			for _, it := range page.Items {
				slugs = append(slugs, it.Slug)
			}
			if page.NextCursor == nil {
				break
			}
			next = *page.NextCursor
		}
		if strings.Join(slugs, ",") != "wir2,c0,c1,c2,c3" {
			t.Fatalf("paged through %v", slugs)
		}
	})
}
