package accounts_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

// What Authenticate answers is cached; every change to a
// session, an account or a group membership must show in the very next
// request, as it does without a cache. Each case reads the session twice
// first, so that the third read would come from the cache.
func TestSessionChangesShowInTheNextRequest(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		admin := s.Admin()
		var group struct {
			ID int64 `json:"id"`
		}
		r := admin.Do(http.MethodPost, "/api/v1/expert-groups", map[string]any{"name": map[string]string{"de": "Gruppe Bildung"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create group: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &group)
		cases := []struct {
			name   string
			change func(t *testing.T, resident *apptest.Client, email string) *apptest.Response
			want   func(v *access.Viewer) bool
		}{
			{"signs out", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return c.Do(http.MethodPost, "/api/v1/auth/logout", nil)
			}, func(v *access.Viewer) bool { return v == nil }},
			{"is made a moderator", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", c.UserID), map[string]string{"role": "moderator"})
			}, func(v *access.Viewer) bool { return v != nil && v.Role == access.Moderator }},
			{"is blocked", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPost, fmt.Sprintf("/api/v1/users/%d/block", c.UserID), map[string]string{"until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "reason": "Beleidigungen"})
			}, func(v *access.Viewer) bool {
				return v != nil && v.BlockedUntil != nil && v.BlockReason == "Beleidigungen"
			}},
			{"joins an expert group", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPut, fmt.Sprintf("/api/v1/expert-groups/%d/members/%d", group.ID, c.UserID), nil)
			}, func(v *access.Viewer) bool { return v != nil && slices.Contains(v.Groups, group.ID) }},
			{"changes the password in another session", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				other := s.Login(email, "a-good-password")
				return other.Do(http.MethodPost, "/api/v1/me/password", map[string]string{"current_password": "a-good-password", "new_password": "another-good-password"})
			}, func(v *access.Viewer) bool { return v == nil }},
			// What `mitreden user set-password` does, from its own process.
			{"has the password set by another process", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				st, err := store.Open(ctx, s.App.Store.Source(), store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				other, err := accounts.NewService(st, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := other.SetPassword(ctx, c.UserID, "another-good-password", 0); err != nil {
					t.Fatal(err)
				}
				return &apptest.Response{Status: http.StatusNoContent}
			}, func(v *access.Viewer) bool { return v == nil }},
			{"erases the account", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return c.Do(http.MethodDelete, "/api/v1/me", nil)
			}, func(v *access.Viewer) bool { return v == nil }},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				email := fmt.Sprintf("cache-%d@example.org", i)
				resident := s.Register(email, fmt.Sprintf("Rana %d", i))
				for range 2 {
					if v, err := s.App.Accounts.Authenticate(ctx, resident.Token); err != nil || v == nil || v.Role != access.Resident || v.BlockedUntil != nil || len(v.Groups) != 0 {
						t.Fatalf("before: %+v, %v", v, err)
					}
				}
				if r := tc.change(t, resident, email); r.Status >= 300 {
					t.Fatalf("change: %d %s", r.Status, r.Body)
				}
				v, err := s.App.Accounts.Authenticate(ctx, resident.Token)
				if err != nil || !tc.want(v) {
					t.Fatalf("after: %+v, %v", v, err)
				}
			})
		}
	})
}
