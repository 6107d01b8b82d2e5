package participation_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Comments and ideas by staff show the author's current role: author.role
// in the API and live events (absent for residents), a translated badge
// beside the name on pages. A role change shows at once, also on kept
// pages; an erased account shows none.
func TestStaffRolesShowOnContributions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		admin := s.Admin()
		mod := s.AccountAs("mod@example.org", "Mona Moderation", "moderator")
		expert := expertOf(t, s, "expertin@example.org", "Erika Expertin", 1)
		resident := s.Register("resi@example.org", "Resi Dent")
		anon := s.Client()
		byRole := map[string]*apptest.Client{"moderator": mod, "expert": expert, "admin": admin, "": resident}
		ids := map[string]int64{}
		for role, c := range byRole {
			ids[role] = contribute(t, c, "/api/v1/measures/1/comments", "Kommentar von "+role, 0)
		}
		var idea created
		expert.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Idee der Expertin", "body": "Text."}).JSON(t, &idea)
		settle(t, s)
		anon.Get("/m/1") // kept before the role change below

		type authored struct {
			ID     int64
			Author map[string]any
		}
		roleOf := func(list []authored, id int64) (any, bool) {
			for _, it := range list {
				if it.ID == id {
					role, ok := it.Author["role"]
					return role, ok
				}
			}
			t.Fatalf("item %d is not listed", id)
			return nil, false
		}
		var list struct{ Items []authored }
		anon.Get("/api/v1/measures/1/comments").JSON(t, &list)
		for role, id := range ids {
			got, present := roleOf(list.Items, id)
			if (role == "") == present || (role != "" && got != role) {
				t.Errorf("the comment list shows role %v (present %v) for a %q", got, present, role)
			}
		}
		var one authored
		anon.Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID)).JSON(t, &one)
		if one.Author["role"] != "expert" {
			t.Errorf("the idea's author: %v", one.Author)
		}
		anon.Get("/api/v1/fields/1/ideas").JSON(t, &list)
		if got, _ := roleOf(list.Items, idea.ID); got != "expert" {
			t.Errorf("the field's idea list shows role %v", got)
		}
		for typ, want := range map[string]string{"comment.published": `"display_name":"Mona Moderation","role":"moderator"`, "idea.published": `"display_name":"Erika Expertin","role":"expert"`} {
			if n := count(t, s, "SELECT COUNT(*) FROM events WHERE type = ? AND data LIKE ?", typ, "%"+want+"%"); n != 1 {
				t.Errorf("%d %s events carry %s", n, typ, want)
			}
		}
		if n := count(t, s, `SELECT COUNT(*) FROM events WHERE type = 'comment.published' AND data LIKE '%"display_name":"Resi Dent"}%'`); n != 1 {
			t.Error("a resident's comment.published event does not show the author without a role")
		}

		badge := func(label string) string { return `<span class="badge badge-role">` + label + `</span>` }
		for _, p := range []struct{ path, name, label string }{
			{"/m/1", "Mona Moderation", "Moderation"}, {"/m/1", "Erika Expertin", "Expert*in"}, {"/m/1", "Administration", "Administration"},
			{fmt.Sprintf("/i/%d", idea.ID), "Erika Expertin", "Expert*in"}, {"/f/1", "Erika Expertin", "Expert*in"},
			{"/m/1?lang=ar", "Mona Moderation", "الإشراف"},
		} {
			page := anon.Get(p.path).Text()
			if !strings.Contains(page, p.name+"</bdi></span> "+badge(p.label)) && !strings.Contains(page, p.name+"</bdi> "+badge(p.label)) {
				t.Errorf("%s lacks the badge %q beside %s", p.path, p.label, p.name)
			}
		}
		anon.Get("/m/1?lang=de")
		if page := anon.Get("/m/1").Text(); strings.Count(page, "badge-role") != 3 {
			t.Errorf("the measure page shows %d role badges, want 3 (none for the resident)", strings.Count(page, "badge-role"))
		}

		// A new role shows at once, on the kept page too, whether given by
		// an administrator or by joining an expert group; an erased staff
		// account shows none.
		joiner := s.Register("joiner@example.org", "Jana Neu")
		contribute(t, joiner, "/api/v1/measures/1/comments", "Bald Expertin.", 0)
		settle(t, s)
		anon.Get("/m/1")
		if r := admin.Do("PUT", fmt.Sprintf("/api/v1/expert-groups/2/members/%d", joiner.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("join group: %d %s", r.Status, r.Body)
		}
		settle(t, s)
		if !strings.Contains(anon.Get("/m/1").Text(), "Jana Neu</bdi></span> "+badge("Expert*in")) {
			t.Fatal("the measure page does not show the role of a resident who joined an expert group")
		}
		if r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", resident.UserID), map[string]string{"role": "moderator"}); r.Status != http.StatusOK {
			t.Fatalf("promote: %d %s", r.Status, r.Body)
		}
		if r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", mod.UserID), map[string]string{"role": "resident"}); r.Status != http.StatusOK {
			t.Fatalf("demote: %d %s", r.Status, r.Body)
		}
		settle(t, s)
		for round := 1; round <= 2; round++ {
			page := anon.Get("/m/1").Text()
			if !strings.Contains(page, "Resi Dent</bdi></span> "+badge("Moderation")) || strings.Contains(page, "Mona Moderation</bdi></span> "+badge("Moderation")) {
				t.Fatalf("request %d: the measure page does not follow the role changes", round)
			}
		}
		if r := expert.Do("DELETE", "/api/v1/me", nil); r.Status != http.StatusNoContent {
			t.Fatalf("erase: %d", r.Status)
		}
		var erased authored
		anon.Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID)).JSON(t, &erased)
		if _, present := erased.Author["role"]; present || erased.Author["id"] != nil {
			t.Errorf("an erased expert's idea shows %v", erased.Author)
		}
		if strings.Contains(anon.Get(fmt.Sprintf("/i/%d", idea.ID)).Text(), badge("Expert*in")) {
			t.Error("an erased expert's idea page shows the role")
		}
	})
}
