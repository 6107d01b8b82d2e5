package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// Every administrative endpoint refuses residents, experts and moderators
// with 403 and anonymous callers with 401, as problem+json; moderators may
// only block, unblock and list blocks. A refusal changes nothing.
func TestAdministrationRefusesOthers(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		target := s.Register("target@example.org", "Target")
		until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		endpoints := []struct {
			method, path string
			body         any
			moderator    bool // moderators may
		}{
			{"GET", "/api/v1/users", nil, false},
			{"PATCH", fmt.Sprintf("/api/v1/users/%d", target.UserID), map[string]string{"role": "admin"}, false},
			{"PUT", fmt.Sprintf("/api/v1/expert-groups/1/members/%d", target.UserID), nil, false},
			{"DELETE", fmt.Sprintf("/api/v1/expert-groups/1/members/%d", target.UserID), nil, false},
			{"GET", "/api/v1/moderation/screening/de", nil, false},
			{"PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"x"}}, false},
			{"PUT", "/api/v1/legal/impressum", map[string]any{"body": map[string]string{"de": "X"}}, false},
			{"GET", "/api/v1/audit-log", nil, false},
			{"POST", "/api/v1/consultations", map[string]any{"slug": "neu"}, false},
			{"POST", "/api/v1/expert-groups", map[string]any{"name": "X"}, false},
			{"GET", "/api/v1/moderation/blocks", nil, true},
			{"POST", fmt.Sprintf("/api/v1/users/%d/block", target.UserID), map[string]string{"until": until, "reason": "Test"}, true},
			{"DELETE", fmt.Sprintf("/api/v1/users/%d/block", target.UserID), nil, true},
		}
		callers := map[string]*apptest.Client{
			"resident":  s.AccountAs("res@example.org", "Res", "resident"),
			"expert":    s.AccountAs("exp@example.org", "Exp", "expert"),
			"moderator": s.AccountAs("mod@example.org", "Mod", "moderator"),
			"anonymous": s.Client(),
		}
		before := auditCount(t, s)
		for who, c := range callers {
			for _, e := range endpoints {
				want := http.StatusForbidden
				switch {
				case who == "anonymous":
					want = http.StatusUnauthorized
				case who == "moderator" && e.moderator:
					continue
				}
				r := c.Do(e.method, e.path, e.body)
				if r.Status != want || r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(r.Text(), `"detail"`) {
					t.Errorf("%s %s %s: %d %s, want %d", who, e.method, e.path, r.Status, r.Body, want)
				}
			}
		}
		if after := auditCount(t, s); after != before {
			t.Fatalf("refused requests wrote %d audit entries", after-before)
		}
		// The moderator's allowed calls go through.
		mod := callers["moderator"]
		for _, e := range endpoints {
			if e.moderator {
				if r := mod.Do(e.method, e.path, e.body); r.Status >= 300 {
					t.Errorf("moderator %s %s: %d %s", e.method, e.path, r.Status, r.Body)
				}
			}
		}
	})
}

func auditCount(t *testing.T, s *apptest.Server) int {
	t.Helper()
	var n int
	if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log").Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
