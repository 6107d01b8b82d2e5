package moderation_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/apptest"
)

const selfDecisionText = "Über eigene Beiträge entscheidet eine andere Person aus der Moderation."

// A moderator never decides on their own contribution, on the API or the
// queue page (403, code self_decision), and an appeal is decided by a
// moderator other than its author and the first decider.
func TestNobodyDecidesOnTheirOwnContributions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := account(t, s, "schreibende-mod@example.org", access.Moderator)
		first := account(t, s, "erste-mod@example.org", access.Moderator)
		third := account(t, s, "dritte-mod@example.org", access.Moderator)
		own := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Ich moderiere und schreibe auch mit."})
		state := func() string {
			t.Helper()
			var st string
			if err := s.App.Store.DB.NewRaw("SELECT status FROM comments WHERE id = ?", own.ID).Scan(t.Context(), &st); err != nil {
				t.Fatal(err)
			}
			return st
		}

		r := decide(author, "comment", own.ID, map[string]any{"action": "approve"})
		if r.Status != 403 || r.Map(t)["code"] != "self_decision" {
			t.Fatalf("approving one's own comment: %d %s", r.Status, r.Body)
		}

		b := s.Browser("schreibende-mod@example.org", "a-good-password")
		csrf := b.CSRF
		b.CSRF = ""
		page := b.Get("/moderation?state=pending").Text()
		form := fmt.Sprintf(`action="/moderation/comment/%d/decision"`, own.ID)
		if strings.Contains(page, form) || !strings.Contains(page, selfDecisionText) {
			t.Fatalf("the queue offers its author a decision on their own comment")
		}
		r = b.Do("POST", fmt.Sprintf("/moderation/comment/%d/decision", own.ID), url.Values{"_csrf": {csrf}, "action": {"approve"}})
		if r.Status != 403 || !strings.Contains(r.Text(), selfDecisionText) {
			t.Fatalf("the decision form on one's own comment: %d", r.Status)
		}
		if st := state(); st != "pending" {
			t.Fatalf("the refused decisions changed the comment: %s", st)
		}

		// Another moderator decides; the author appeals, and neither they
		// nor the first decider decides the appeal.
		if r := decide(first, "comment", own.ID, map[string]any{"action": "reject", "reason": "off_topic", "statement": "Gehört nicht zur Maßnahme."}); r.Status != 200 {
			t.Fatalf("another moderator rejects: %d %s", r.Status, r.Body)
		}
		if r := author.Do("POST", fmt.Sprintf("/api/v1/comments/%d/appeal", own.ID), map[string]string{"statement": "Doch, es geht um die Maßnahme."}); r.Status != 202 {
			t.Fatalf("appeal: %d %s", r.Status, r.Body)
		}
		if r := decide(author, "comment", own.ID, map[string]any{"action": "restore"}); r.Status != 403 || r.Map(t)["code"] != "self_decision" {
			t.Fatalf("the author decides their own appeal: %d %s", r.Status, r.Body)
		}
		if r := decide(first, "comment", own.ID, map[string]any{"action": "restore"}); r.Status != 403 {
			t.Fatalf("the first decider decides the appeal: %d %s", r.Status, r.Body)
		}
		if st := state(); st != "rejected" {
			t.Fatalf("the refused appeal decisions changed the comment: %s", st)
		}
		if r := decide(third, "comment", own.ID, map[string]any{"action": "restore"}); r.Status != 200 {
			t.Fatalf("a third moderator decides the appeal: %d %s", r.Status, r.Body)
		}
	})
}

// A blocked moderator neither decides nor reads the queue, the log or the
// blocks, on the API or the pages; the answer gives the block's reason
// and end.
func TestBlockedModeratorIsRefused(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autorin@example.org", "Autorin")
		comment := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Bitte mehr Dolmetschende!"})
		mod := account(t, s, "mod@example.org", access.Moderator)
		b := s.Browser("mod@example.org", "a-good-password")
		csrf := b.CSRF
		b.CSRF = ""
		if r := mod.Get("/api/v1/moderation/queue"); r.Status != 200 {
			t.Fatalf("the moderator before the block: %d", r.Status)
		}
		const reason = "Entscheidungen ohne Begründung"
		until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		if r := s.Admin().Do("POST", fmt.Sprintf("/api/v1/users/%d/block", mod.UserID), map[string]string{"until": until.Format(time.RFC3339), "reason": reason}); r.Status != 200 {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}

		for _, r := range []*apptest.Response{
			mod.Get("/api/v1/moderation/queue"),
			mod.Get("/api/v1/moderation/log"),
			mod.Get("/api/v1/moderation/blocks"),
			decide(mod, "comment", comment.ID, map[string]any{"action": "approve"}),
			mod.Do("POST", fmt.Sprintf("/api/v1/users/%d/block", author.UserID), map[string]string{"until": until.Format(time.RFC3339), "reason": "Rache"}),
		} {
			m := r.Map(t)
			if r.Status != 403 || m["code"] != "blocked" || m["reason"] != reason || m["until"] != until.Format(time.RFC3339) {
				t.Errorf("blocked moderator: %d %s", r.Status, r.Body)
			}
		}
		for _, r := range []*apptest.Response{
			b.Get("/moderation"),
			b.Get("/moderation/log"),
			b.Do("POST", fmt.Sprintf("/moderation/comment/%d/decision", comment.ID), url.Values{"_csrf": {csrf}, "action": {"approve"}}),
		} {
			if r.Status != 403 || !strings.Contains(r.Text(), reason) {
				t.Errorf("blocked moderator's page: %d", r.Status)
			}
		}
		if n := count(t, s, "SELECT COUNT(*) FROM moderation_decisions"); n != 0 {
			t.Fatalf("a blocked moderator decided %d times", n)
		}
	})
}

// The queue shows which contributions staff wrote (author.role), as every
// list of comments and ideas does; residents carry no role.
func TestQueueShowsStaffRoles(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		mod := account(t, s, "rollen-mod@example.org", access.Moderator)
		resident := s.Register("rollen-res@example.org", "Rollenlos")
		byMod := post(t, mod, "/api/v1/measures/1/comments", map[string]string{"body": "Von der Moderation geschrieben."})
		byResident := post(t, resident, "/api/v1/measures/1/comments", map[string]string{"body": "Von einer Bewohnerin geschrieben."})
		r := s.Admin().Get("/api/v1/moderation/queue?state=pending")
		var q struct {
			Items []struct {
				ID     int64
				Author map[string]any
			}
		}
		r.JSON(t, &q)
		roles := map[int64]any{}
		for _, it := range q.Items {
			roles[it.ID] = it.Author["role"]
		}
		if roles[byMod.ID] != "moderator" {
			t.Errorf("a moderator's comment in the queue: role %v", roles[byMod.ID])
		}
		if role, has := roles[byResident.ID]; has && role != nil {
			t.Errorf("a resident's comment in the queue: role %v", role)
		}
	})
}
