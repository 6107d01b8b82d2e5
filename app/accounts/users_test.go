package accounts_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

type accountItem struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"display_name"`
	Role         string     `json:"role"`
	Groups       []int64    `json:"groups"`
	BlockedUntil *time.Time `json:"blocked_until"`
	CreatedAt    time.Time  `json:"created_at"`
}

type accountList struct {
	Items      []accountItem `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func TestAdministratorListsAndChangesAccounts(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		amira := s.Register("amira@example.org", "Amira Özdemir")
		s.Register("ben@example.org", "Ben 100%_sicher")
		s.Register("cem@example.org", "Cem")

		var all accountList
		r := admin.Get("/api/v1/users")
		r.JSON(t, &all)
		if r.Status != 200 || len(all.Items) != 4 || all.Items[0].Email != apptest.AdminEmail || all.Items[1].Email != "amira@example.org" {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		first := all.Items[1]
		if first.ID != amira.UserID || first.DisplayName != "Amira Özdemir" || first.Role != "resident" || first.Groups == nil ||
			first.BlockedUntil != nil || time.Since(first.CreatedAt) > time.Minute {
			t.Fatalf("item %+v", first)
		}
		cases := []struct {
			query string
			want  []string
		}{
			{"?q=AMIRA", []string{"amira@example.org"}},
			{"?q=%C3%96zdemir", []string{"amira@example.org"}}, // "Özdemir" as written
			{"?q=example.org&role=resident", []string{"amira@example.org", "ben@example.org", "cem@example.org"}},
			{"?role=admin", []string{apptest.AdminEmail}},
			{"?q=100%25_", []string{"ben@example.org"}}, // % and _ are literal, not wildcards
			{"?q=am_ra", []string{}},
			{"?q=nobody", []string{}},
		}
		for _, c := range cases {
			var l accountList
			r := admin.Get("/api/v1/users" + c.query)
			r.JSON(t, &l)
			var got []string
			for _, it := range l.Items {
				got = append(got, it.Email)
			}
			if r.Status != 200 || strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%s: %d %v, want %v", c.query, r.Status, got, c.want)
			}
		}
		// Pages of two.
		var p1, p2 accountList
		admin.Get("/api/v1/users?limit=2").JSON(t, &p1)
		if len(p1.Items) != 2 || p1.NextCursor == nil {
			t.Fatalf("first page %+v", p1)
		}
		admin.Get("/api/v1/users?limit=2&cursor="+*p1.NextCursor).JSON(t, &p2)
		if len(p2.Items) != 2 || p2.NextCursor != nil || p2.Items[0].ID <= p1.Items[1].ID {
			t.Fatalf("second page %+v", p2)
		}

		// A role change shows at once in what the person may do.
		if r := amira.Get("/api/v1/users"); r.Status != http.StatusForbidden {
			t.Fatalf("a resident lists accounts: %d", r.Status)
		}
		r = admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", amira.UserID), map[string]string{"role": "admin", "display_name": "  Amira Ö. "})
		var changed accountItem
		r.JSON(t, &changed)
		if r.Status != 200 || changed.Role != "admin" || changed.DisplayName != "Amira Ö." || changed.Email != "amira@example.org" {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if r := amira.Get("/api/v1/users"); r.Status != http.StatusOK {
			t.Fatalf("the new admin cannot list accounts: %d", r.Status)
		}
		// The last administrator keeps the role.
		r = amira.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", admin.UserID), map[string]string{"role": "moderator"})
		if r.Status != 200 {
			t.Fatalf("demote one of two admins: %d %s", r.Status, r.Body)
		}
		r = amira.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", amira.UserID), map[string]string{"role": "resident"})
		if r.Status != http.StatusConflict || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("demote the last admin: %d %s", r.Status, r.Body)
		}

		var entries []struct {
			ActorID     int64  `bun:"actor_id"`
			ObjectID    string `bun:"object_id"`
			BeforeState string `bun:"before_state"`
			AfterState  string `bun:"after_state"`
		}
		if err := s.App.Store.DB.NewRaw("SELECT actor_id, object_id, before_state, after_state FROM audit_log WHERE action = 'user.update' ORDER BY id").Scan(t.Context(), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].ActorID != admin.UserID || entries[0].ObjectID != fmt.Sprint(amira.UserID) ||
			!strings.Contains(entries[0].BeforeState, `"role":"resident"`) || !strings.Contains(entries[0].AfterState, `"role":"admin"`) ||
			!strings.Contains(entries[0].AfterState, `"display_name":"Amira Ö."`) || entries[1].ActorID != amira.UserID {
			t.Fatalf("audit entries %+v", entries)
		}
	})
}

func TestAccountAdministrationRefusals(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		res := s.Register("res@example.org", "Resident")
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			field  string
		}{
			{"unknown role filter", "GET", "/api/v1/users?role=king", nil, 422, "role"},
			{"search too long", "GET", "/api/v1/users?q=" + strings.Repeat("a", 201), nil, 422, "q"},
			{"bad cursor", "GET", "/api/v1/users?cursor=x", nil, 422, "cursor"},
			{"unknown role", "PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"role": "king"}, 422, "role"},
			{"empty name", "PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"display_name": "  "}, 422, "display_name"},
			{"name with control character", "PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"display_name": "A\u0007b"}, 422, "display_name"},
			{"email is not changed here", "PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"email": "x@example.org"}, 422, "email"},
			{"role of the wrong type", "PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]any{"role": 3}, 422, "role"},
			{"unknown account", "PATCH", "/api/v1/users/99999", map[string]string{"role": "expert"}, 404, ""},
			{"id not a number", "PATCH", "/api/v1/users/abc", map[string]string{"role": "expert"}, 404, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				admin.Do(c.method, c.path, c.body).WantProblem(t, c.status, c.field)
			})
		}
		var me struct{ Role, DisplayName string }
		res.Get("/api/v1/me").JSON(t, &me)
		if me.Role != "resident" {
			t.Fatalf("refused changes changed the account: %+v", me)
		}
	})
}
