package access

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/problem"
)

// Refusal answers each kind of refused viewer, and marks its 403s to be
// logged as access.refused.
func TestRefusal(t *testing.T) {
	until := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name   string
		v      *Viewer
		status int
		code   string
	}{
		{"anonymous", &Viewer{}, http.StatusUnauthorized, ""},
		{"resident", &Viewer{UserID: 1, Role: Resident}, http.StatusForbidden, ""},
		{"admin", &Viewer{UserID: 1, Role: Admin}, http.StatusForbidden, ""},
		{"blocked admin", &Viewer{UserID: 1, Role: Admin, BlockedUntil: &until, BlockReason: "Grund"}, http.StatusForbidden, problem.CodeBlocked},
		{"blocked resident", &Viewer{UserID: 1, Role: Resident, BlockedUntil: &until, BlockReason: "Grund"}, http.StatusForbidden, problem.CodeBlocked},
		{"moderator without a required second factor", &Viewer{UserID: 1, Role: Moderator, NeedsTwoFactor: true}, http.StatusForbidden, problem.CodeTwoFactorRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p *problem.Problem
			if !errors.As(Refusal(tc.v), &p) || p.Status != tc.status || p.Code != tc.code {
				t.Fatalf("got %+v, want %d %q", p, tc.status, tc.code)
			}
			if (p.Event == RefusedEvent) != (tc.status == http.StatusForbidden) {
				t.Errorf("event %q for a %d", p.Event, p.Status)
			}
			if tc.code == problem.CodeBlocked && (p.Members["reason"] != "Grund" || p.Members["until"] != until.UTC().Format(time.RFC3339)) {
				t.Errorf("members %v", p.Members)
			}
		})
	}
}

// Who may block whom, and who may change a block someone set.
func TestBlockRules(t *testing.T) {
	until := time.Now().Add(time.Hour)
	mod := &Viewer{UserID: 1, Role: Moderator}
	admin := &Viewer{UserID: 2, Role: Admin}
	blockedAdmin := &Viewer{UserID: 3, Role: Admin, BlockedUntil: &until}
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"moderator blocks a resident", mod.CanBlock(10, Resident), true},
		{"moderator blocks an expert", mod.CanBlock(10, Expert), true},
		{"moderator blocks a moderator", mod.CanBlock(10, Moderator), false},
		{"moderator blocks an admin", mod.CanBlock(10, Admin), false},
		{"admin blocks an admin", admin.CanBlock(10, Admin), true},
		{"admin blocks themselves", admin.CanBlock(2, Admin), false},
		{"blocked admin blocks an admin", blockedAdmin.CanBlock(10, Admin), false},
		{"moderator changes a moderator's block", mod.CanChangeBlock(Moderator), true},
		{"moderator changes an admin's block", mod.CanChangeBlock(Admin), false},
		{"admin changes an admin's block", admin.CanChangeBlock(Admin), true},
		{"blocked admin changes an admin's block", blockedAdmin.CanChangeBlock(Admin), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// SelfService lets a blocked account sign out, manage its own account and
// appeal, and nothing else.
func TestSelfService(t *testing.T) {
	for path, want := range map[string]bool{
		"/api/v1/auth/logout":           true,
		"/api/v1/me":                    true,
		"/api/v1/me/password":           true,
		"/api/v1/comments/4/appeal":     true,
		"/ideas/4/appeal":               true,
		"/me/delete":                    true,
		"/logout":                       true,
		"/api/v1/users/1/block":         false,
		"/api/v1/measures/1/vote":       false,
		"/api/v1/reports":               false,
		"/reports":                      false,
		"/api/v1/meine":                 false,
		"/admin/users/1":                false,
		"/moderation/idea/1/decision":   false,
		"/api/v1/expert-groups/1/inbox": false,
	} {
		if got := SelfService(path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
