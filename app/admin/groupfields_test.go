package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// A group's fields of action are ticked on the group's page too, and both
// sides show the same links.
func TestGroupPageAssignsFields(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		r := post(t, b, "/admin/groups", url.Values{"_csrf": {csrf}, "name.de": {"AG Wohnen"}})
		group := r.Header.Get("Location")
		id := strings.TrimPrefix(group, "/admin/groups/")
		page := b.Get(group).Text()
		if !strings.Contains(page, `action="`+group+`/fields"`) || !strings.Contains(page, `name="fields" value="1">`) || strings.Contains(page, `name="fields" value="1" checked`) {
			t.Fatal("the group page does not offer the fields unticked")
		}

		wantRedirect(t, post(t, b, group+"/fields", url.Values{"_csrf": {csrf}, "fields": {"1", "3"}}), group+"#fields")
		groupsOf := func(field int64) []int64 {
			var c struct {
				Fields []struct {
					ID           int64
					ExpertGroups []int64 `json:"expert_groups"`
				}
			}
			s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
			for _, f := range c.Fields {
				if f.ID == field {
					return f.ExpertGroups
				}
			}
			t.Fatalf("no field %d", field)
			return nil
		}
		gid := groupID(t, id)
		if !slices.Contains(groupsOf(1), gid) || !slices.Contains(groupsOf(3), gid) || slices.Contains(groupsOf(2), gid) {
			t.Fatal("the fields ticked are not served by the group")
		}
		page = b.Get(group).Text()
		if !strings.Contains(page, "Gespeichert.") || !strings.Contains(page, `name="fields" value="3" checked`) || !strings.Contains(page, `href="/admin/fields/3"`) {
			t.Fatal("the group page does not show its new fields")
		}
		if !strings.Contains(b.Get("/admin/fields/3").Text(), `value="`+id+`" checked`) {
			t.Fatal("the field form does not show the group assigned from the group's page")
		}

		// The field form unticks the group: the group page follows.
		wantRedirect(t, post(t, b, "/admin/fields/3", url.Values{"_csrf": {csrf}, "slug": {"demokratie"}, "title.de": {"Demokratie"}}), "/admin/fields/3")
		if strings.Contains(b.Get(group).Text(), `name="fields" value="3" checked`) {
			t.Fatal("the group page still ticks a field the field form took away")
		}

		// An unknown field is refused beside the form, which keeps the ticks.
		r = post(t, b, group+"/fields", url.Values{"_csrf": {csrf}, "fields": {"2", "99999"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `href="#field-fields"`) || !strings.Contains(r.Text(), `name="fields" value="2" checked`) {
			t.Fatalf("unknown field: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		if r := b.Do("POST", group+"/fields", url.Values{"fields": {"2"}}); r.Status != http.StatusForbidden {
			t.Fatalf("without the CSRF token: %d", r.Status)
		}
		var actions []string
		if err := s.App.Store.DB.NewRaw("SELECT action FROM audit_log WHERE object_kind = 'expert_group' AND object_id = ? ORDER BY id", id).Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, ",") != "expert_group.create,expert_group.update" {
			t.Fatalf("audit %v", actions)
		}
	})
}
