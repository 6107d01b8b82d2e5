package audit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

type entry struct {
	ID    int64 `json:"id"`
	Actor *struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"actor"`
	Action     string         `json:"action"`
	ObjectKind string         `json:"object_kind"`
	ObjectID   string         `json:"object_id"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
	CreatedAt  time.Time      `json:"created_at"`
}

type page struct {
	Items      []entry `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		res := s.Register("res@example.org", "Resident")
		admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"role": "moderator"})
		admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]string{"phase": "closed"})

		var p page
		r := admin.Get("/api/v1/audit-log?limit=2")
		r.JSON(t, &p)
		if r.Status != 200 || len(p.Items) != 2 || p.NextCursor == nil {
			t.Fatalf("audit log: %d %s", r.Status, r.Body)
		}
		newest, second := p.Items[0], p.Items[1]
		if newest.Action != "consultation.update" || newest.ObjectKind != "consultation" || newest.ObjectID != "wir2" ||
			newest.Actor == nil || newest.Actor.ID != admin.UserID || newest.Actor.DisplayName != "Administration" ||
			time.Since(newest.CreatedAt) > time.Minute || newest.Before == nil || newest.After == nil {
			t.Fatalf("newest entry %+v", newest)
		}
		if second.Action != "user.update" || second.Before["role"] != "resident" || second.After["role"] != "moderator" || second.ID >= newest.ID {
			t.Fatalf("second entry %+v", second)
		}
		// Older pages go back to the demo seed, written by the system.
		var all []entry
		cursor := ""
		for range 100 {
			var next page
			path := "/api/v1/audit-log?limit=200"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			admin.Get(path).JSON(t, &next)
			all = append(all, next.Items...)
			if next.NextCursor == nil {
				break
			}
			cursor = *next.NextCursor
		}
		var total int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log").Scan(t.Context(), &total); err != nil || len(all) != total {
			t.Fatalf("paged through %d of %d entries (%v)", len(all), total, err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatalf("not newest first at %d", i)
			}
		}
		if oldest := all[len(all)-1]; oldest.Actor != nil || oldest.Action != "consultation.create" {
			t.Fatalf("oldest entry %+v", oldest)
		}

		if r := s.Client().Get("/api/v1/audit-log"); r.Status != 401 {
			t.Fatalf("anonymous reads the audit log: %d", r.Status)
		}
		for _, c := range []*apptest.Client{s.Register("x@example.org", "Xx"), res /* now a moderator */} {
			if r := c.Get("/api/v1/audit-log"); r.Status != 403 {
				t.Fatalf("a non-admin reads the audit log: %d", r.Status)
			}
		}
	})
}
