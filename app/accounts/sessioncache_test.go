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
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// What Authenticate answers is kept for a moment; every change to a
// session, an account or a group membership must show in the very next
// request, as it does without a cache. Each case reads the session twice
// first, so that the third read would come from the cache. A change made
// by another process (the command line) shows within the time a session
// is kept.
func TestSessionChangesShowInTheNextRequest(t *testing.T) {
	t.Parallel()
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
			// within is how long the change may take to show (0: the next request).
			within time.Duration
		}{
			{"signs out", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return c.Do(http.MethodPost, "/api/v1/auth/logout", nil)
			}, func(v *access.Viewer) bool { return v == nil }, 0},
			{"is made a moderator", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", c.UserID), map[string]string{"role": "moderator"})
			}, func(v *access.Viewer) bool { return v != nil && v.Role == access.Moderator }, 0},
			{"is blocked", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPost, fmt.Sprintf("/api/v1/users/%d/block", c.UserID), map[string]string{"until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "reason": "Beleidigungen"})
			}, func(v *access.Viewer) bool {
				return v != nil && v.BlockedUntil != nil && v.BlockReason == "Beleidigungen"
			}, 0},
			{"joins an expert group", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return admin.Do(http.MethodPut, fmt.Sprintf("/api/v1/expert-groups/%d/members/%d", group.ID, c.UserID), nil)
			}, func(v *access.Viewer) bool { return v != nil && slices.Contains(v.Groups, group.ID) }, 0},
			{"changes the password in another session", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				other := s.Login(email, "a-good-password")
				return other.Do(http.MethodPost, "/api/v1/me/password", map[string]string{"current_password": "a-good-password", "new_password": "another-good-password"})
			}, func(v *access.Viewer) bool { return v == nil }, 0},
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
			}, func(v *access.Viewer) bool { return v == nil }, accounts.KeepSessions + time.Second},
			{"erases the account", func(t *testing.T, c *apptest.Client, email string) *apptest.Response {
				return c.Do(http.MethodDelete, "/api/v1/me", nil)
			}, func(v *access.Viewer) bool { return v == nil }, 0},
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
				deadline := time.Now().Add(tc.within)
				for {
					v, err := s.App.Accounts.Authenticate(ctx, resident.Token)
					if err == nil && tc.want(v) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("after: %+v, %v", v, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
	})
}

// Instances behind one load balancer keep sessions each: signing out on
// one must end the session on the other within moments, through the
// outbox, not only after the time a session is kept.
func TestSignOutReachesOtherInstances(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("several instances run on PostgreSQL")
		}
		ctx := context.Background()
		a := apptest.Start(t, db)
		b := apptest.Start(t, db, apptest.WithoutDemo())
		resident := a.Register("two-instances@example.org", "Rana")
		for range 2 {
			if v, err := b.App.Accounts.Authenticate(ctx, resident.Token); err != nil || v == nil {
				t.Fatalf("before: %+v, %v", v, err)
			}
		}
		if r := resident.Do(http.MethodPost, "/api/v1/auth/logout", nil); r.Status >= 300 {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		start := time.Now()
		for {
			v, err := b.App.Accounts.Authenticate(ctx, resident.Token)
			if err == nil && v == nil {
				break
			}
			if time.Since(start) > accounts.KeepSessions/2 {
				t.Fatalf("the other instance still knows the session after %s: %+v, %v", time.Since(start), v, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("the other instance forgot the session after %s", time.Since(start).Round(time.Millisecond))
	})
}
