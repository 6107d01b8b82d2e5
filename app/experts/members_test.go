package experts_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

func TestAdministratorManagesMembers(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		res := s.Register("res@example.org", "Resident")
		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		member := func(group, user int64) string { return fmt.Sprintf("/api/v1/expert-groups/%d/members/%d", group, user) }
		me := func(c *apptest.Client) (m struct {
			Role   string
			Groups []int64
		}) {
			c.Get("/api/v1/me").JSON(t, &m)
			return m
		}

		if r := admin.Do("PUT", member(2, res.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("add: %d %s", r.Status, r.Body)
		}
		if m := me(res); m.Role != "expert" || len(m.Groups) != 1 || m.Groups[0] != 2 {
			t.Fatalf("a resident added to a group: %+v", m)
		}
		// Adding again changes nothing; a second group adds to the first.
		if r := admin.Do("PUT", member(2, res.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("add again: %d", r.Status)
		}
		admin.Do("PUT", member(7, res.UserID), nil)
		if m := me(res); len(m.Groups) != 2 {
			t.Fatalf("groups %+v", m)
		}
		// A moderator keeps the higher role.
		admin.Do("PUT", member(2, mod.UserID), nil)
		if m := me(mod); m.Role != "moderator" || len(m.Groups) != 1 {
			t.Fatalf("a moderator added to a group: %+v", m)
		}
		if r := admin.Do("DELETE", member(2, res.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", r.Status, r.Body)
		}
		if m := me(res); m.Role != "expert" || len(m.Groups) != 1 || m.Groups[0] != 7 {
			t.Fatalf("after removal: %+v (the role stays)", m)
		}
		if r := admin.Do("DELETE", member(2, res.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("remove again: %d", r.Status)
		}
		members, err := s.App.Experts.Members(t.Context(), 2)
		if err != nil || len(members) != 1 || members[0].ID != mod.UserID || members[0].EmailAddress() != "mod@example.org" {
			t.Fatalf("members of group 2: %+v %v", members, err)
		}

		var entries []struct {
			Action      string `bun:"action"`
			ObjectID    string `bun:"object_id"`
			BeforeState string `bun:"before_state"`
			AfterState  string `bun:"after_state"`
		}
		if err := s.App.Store.DB.NewRaw("SELECT action, object_id, before_state, after_state FROM audit_log WHERE action LIKE 'expert_group.member%' ORDER BY id").Scan(t.Context(), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 4 || entries[0].Action != "expert_group.member_add" || entries[0].ObjectID != "2" ||
			!strings.Contains(entries[0].BeforeState, `"role":"resident"`) || !strings.Contains(entries[0].AfterState, `"role":"expert"`) ||
			entries[3].Action != "expert_group.member_remove" || !strings.Contains(entries[3].AfterState, `"member":false`) {
			t.Fatalf("audit %+v", entries)
		}

		expert := s.AccountAs("exp@example.org", "Expertin", "expert")
		cases := []struct {
			name   string
			as     *apptest.Client
			method string
			path   string
			status int
		}{
			{"anonymous", s.Client(), "PUT", member(1, res.UserID), 401},
			{"resident", res, "PUT", member(1, res.UserID), 403},
			{"expert", expert, "PUT", member(1, expert.UserID), 403},
			{"moderator", mod, "DELETE", member(2, mod.UserID), 403},
			{"unknown group", admin, "PUT", member(999, res.UserID), 404},
			{"unknown account", admin, "PUT", member(1, 99999), 404},
			{"group not a number", admin, "PUT", "/api/v1/expert-groups/x/members/1", 404},
			{"remove from unknown group", admin, "DELETE", member(999, res.UserID), 404},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.as.Do(c.method, c.path, nil).WantProblem(t, c.status, "")
			})
		}
		if m := me(expert); len(m.Groups) != 0 {
			t.Fatalf("a refused request added a member: %+v", m)
		}
	})
}
