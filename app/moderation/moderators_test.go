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

// A misplaced idea is moved to another field of its consultation, with
// its comments; it is logged and its author told. Only moderators move,
// and only within the consultation.
func TestMoveIdea(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autorin@example.org", "Autorin")
		mod := account(t, s, "mod@example.org", access.Moderator)
		idea := post(t, author, "/api/v1/fields/1/ideas", map[string]string{"title": "Falsches Feld", "body": "Gehört zum Sozialen."})
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "approve"}); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		comment := post(t, author, fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), map[string]string{"body": "Ergänzung"})
		admin := s.Admin()
		if r := admin.Do("POST", "/api/v1/consultations", map[string]any{
			"slug": "rad", "title": map[string]string{"de": "Rad"}, "description": map[string]string{"de": "Rad."}, "phase": "open", "moderation": "post",
		}); r.Status != 201 {
			t.Fatalf("consultation: %d %s", r.Status, r.Body)
		}
		other := post(t, admin, "/api/v1/consultations/rad/fields", map[string]any{"slug": "feld", "title": map[string]string{"de": "Feld"}})

		move := func(c *apptest.Client, field int64) *apptest.Response {
			return c.Do("POST", fmt.Sprintf("/api/v1/moderation/idea/%d/move", idea.ID), map[string]any{"field_id": field})
		}
		if r := move(author, 2); r.Status != 403 {
			t.Fatalf("a resident moves: %d", r.Status)
		}
		for name, field := range map[string]int64{"same field": 1, "unknown field": 999, "other consultation": other.ID} {
			r := move(mod, field)
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"field_id"`) {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if n := count(t, s, "SELECT COUNT(*) FROM moderation_decisions WHERE action = 'move'"); n != 0 {
			t.Fatalf("a refused move was logged: %d", n)
		}
		r := move(mod, 2)
		var moved struct {
			ID      int64
			FieldID int64 `json:"field_id"`
			Title   string
		}
		r.JSON(t, &moved)
		if r.Status != 200 || moved.ID != idea.ID || moved.FieldID != 2 || moved.Title != "Falsches Feld" {
			t.Fatalf("move: %d %s", r.Status, r.Body)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM comments WHERE id = ? AND field_id = 2", comment.ID); n != 1 {
			t.Fatal("the comment's field did not follow its idea")
		}
		if n := count(t, s, "SELECT COUNT(*) FROM moderation_decisions WHERE action = 'move' AND target_kind = 'idea' AND target_id = ?", idea.ID); n != 1 {
			t.Fatalf("move logged %d times", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'decision' AND body_key = 'notifications.decision.move'", author.UserID); n != 1 {
			t.Fatalf("author told %d times", n)
		}
		b := s.Browser("mod@example.org", "a-good-password")
		logPage := b.Get("/moderation/log").Text()
		if !strings.Contains(logPage, fmt.Sprintf(`<a href="/i/%d" dir="auto">Falsches Feld</a>`, idea.ID)) || !strings.Contains(logPage, "Verschoben") {
			t.Fatal("the log does not show the move with the idea's title and link")
		}

		// The form on the queue page offers the consultation's other fields.
		pending := post(t, author, "/api/v1/fields/1/ideas", map[string]string{"title": "Noch ein Irrläufer", "body": "Wartet."})
		page := b.Get("/moderation").Text()
		action := fmt.Sprintf("/moderation/idea/%d/move", pending.ID)
		if !strings.Contains(page, `action="`+action+`"`) {
			t.Fatal("the queue offers no move form")
		}
		csrf := b.CSRF
		b.CSRF = ""
		if r := b.Do("POST", action, url.Values{"_csrf": {csrf}, "field_id": {fmt.Sprint(other.ID)}}); r.Status != 422 ||
			!strings.Contains(r.Text(), fmt.Sprintf(`href="#field-mod-move-idea-%d-field_id"`, pending.ID)) {
			t.Fatalf("move form to another consultation: %d", r.Status)
		}
		if r := b.Do("POST", action, url.Values{"_csrf": {csrf}, "field_id": {"3"}}); r.Status != 303 {
			t.Fatalf("move form: %d", r.Status)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM ideas WHERE id = ? AND field_id = 3 AND status = 'pending'", pending.ID); n != 1 {
			t.Fatal("the form did not move the waiting idea")
		}
	})
}

// The queue and its page keep contributions written in one language; an
// unknown language is refused on content_lang.
func TestQueueByContentLang(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		mod := account(t, s, "mod@example.org", access.Moderator)
		ar := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "تعليق بالعربية", "lang": "ar"})
		post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Ein deutscher Kommentar", "lang": "de"})
		q := getQueue(t, mod, "?content_lang=ar")
		if len(q.Items) != 1 || q.Items[0].ID != ar.ID || q.Items[0].Lang != "ar" {
			t.Fatalf("queue in Arabic: %+v", q.Items)
		}
		if q := getQueue(t, mod, ""); len(q.Items) != 2 {
			t.Fatalf("queue in every language: %d items", len(q.Items))
		}
		for _, bad := range []string{"xx", "klingonisch", "de'"} {
			mod.Get("/api/v1/moderation/queue?content_lang="+url.QueryEscape(bad)).WantProblem(t, 422, "content_lang")
		}
		b := s.Browser("mod@example.org", "a-good-password")
		page := b.Get("/moderation?content_lang=ar")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), "تعليق بالعربية") || strings.Contains(page.Text(), "Ein deutscher Kommentar") ||
			!strings.Contains(page.Text(), `<option value="ar" lang="ar" selected>`) {
			t.Fatal("the queue page does not filter by language")
		}
	})
}

// From the queue a moderator blocks the author of an item, without
// JavaScript; a bad date comes back beside the item.
func TestBlockFromQueue(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		account(t, s, "mod@example.org", access.Moderator)
		colleague := account(t, s, "kollegin@example.org", access.Moderator)
		c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Werbung für alles"})
		staff := post(t, colleague, "/api/v1/measures/1/comments", map[string]string{"body": "Von der Moderation"})
		b := s.Browser("mod@example.org", "a-good-password")
		page := b.Get("/moderation").Text()
		action := fmt.Sprintf("/moderation/comment/%d/block", c.ID)
		if !strings.Contains(page, `action="`+action+`"`) {
			t.Fatal("the queue offers no block form")
		}
		if strings.Contains(page, fmt.Sprintf(`action="/moderation/comment/%d/block"`, staff.ID)) {
			t.Fatal("a moderator is offered to block another moderator")
		}
		csrf := b.CSRF
		b.CSRF = ""
		r := b.Do("POST", action, url.Values{"_csrf": {csrf}, "until": {"morgen"}, "reason": {"Werbung."}})
		if r.Status != 422 || !strings.Contains(r.Text(), fmt.Sprintf(`href="#field-mod-block-comment-%d-until"`, c.ID)) {
			t.Fatalf("block with a bad date: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		until := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
		if r := b.Do("POST", action, url.Values{"_csrf": {csrf}, "until": {until}, "reason": {"Werbung."}, "back": {"/moderation"}}); r.Status != 303 {
			t.Fatalf("block form: %d %s", r.Status, r.Body)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM users WHERE id = ? AND blocked_until IS NOT NULL AND block_reason = 'Werbung.'", author.UserID); n != 1 {
			t.Fatal("the author is not blocked")
		}
		// A refusal is a notice on the page, not a form to correct.
		refused := func(r *apptest.Response, what string) {
			t.Helper()
			if r.Status != 403 || !strings.Contains(r.Text(), `class="flash flash-error"`) || strings.Contains(r.Text(), "Bitte korrigieren Sie Folgendes") {
				t.Fatalf("%s: %d", what, r.Status)
			}
		}
		refused(b.Do("POST", fmt.Sprintf("/moderation/comment/%d/block", staff.ID), url.Values{"_csrf": {csrf}, "until": {until}, "reason": {"Nein."}}),
			"a moderator blocks a moderator")
		if r := s.Admin().Do("POST", fmt.Sprintf("/api/v1/users/%d/block", author.UserID), map[string]string{
			"until": time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339), "reason": "Vom Admin."}); r.Status != 200 {
			t.Fatalf("admin block: %d %s", r.Status, r.Body)
		}
		r = b.Do("POST", action, url.Values{"_csrf": {csrf}, "until": {until}, "reason": {"Kürzer."}})
		refused(r, "a moderator replaces an administrator's block")
		if !strings.Contains(r.Text(), "Diese Sperre hat die Administration verhängt") {
			t.Fatal("the notice does not say why")
		}
	})
}

// An appeal shows the decision it contests; the moderator who took it
// reads a note instead of the form, and the rejection under appeal is
// not counted as an earlier one.
func TestAppealShowsDecision(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		first := account(t, s, "erste@example.org", access.Moderator)
		account(t, s, "zweite@example.org", access.Moderator)
		c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Mein Einwand"})
		if r := decide(first, "comment", c.ID, map[string]any{"action": "reject", "reason": "spam", "statement": "Sieht nach Werbung aus."}); r.Status != 200 {
			t.Fatalf("reject: %d %s", r.Status, r.Body)
		}
		if r := author.Do("POST", fmt.Sprintf("/api/v1/comments/%d/appeal", c.ID), map[string]string{"statement": "Keine Werbung."}); r.Status != 202 {
			t.Fatalf("appeal: %d %s", r.Status, r.Body)
		}
		q := getQueue(t, first, "?state=appealed")
		if len(q.Items) != 1 || q.Items[0].AuthorRejected != 0 {
			t.Fatalf("the rejection under appeal counts as an earlier one: %+v", q.Items)
		}
		form := fmt.Sprintf(`action="/moderation/comment/%d/decision"`, c.ID)
		page := s.Browser("erste@example.org", "a-good-password").Get("/moderation?state=appealed").Text()
		if !strings.Contains(page, "Sieht nach Werbung aus.") || !strings.Contains(page, "Keine Werbung.") {
			t.Fatal("the appeal does not show the decision appealed against")
		}
		if strings.Contains(page, form) || !strings.Contains(page, "Sie haben die angefochtene Entscheidung getroffen") {
			t.Fatal("the first decider is offered the form")
		}
		page = s.Browser("zweite@example.org", "a-good-password").Get("/moderation?state=appealed").Text()
		if !strings.Contains(page, form) || !strings.Contains(page, "Entschieden von <bdi>erste</bdi>") || !strings.Contains(page, "Sieht nach Werbung aus.") {
			t.Fatal("another moderator does not see the decision and the form")
		}
	})
}
