package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// The consultation page offers its actions above the form, not only at
// the end of the long page.
func TestConsultationActionsOnTop(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, _ := admin(t, s)
		page := b.Get("/admin/consultations/wir2?lang=en").Text()
		form := strings.Index(page, `<form method="post" action="/admin/consultations/wir2"`)
		for _, link := range []string{`href="/admin/consultations/wir2/fields/new"`, `href="/admin/consultations/wir2/codes"`, `href="/c/wir2"`, `href="#fields-heading"`} {
			if i := strings.Index(page, link); i < 0 || i > form {
				t.Errorf("%s is not above the form", link)
			}
		}
	})
}

// The field page lists the field's measures, each linked to its edit
// form, and leads to where the groups serving it create new ones.
func TestFieldPageListsMeasures(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		var measures struct{ Items []struct{ ID int64 } }
		s.Client().Get("/api/v1/fields/1/measures").JSON(t, &measures)
		if len(measures.Items) == 0 {
			t.Fatal("the demo's first field has no measures")
		}
		var c struct {
			Fields []struct {
				ID           int64
				ExpertGroups []int64 `json:"expert_groups"`
			}
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		field := c.Fields[0]
		if field.ID != 1 {
			t.Fatalf("the demo's first field is %d", field.ID)
		}
		r := b.Get("/admin/fields/1")
		apptest.CheckPage(t, r, "de")
		page := r.Text()
		for _, m := range measures.Items {
			if !strings.Contains(page, `href="/measures/`+itoa(m.ID)+`/edit"`) {
				t.Errorf("measure %d is not listed", m.ID)
			}
		}
		for _, g := range field.ExpertGroups {
			if !strings.Contains(page, `href="/experts/`+itoa(g)+`?field=1#new-measure-heading"`) {
				t.Errorf("no way to a new measure through group %d", g)
			}
		}
		if r := b.Get("/measures/" + itoa(measures.Items[0].ID) + "/edit"); r.Status != http.StatusOK {
			t.Fatalf("the measure's edit form: %d", r.Status)
		}
		if len(field.ExpertGroups) == 0 {
			t.Fatal("no group serves the demo's first field")
		}
		// The group's page opens with the field chosen in the new-measure form.
		r = b.Get("/experts/" + itoa(field.ExpertGroups[0]) + "?field=1")
		if r.Status != http.StatusOK {
			t.Fatal("the group's page with the new-measure form is closed to the administrator")
		}
		_, form, _ := strings.Cut(r.Text(), `<select id="field-measure-field_id" name="field_id">`)
		if form, _, _ = strings.Cut(form, "</select>"); !strings.Contains(form, `<option value="1" selected>`) {
			t.Error("the new-measure form does not start at the field the administrator came from")
		}
		// Without a group serving it, the page says how measures come about.
		wantRedirect(t, post(t, b, "/admin/fields/1", url.Values{"_csrf": {csrf}, "slug": {"bildung"}, "title.de": {"Bildung"}}), "/admin/fields/1")
		if page := b.Get("/admin/fields/1").Text(); strings.Contains(page, "#new-measure-heading") || !strings.Contains(page, "Wählen Sie oben zuerst eine Gruppe aus.") {
			t.Error("the field without groups still offers new measures")
		}
	})
}
