package accounts_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

type blockItem struct {
	ID           int64     `json:"id"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	BlockedUntil time.Time `json:"blocked_until"`
	BlockReason  string    `json:"block_reason"`
	BlockedBy    *struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"blocked_by"`
}

func TestModeratorsBlockAndUnblock(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		troll := s.Register("troll@example.org", "Troll")
		until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
		path := fmt.Sprintf("/api/v1/users/%d/block", troll.UserID)

		r := mod.Do("POST", path, map[string]string{"until": until.Format(time.RFC3339), "reason": "Wiederholte Beleidigungen"})
		var b blockItem
		r.JSON(t, &b)
		if r.Status != 200 || b.ID != troll.UserID || b.DisplayName != "Troll" || !b.BlockedUntil.Equal(until) ||
			b.BlockReason != "Wiederholte Beleidigungen" || b.BlockedBy == nil || b.BlockedBy.ID != mod.UserID {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}
		if strings.Contains(r.Text(), "troll@example.org") {
			t.Fatal("a moderator is shown the e-mail address")
		}
		// The block reaches the viewer of the blocked person's requests.
		v, err := s.App.Accounts.Authenticate(t.Context(), troll.Token)
		if err != nil || v == nil || !v.Blocked(time.Now()) || v.BlockReason != "Wiederholte Beleidigungen" || v.Blocked(until.Add(time.Second)) {
			t.Fatalf("viewer after block: %+v %v", v, err)
		}
		var list struct{ Items []blockItem }
		r = mod.Get("/api/v1/moderation/blocks")
		r.JSON(t, &list)
		if r.Status != 200 || len(list.Items) != 1 || list.Items[0].ID != troll.UserID || list.Items[0].BlockedBy.DisplayName != "Moderatorin" {
			t.Fatalf("blocks: %d %s", r.Status, r.Body)
		}
		var users struct{ Items []accountItem }
		s.Admin().Get("/api/v1/users?q=troll").JSON(t, &users)
		if len(users.Items) != 1 || users.Items[0].BlockedUntil == nil || !users.Items[0].BlockedUntil.Equal(until) {
			t.Fatalf("the account list does not show the block: %+v", users.Items)
		}

		if r := mod.Do("DELETE", path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("unblock: %d %s", r.Status, r.Body)
		}
		if r := mod.Do("DELETE", path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("unblock twice: %d %s", r.Status, r.Body)
		}
		mod.Get("/api/v1/moderation/blocks").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("blocks after unblock: %+v", list.Items)
		}
		if v, _ := s.App.Accounts.Authenticate(t.Context(), troll.Token); v.Blocked(time.Now()) {
			t.Fatal("still blocked after unblock")
		}
		// An administrator blocks too, also a moderator.
		if r := s.Admin().Do("POST", fmt.Sprintf("/api/v1/users/%d/block", mod.UserID), map[string]string{"until": until.Format(time.RFC3339), "reason": "Pause"}); r.Status != 200 {
			t.Fatalf("admin blocks a moderator: %d %s", r.Status, r.Body)
		}

		var actions []string
		if err := s.App.Store.DB.NewRaw("SELECT action FROM audit_log WHERE object_kind = 'user' AND action LIKE 'user.%block' ORDER BY id").Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, ",") != "user.block,user.unblock,user.block" {
			t.Fatalf("audit: %v (a second unblock changes nothing and is not logged)", actions)
		}
	})
}

func TestBlockRefusals(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		other := s.AccountAs("mod2@example.org", "Moderator Zwei", "moderator")
		expert := s.AccountAs("exp@example.org", "Expertin", "expert")
		res := s.Register("res@example.org", "Resident")
		admin := s.Admin()
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		good := map[string]string{"until": future, "reason": "Spam"}
		block := func(id int64) string { return fmt.Sprintf("/api/v1/users/%d/block", id) }
		cases := []struct {
			name   string
			as     *apptest.Client
			method string
			path   string
			body   any
			status int
			field  string
		}{
			{"anonymous", s.Client(), "POST", block(res.UserID), good, 401, ""},
			{"resident", res, "POST", block(expert.UserID), good, 403, ""},
			{"expert", expert, "POST", block(res.UserID), good, 403, ""},
			{"expert lists blocks", expert, "GET", "/api/v1/moderation/blocks", nil, 403, ""},
			{"resident unblocks", res, "DELETE", block(res.UserID), nil, 403, ""},
			{"moderator blocks a moderator", mod, "POST", block(other.UserID), good, 403, ""},
			{"moderator blocks an admin", mod, "POST", block(admin.UserID), good, 403, ""},
			{"moderator blocks themselves", mod, "POST", block(mod.UserID), good, 403, ""},
			{"admin blocks themselves", admin, "POST", block(admin.UserID), good, 403, ""},
			{"until in the past", mod, "POST", block(res.UserID), map[string]string{"until": "2020-01-01T00:00:00Z", "reason": "Spam"}, 422, "until"},
			{"until not RFC 3339", mod, "POST", block(res.UserID), map[string]string{"until": "tomorrow", "reason": "Spam"}, 422, "until"},
			{"until missing", mod, "POST", block(res.UserID), map[string]string{"reason": "Spam"}, 422, "until"},
			{"reason missing", mod, "POST", block(res.UserID), map[string]string{"until": future}, 422, "reason"},
			{"reason too long", mod, "POST", block(res.UserID), map[string]string{"until": future, "reason": strings.Repeat("x", 1001)}, 422, "reason"},
			{"unknown account", mod, "POST", block(99999), good, 404, ""},
			{"not json", mod, "POST", block(res.UserID), apptest.Raw{ContentType: "text/plain", Body: []byte("x")}, 415, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.as.Do(c.method, c.path, c.body).WantProblem(t, c.status, c.field)
			})
		}
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM users WHERE blocked_until IS NOT NULL").Scan(t.Context(), &n); err != nil || n != 0 {
			t.Fatalf("refused blocks blocked %d accounts (%v)", n, err)
		}
	})
}
