package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// Blocks, unblocks and role changes are security events, through the API
// and the administration's pages, naming the account concerned (user=)
// and who did it (by=); a refused staff action is access.refused.
func TestAccountEventsAreLogged(t *testing.T) {
	forEachLogged(t, func(t *testing.T, s *apptest.Server, buf *apptest.LogBuffer) {
		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		res := s.Register("res@example.org", "Resident")
		admin := s.Admin()
		page := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		csrf := page.CSRF
		page.CSRF = ""
		user := fmt.Sprintf("user=%d", res.UserID)
		want := func(event string, n int, parts ...string) {
			t.Helper()
			if got := buf.Count(append([]string{"msg=security", "event=" + event}, parts...)...); got != n {
				t.Errorf("%d %s lines with %v, want %d:\n%s", got, event, parts, n, buf.String())
			}
		}

		until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		path := fmt.Sprintf("/api/v1/users/%d/block", res.UserID)
		if r := mod.Do("POST", path, map[string]string{"until": until, "reason": "Spam"}); r.Status != http.StatusOK {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}
		want("account.blocked", 1, user, fmt.Sprintf("by=%d", mod.UserID), "until="+until, "ip=127.0.0.1")
		if r := mod.Do("DELETE", path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("unblock: %d", r.Status)
		}
		mod.Do("DELETE", path, nil) // nothing to lift: no event
		want("account.unblocked", 1, user, fmt.Sprintf("by=%d", mod.UserID))

		adminPage := fmt.Sprintf("/admin/users/%d", res.UserID)
		day := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
		if r := page.Do("POST", adminPage+"/block", url.Values{"_csrf": {csrf}, "until": {day}, "reason": {"Spam"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("block form: %d", r.Status)
		}
		if r := page.Do("POST", adminPage+"/unblock", url.Values{"_csrf": {csrf}}); r.Status != http.StatusSeeOther {
			t.Fatalf("unblock form: %d", r.Status)
		}
		want("account.blocked", 2, user)
		want("account.unblocked", 1, user, fmt.Sprintf("by=%d", admin.UserID))

		if r := admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"role": "expert"}); r.Status != http.StatusOK {
			t.Fatalf("role: %d %s", r.Status, r.Body)
		}
		admin.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", res.UserID), map[string]string{"display_name": "Neuer Name"}) // no role change
		want("account.role_changed", 1, user, fmt.Sprintf("by=%d", admin.UserID), "from=resident", "to=expert")
		if r := page.Do("POST", adminPage, url.Values{"_csrf": {csrf}, "role": {"moderator"}, "display_name": {"Neuer Name"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("role form: %d", r.Status)
		}
		want("account.role_changed", 1, user, "from=expert", "to=moderator")

		// Refusals: a guard on the route, and a check in a handler.
		res.Get("/api/v1/users")
		res.Get("/api/v1/expert-groups/1/inbox")
		want("access.refused", 1, user, "path=/api/v1/users")
		want("access.refused", 1, user, "path=/api/v1/expert-groups/1/inbox")
		s.Client().Get("/api/v1/users") // anonymous: 401, not a refusal of access
		want("access.refused", 2)
	})
}
