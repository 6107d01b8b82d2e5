package accounts_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
)

func staffAccount(t *testing.T, s *apptest.Server, email string, role access.Role) {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "a-good-password", DisplayName: strings.Split(email, "@")[0], Role: role, PrivacyConsent: true,
	}); err != nil {
		t.Fatal(err)
	}
}

func wantBlockedAnswer(t *testing.T, r *apptest.Response, reason string) {
	t.Helper()
	m := r.Map(t)
	if r.Status != http.StatusForbidden || m["code"] != "blocked" || m["reason"] != reason || m["until"] == nil {
		t.Errorf("want 403 blocked with reason %q: %d %s", reason, r.Status, r.Body)
	}
}

// The reported attack: admin B blocks admin A; A then tries to block B,
// to demote B and to read the accounts, through the API and the pages.
// Each answers 403 blocked, and B stays an unblocked admin.
func TestBlockedAdminCannotStrikeBack(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		staffAccount(t, s, "admin-a@example.org", access.Admin)
		staffAccount(t, s, "admin-b@example.org", access.Admin)
		a := s.Login("admin-a@example.org", "a-good-password")
		page := s.Browser("admin-a@example.org", "a-good-password")
		csrf := page.CSRF
		page.CSRF = ""
		b := s.Login("admin-b@example.org", "a-good-password")
		const reason = "Verdacht auf Kontoübernahme"
		until := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
		if r := b.Do("POST", fmt.Sprintf("/api/v1/users/%d/block", a.UserID), map[string]string{"until": until, "reason": reason}); r.Status != 200 {
			t.Fatalf("B blocks A: %d %s", r.Status, r.Body)
		}

		bPath := fmt.Sprintf("/api/v1/users/%d", b.UserID)
		wantBlockedAnswer(t, a.Do("POST", bPath+"/block", map[string]string{"until": until, "reason": "Zurück"}), reason)
		wantBlockedAnswer(t, a.Do("PATCH", bPath, map[string]string{"role": "resident"}), reason)
		wantBlockedAnswer(t, a.Do("DELETE", fmt.Sprintf("/api/v1/users/%d/block", a.UserID), nil), reason)
		wantBlockedAnswer(t, a.Get("/api/v1/users"), reason)
		wantBlockedAnswer(t, a.Get("/api/v1/audit-log"), reason)
		adminB := fmt.Sprintf("/admin/users/%d", b.UserID)
		for _, r := range []*apptest.Response{
			page.Get("/admin"),
			page.Get(adminB),
			page.Do("POST", adminB+"/block", url.Values{"_csrf": {csrf}, "until": {time.Now().AddDate(0, 0, 3).Format("2006-01-02")}, "reason": {"Zurück"}}),
			page.Do("POST", adminB, url.Values{"_csrf": {csrf}, "role": {"resident"}, "display_name": {"admin-b"}}),
		} {
			if r.Status != http.StatusForbidden || !strings.Contains(r.Text(), reason) {
				t.Errorf("A's admin page: %d", r.Status)
			}
		}

		v, err := s.App.Accounts.Authenticate(t.Context(), b.Token)
		if err != nil || v == nil || v.Role != access.Admin || v.Blocked(time.Now()) {
			t.Fatalf("B after A's attempts: %+v %v", v, err)
		}
	})
}

// Moderators block residents and experts only, and cannot lift or
// replace a block an administrator set; a moderator's block another
// moderator may change, and an administrator any.
func TestModeratorsCannotLiftAnAdminsBlock(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		staffAccount(t, s, "mod@example.org", access.Moderator)
		staffAccount(t, s, "mod2@example.org", access.Moderator)
		mod := s.Login("mod@example.org", "a-good-password")
		mod2 := s.Login("mod2@example.org", "a-good-password")
		admin := s.Admin()
		troll := s.Register("troll@example.org", "Troll")
		path := fmt.Sprintf("/api/v1/users/%d/block", troll.UserID)
		until := func(h int) string { return time.Now().Add(time.Duration(h) * time.Hour).UTC().Format(time.RFC3339) }
		blockReason := func() string {
			t.Helper()
			var list struct {
				Items []struct {
					ID           int64
					BlockedUntil time.Time `json:"blocked_until"`
					BlockReason  string    `json:"block_reason"`
				}
			}
			admin.Get("/api/v1/moderation/blocks").JSON(t, &list)
			for _, b := range list.Items {
				if b.ID == troll.UserID {
					return b.BlockReason
				}
			}
			return ""
		}

		if r := admin.Do("POST", path, map[string]string{"until": until(240), "reason": "Bedrohungen"}); r.Status != 200 {
			t.Fatalf("admin blocks: %d %s", r.Status, r.Body)
		}
		if r := mod.Do("DELETE", path, nil); r.Status != http.StatusForbidden {
			t.Fatalf("a moderator lifts an admin's block: %d %s", r.Status, r.Body)
		}
		if r := mod.Do("POST", path, map[string]string{"until": until(1), "reason": "Kürzer"}); r.Status != http.StatusForbidden {
			t.Fatalf("a moderator shortens an admin's block: %d %s", r.Status, r.Body)
		}
		if got := blockReason(); got != "Bedrohungen" {
			t.Fatalf("the admin's block after the moderator's attempts: %q", got)
		}
		if r := admin.Do("DELETE", path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("the admin lifts their block: %d %s", r.Status, r.Body)
		}

		// A moderator's block: another moderator may change and lift it.
		if r := mod.Do("POST", path, map[string]string{"until": until(24), "reason": "Spam"}); r.Status != 200 {
			t.Fatalf("moderator blocks: %d %s", r.Status, r.Body)
		}
		if r := mod2.Do("POST", path, map[string]string{"until": until(48), "reason": "Spam, wiederholt"}); r.Status != 200 {
			t.Fatalf("another moderator extends a moderator's block: %d %s", r.Status, r.Body)
		}
		if r := mod.Do("DELETE", path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("a moderator lifts a moderator's block: %d %s", r.Status, r.Body)
		}
		if got := blockReason(); got != "" {
			t.Fatalf("still blocked: %q", got)
		}
	})
}
