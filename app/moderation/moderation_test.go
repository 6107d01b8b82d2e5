package moderation_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

func account(t *testing.T, s *apptest.Server, email string, role access.Role, groups ...int64) *apptest.Client {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "a-good-password", DisplayName: strings.Split(email, "@")[0], Role: role, Groups: groups,
	}); err != nil {
		t.Fatal(err)
	}
	return s.Login(email, "a-good-password")
}

func exec(t *testing.T, s *apptest.Server, query string, args ...any) {
	t.Helper()
	if err := s.App.Store.Write(t.Context(), func(ctx ctxT, tx txT) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.App.Store.DB.NewRaw(query, args...).Scan(t.Context(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

type created struct {
	ID     int64
	Status string
}

func post(t *testing.T, c *apptest.Client, path string, body any) created {
	t.Helper()
	var cr created
	r := c.Do("POST", path, body)
	if r.Status != 201 {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	r.JSON(t, &cr)
	return cr
}

type queueItem struct {
	Kind         string
	ID           int64
	Consultation string
	FieldID      int64 `json:"field_id"`
	Title        *string
	Body         string
	Lang         string
	Author       struct {
		DisplayName string `json:"display_name"`
	}
	AuthorRejected int `json:"author_rejected"`
	Reports        []struct{ Reason, Note string }
	Flags          []string
	Appeal         *struct{ Statement string }
	State          string
	Version        int
}

type queue struct {
	Items  []queueItem
	Counts struct{ Pending, Reported, Appealed int }
}

func getQueue(t *testing.T, c *apptest.Client, query string) queue {
	t.Helper()
	var q queue
	r := c.Get("/api/v1/moderation/queue" + query)
	if r.Status != 200 {
		t.Fatalf("queue: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &q)
	return q
}

func decide(c *apptest.Client, kind string, id int64, body map[string]any) *apptest.Response {
	return c.Do("POST", fmt.Sprintf("/api/v1/moderation/%s/%d/decision", kind, id), body)
}

func TestPendingQueueAndDecisions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autorin@example.org", "Autorin")
		mod := account(t, s, "mod@example.org", access.Moderator)
		comment := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Bitte mehr Dolmetschende!"})
		time.Sleep(5 * time.Millisecond)
		idea := post(t, author, "/api/v1/fields/1/ideas", map[string]string{"title": "Sprachcafé", "body": "Für alle."})

		for _, refused := range []struct {
			name   string
			c      *apptest.Client
			status int
		}{{"anonymous", s.Client(), 401}, {"resident", author, 403}, {"expert", account(t, s, "exp@example.org", access.Expert, 1), 403}} {
			if r := refused.c.Get("/api/v1/moderation/queue"); r.Status != refused.status {
				t.Errorf("%s on the queue: %d", refused.name, r.Status)
			}
			if r := decide(refused.c, "comment", comment.ID, map[string]any{"action": "approve"}); r.Status != refused.status {
				t.Errorf("%s deciding: %d", refused.name, r.Status)
			}
			if r := refused.c.Get("/api/v1/moderation/log"); r.Status != refused.status {
				t.Errorf("%s on the log: %d", refused.name, r.Status)
			}
			if r := refused.c.Get("/moderation"); r.Status == 200 {
				t.Errorf("%s sees the moderation page", refused.name)
			}
		}

		q := getQueue(t, mod, "?state=pending")
		if len(q.Items) != 2 || q.Counts.Pending != 2 || q.Items[0].Kind != "comment" || q.Items[1].Kind != "idea" {
			t.Fatalf("pending queue %+v", q)
		}
		if it := q.Items[1]; it.Title == nil || *it.Title != "Sprachcafé" || it.Consultation != "wir2" || it.FieldID != 1 ||
			it.Author.DisplayName != "Autorin" || it.Lang != "de" || it.State != "pending" || it.Version != 1 || it.Reports == nil || it.Flags == nil {
			t.Fatalf("idea in the queue %+v", it)
		}
		if q := getQueue(t, mod, "?state=pending&field=2"); len(q.Items) != 0 {
			t.Fatalf("field filter: %+v", q.Items)
		}
		if q := getQueue(t, mod, "?state=pending&consultation=wir2&field=1"); len(q.Items) != 2 {
			t.Fatalf("consultation and field filter: %d items", len(q.Items))
		}
		if r := mod.Get("/api/v1/moderation/queue?state=nonsense"); r.Status != 422 {
			t.Fatalf("unknown queue: %d", r.Status)
		}
		// Approving publishes.
		r := decide(mod, "comment", comment.ID, map[string]any{"action": "approve", "version": 1})
		if r.Status != 200 || !strings.Contains(r.Text(), `"state":"published"`) || !strings.Contains(r.Text(), `"version":2`) {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		var list struct{ Items []struct{ ID int64 } }
		s.Client().Get("/api/v1/measures/1/comments").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != comment.ID {
			t.Fatalf("approved comment not listed: %+v", list)
		}
		// A second decision on the same state is refused.
		if r := decide(mod, "comment", comment.ID, map[string]any{"action": "approve", "version": 1}); r.Status != 409 {
			t.Fatalf("stale decision: %d", r.Status)
		}
		// Rejecting needs a reason and a statement.
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "reject", "statement": "x"}); r.Status != 422 || !strings.Contains(r.Text(), `"field":"reason"`) {
			t.Fatalf("reject without reason: %d %s", r.Status, r.Body)
		}
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "reject", "reason": "off_topic"}); r.Status != 422 || !strings.Contains(r.Text(), `"field":"statement"`) {
			t.Fatalf("reject without statement: %d %s", r.Status, r.Body)
		}
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "dance"}); r.Status != 422 {
			t.Fatalf("unknown action: %d", r.Status)
		}
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "hide", "reason": "spam", "statement": "Werbung."}); r.Status != 409 {
			t.Fatalf("hiding a pending idea: %d", r.Status)
		}
		if r := decide(mod, "essay", idea.ID, map[string]any{"action": "approve"}); r.Status != 404 {
			t.Fatalf("unknown kind: %d", r.Status)
		}
		if r := decide(mod, "idea", 99999, map[string]any{"action": "approve"}); r.Status != 404 {
			t.Fatalf("unknown idea: %d", r.Status)
		}
		statement := "Die Idee gehört in ein anderes Handlungsfeld."
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "reject", "reason": "off_topic", "statement": statement}); r.Status != 200 {
			t.Fatalf("reject: %d %s", r.Status, r.Body)
		}
		// The author sees the decision and its reasons, on /me and in the export.
		b := s.Browser("autorin@example.org", "a-good-password")
		if me := b.Get("/me").Text(); !strings.Contains(me, statement) || !strings.Contains(me, "Nicht zum Thema") || !strings.Contains(me, "Widerspruch einlegen") {
			t.Fatal("/me does not show the decision")
		}
		if e := author.Get("/api/v1/me/export").Text(); !strings.Contains(e, statement) || !strings.Contains(e, `"action":"reject"`) {
			t.Fatalf("the export lacks the decision: %s", e)
		}
		if r := s.Client().Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID)); r.Status != 404 {
			t.Fatalf("a rejected idea is public: %d", r.Status)
		}
		// Upholding without an appeal is refused; restoring undoes the decision.
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "reject", "reason": "spam", "statement": "x"}); r.Status != 409 {
			t.Fatalf("rejecting a rejected idea without appeal: %d", r.Status)
		}
		if r := decide(mod, "idea", idea.ID, map[string]any{"action": "restore"}); r.Status != 200 {
			t.Fatalf("restore: %d %s", r.Status, r.Body)
		}
		if r := s.Client().Get(fmt.Sprintf("/api/v1/ideas/%d", idea.ID)); r.Status != 200 {
			t.Fatalf("restored idea: %d", r.Status)
		}
		// The log has it all, newest first, and nothing was deleted.
		var log struct {
			Items []struct {
				Actor struct {
					DisplayName string `json:"display_name"`
				}
				Kind      string
				TargetID  int64 `json:"target_id"`
				Action    string
				Reason    string
				Statement string
			}
		}
		mod.Get("/api/v1/moderation/log").JSON(t, &log)
		if len(log.Items) != 3 || log.Items[0].Action != "restore" || log.Items[1].Action != "reject" || log.Items[1].Statement != statement ||
			log.Items[1].Reason != "off_topic" || log.Items[2].Action != "approve" || log.Items[0].Actor.DisplayName != "mod" {
			t.Fatalf("log %+v", log.Items)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM moderation_decisions"); n != 3 {
			t.Fatalf("%d decisions stored", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE type = 'moderation.queue' AND topics = ',moderation,'"); n < 5 {
			t.Fatalf("%d moderation.queue events", n)
		}
		for _, page := range []string{"/moderation", "/moderation?state=all", "/moderation/log"} {
			mb := s.Browser("mod@example.org", "a-good-password")
			if r := mb.Get(page); r.Status != 200 {
				t.Fatalf("%s: %d", page, r.Status)
			}
		}
	})
}

// Two moderators deciding the same item at the same moment: one wins, the
// other is told the item changed.
func TestConcurrentDecisions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		mods := []*apptest.Client{account(t, s, "m1@example.org", access.Moderator), account(t, s, "m2@example.org", access.Moderator)}
		for round := range 8 {
			c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": fmt.Sprintf("Runde %d", round)})
			start := make(chan struct{})
			statuses := make([]int, 2)
			var wg sync.WaitGroup
			for i, m := range mods {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					action := map[string]any{"action": "approve", "version": 1}
					if i == 1 {
						action = map[string]any{"action": "reject", "reason": "spam", "statement": "Spam.", "version": 1}
					}
					statuses[i] = decide(m, "comment", c.ID, action).Status
				}()
			}
			close(start)
			wg.Wait()
			ok, conflict := 0, 0
			for _, st := range statuses {
				switch st {
				case 200:
					ok++
				case 409:
					conflict++
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM moderation_decisions WHERE target_kind = 'comment' AND target_id = ?", c.ID); n != 1 {
				t.Fatalf("round %d: %d decisions", round, n)
			}
		}
	})
}

func TestReportsHideAutomatically(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		author := s.Register("autor@example.org", "Autor")
		mod := account(t, s, "mod@example.org", access.Moderator)
		c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Strittiger Kommentar"})
		report := func(email string, old bool, reason string) *apptest.Client {
			r := s.Register(email, strings.Split(email, "@")[0])
			if old {
				exec(t, s, "UPDATE users SET created_at = ? WHERE email = ?", time.Now().Add(-48*time.Hour).UTC(), email)
			}
			if resp := r.Do("POST", "/api/v1/reports", map[string]any{"target": "comment", "id": c.ID, "reason": reason, "note": "Notiz von " + email}); resp.Status != 202 {
				t.Fatalf("report: %d %s", resp.Status, resp.Body)
			}
			return r
		}
		visible := func() bool {
			var list struct{ Items []struct{ ID int64 } }
			s.Client().Get("/api/v1/measures/1/comments").JSON(t, &list)
			return len(list.Items) == 1
		}
		// New accounts' reports queue the comment but do not hide it.
		for i := range 3 {
			report(fmt.Sprintf("new%d@example.org", i), false, "insult")
		}
		if !visible() {
			t.Fatal("reports by accounts younger than a day hid the comment")
		}
		q := getQueue(t, mod, "?state=reported")
		if len(q.Items) != 1 || len(q.Items[0].Reports) != 3 || q.Items[0].Reports[0].Note != "Notiz von new0@example.org" || q.Counts.Reported != 1 {
			t.Fatalf("reported queue %+v", q)
		}
		// Three established accounts: hidden until a moderator decides.
		var reporter *apptest.Client
		report("old0@example.org", true, "insult")
		report("old1@example.org", true, "discrimination")
		if !visible() {
			t.Fatal("hidden after two reports")
		}
		reporter = report("old2@example.org", true, "insult")
		if visible() {
			t.Fatal("not hidden after three reports from established accounts")
		}
		var m struct {
			CommentCount int `json:"comment_count"`
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if m.CommentCount != 0 {
			t.Fatalf("a hidden comment is counted: %d", m.CommentCount)
		}
		q = getQueue(t, mod, "?state=reported")
		if len(q.Items) != 1 || q.Items[0].State != "hidden" || len(q.Items[0].Reports) != 6 {
			t.Fatalf("auto-hidden item in the queue %+v", q.Items)
		}
		var log struct {
			Items []struct {
				Actor  struct{ ID *int64 }
				Action string
				Reason string
			}
		}
		mod.Get("/api/v1/moderation/log").JSON(t, &log)
		if len(log.Items) != 1 || log.Items[0].Actor.ID != nil || log.Items[0].Action != "hide" || log.Items[0].Reason != "insult" {
			t.Fatalf("automatic decision in the log %+v", log.Items)
		}
		// A moderator approves: back, reports closed, reporters see it.
		if r := decide(mod, "comment", c.ID, map[string]any{"action": "approve", "version": q.Items[0].Version}); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if !visible() {
			t.Fatal("not visible after approval")
		}
		if q := getQueue(t, mod, "?state=reported"); len(q.Items) != 0 || q.Counts.Reported != 0 {
			t.Fatalf("approved item still reported: %+v", q)
		}
		b := s.Browser("old2@example.org", "a-good-password")
		if me := b.Get("/me").Text(); !strings.Contains(me, "Beitrag bleibt sichtbar") {
			t.Fatal("the reporter does not see the outcome on /me")
		}
		_ = reporter
		// Hiding a published item needs reasons too, and takes it away again.
		if r := decide(mod, "comment", c.ID, map[string]any{"action": "hide", "reason": "insult", "statement": "Beleidigend."}); r.Status != 200 {
			t.Fatalf("hide: %d %s", r.Status, r.Body)
		}
		if visible() {
			t.Fatal("hidden comment visible")
		}
		if strings.Contains(s.Client().Get("/m/1").Text(), "Strittiger Kommentar") {
			t.Fatal("the page shows a hidden comment")
		}
	})
}

func TestScreeningFlagsUnderPostModeration(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		for lang, terms := range map[string][]string{"de": {"Dummkopf", "hetz*"}, "en": {}} {
			if r := admin.Do("PUT", "/api/v1/moderation/screening/"+lang, map[string]any{"terms": terms}); r.Status != 200 {
				t.Fatalf("set the %s list: %d %s", lang, r.Status, r.Body)
			}
		}
		admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		author := s.Register("autor@example.org", "Autor")
		mod := account(t, s, "mod@example.org", access.Moderator)
		clean := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Ganz freundlich."})
		flagged := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "So ein Dummkopf, das ist Hetze."})
		if clean.Status != "published" || flagged.Status != "published" {
			t.Fatalf("post-moderation states %s %s", clean.Status, flagged.Status)
		}
		q := getQueue(t, mod, "?state=reported")
		if len(q.Items) != 1 || q.Items[0].ID != flagged.ID || strings.Join(q.Items[0].Flags, ",") != "Dummkopf,hetz*" || len(q.Items[0].Reports) != 0 {
			t.Fatalf("reported queue %+v", q.Items)
		}
		// Under pre-moderation the flags show in the pending queue.
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "pre"})
		idea := post(t, author, "/api/v1/fields/1/ideas", map[string]string{"title": "Gegen Hetzer", "body": "Text"})
		q = getQueue(t, mod, "?state=pending")
		if len(q.Items) != 1 || q.Items[0].ID != idea.ID || strings.Join(q.Items[0].Flags, ",") != "hetz*" {
			t.Fatalf("pending queue %+v", q.Items)
		}
		if r := decide(mod, "comment", flagged.ID, map[string]any{"action": "approve"}); r.Status != 200 {
			t.Fatalf("approve flagged: %d", r.Status)
		}
		if q := getQueue(t, mod, "?state=reported"); len(q.Items) != 0 {
			t.Fatalf("approved flagged item still queued: %+v", q.Items)
		}
	})
}

func TestAppeals(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		other := s.Register("andere@example.org", "Andere")
		first := account(t, s, "erste@example.org", access.Moderator)
		second := account(t, s, "zweite@example.org", access.Moderator)
		c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Mein Kommentar"})
		appeal := fmt.Sprintf("/api/v1/comments/%d/appeal", c.ID)
		if r := author.Do("POST", appeal, map[string]string{"statement": "Warum?"}); r.Status != 409 {
			t.Fatalf("appeal without a decision: %d", r.Status)
		}
		if r := decide(first, "comment", c.ID, map[string]any{"action": "reject", "reason": "insult", "statement": "Beleidigend."}); r.Status != 200 {
			t.Fatalf("reject: %d", r.Status)
		}
		if r := other.Do("POST", appeal, map[string]string{"statement": "Unfair!"}); r.Status != 403 {
			t.Fatalf("appeal by someone else: %d", r.Status)
		}
		if r := author.Do("POST", appeal, map[string]string{"statement": " "}); r.Status != 422 {
			t.Fatalf("empty appeal: %d", r.Status)
		}
		if r := author.Do("POST", appeal, map[string]string{"statement": "Das war keine Beleidigung, sondern Kritik."}); r.Status != 202 {
			t.Fatalf("appeal: %d %s", r.Status, r.Body)
		}
		if r := author.Do("POST", appeal, map[string]string{"statement": "Nochmal"}); r.Status != 409 {
			t.Fatalf("second appeal of the same decision: %d", r.Status)
		}
		q := getQueue(t, second, "?state=appealed")
		if len(q.Items) != 1 || q.Items[0].Appeal == nil || q.Items[0].Appeal.Statement != "Das war keine Beleidigung, sondern Kritik." || q.Counts.Appealed != 1 {
			t.Fatalf("appealed queue %+v", q)
		}
		// The first moderator may not decide the appeal.
		if r := decide(first, "comment", c.ID, map[string]any{"action": "restore"}); r.Status != 403 {
			t.Fatalf("appeal decided by the same moderator: %d", r.Status)
		}
		if r := decide(second, "comment", c.ID, map[string]any{"action": "restore"}); r.Status != 200 {
			t.Fatalf("appeal decided by another moderator: %d %s", r.Status, r.Body)
		}
		if q := getQueue(t, second, "?state=appealed"); len(q.Items) != 0 {
			t.Fatalf("decided appeal still queued: %+v", q.Items)
		}
		// Appeals through the /me form.
		c2 := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Zweiter"})
		decide(first, "comment", c2.ID, map[string]any{"action": "reject", "reason": "spam", "statement": "Werbung."})
		b := s.Browser("autor@example.org", "a-good-password")
		me := b.Get("/me").Text()
		if !strings.Contains(me, fmt.Sprintf(`action="/comments/%d/appeal"`, c2.ID)) {
			t.Fatal("/me offers no appeal form")
		}
		csrf := b.CSRF
		b.CSRF = ""
		if r := b.Do("POST", fmt.Sprintf("/comments/%d/appeal", c2.ID), url.Values{"_csrf": {csrf}, "statement": {"Keine Werbung."}}); r.Status != 303 {
			t.Fatalf("appeal form: %d", r.Status)
		}
		if !strings.Contains(b.Get("/me").Text(), "Sie haben Widerspruch eingelegt") {
			t.Fatal("/me does not show the appeal")
		}
	})
}

// The decision form on /moderation works without JavaScript and shows
// errors beside the item.
func TestDecisionForm(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autor@example.org", "Autor")
		account(t, s, "mod@example.org", access.Moderator)
		c := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Formular-Test"})
		b := s.Browser("mod@example.org", "a-good-password")
		page := b.Get("/moderation?state=pending").Text()
		if !strings.Contains(page, "Formular-Test") || !strings.Contains(page, `data-queue-count="pending">1<`) {
			t.Fatal("the queue page does not show the item and the count")
		}
		csrf := b.CSRF
		b.CSRF = ""
		action := fmt.Sprintf("/moderation/comment/%d/decision", c.ID)
		r := b.Do("POST", action, url.Values{"_csrf": {csrf}, "action": {"reject"}, "statement": {"Begründung ohne Grund"}, "version": {"1"}, "back": {"/moderation?state=pending"}})
		key := fmt.Sprintf("mod-comment-%d-reason", c.ID)
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-`+key+`"`) || !strings.Contains(r.Text(), "Begründung ohne Grund") {
			t.Fatalf("decision without a reason: %d", r.Status)
		}
		r = b.Do("POST", action, url.Values{"_csrf": {csrf}, "action": {"reject"}, "reason": {"spam"}, "statement": {"Werbung."}, "version": {"1"}, "back": {"/moderation?state=pending"}})
		if r.Status != 303 || r.Header.Get("Location") != "/moderation?state=pending" {
			t.Fatalf("decision form: %d %s", r.Status, r.Header.Get("Location"))
		}
		r = b.Do("POST", action, url.Values{"_csrf": {csrf}, "action": {"approve"}, "version": {"1"}})
		if r.Status != 303 || !strings.Contains(b.Get("/moderation").Text(), "inzwischen geändert") {
			t.Fatalf("stale decision form: %d", r.Status)
		}
	})
}

type (
	ctxT = context.Context
	txT  = *store.Tx
)

// An author's edit of a contribution waiting for a decision makes a new
// version: a moderator who read the old text cannot approve the new one
// unseen (409), and the queue shows the version to decide on.
func TestEditWhilePendingIsANewVersion(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autorin@example.org", "Autorin")
		mod := account(t, s, "mod@example.org", access.Moderator)
		comment := post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": "Bitte mehr Dolmetschende!"})
		idea := post(t, author, "/api/v1/fields/1/ideas", map[string]string{"title": "Sprachcafé", "body": "Für alle."})
		edits := []struct{ kind, path string }{
			{"comment", fmt.Sprintf("/api/v1/comments/%d", comment.ID)},
			{"idea", fmt.Sprintf("/api/v1/ideas/%d", idea.ID)},
		}
		for _, e := range edits {
			if r := author.Do("PATCH", e.path, map[string]string{"body": "Etwas ganz anderes."}); r.Status != 200 {
				t.Fatalf("editing the %s: %d %s", e.kind, r.Status, r.Body)
			}
		}
		for _, it := range getQueue(t, mod, "?state=pending").Items {
			if it.Version < 2 {
				t.Errorf("the edited %s is still version %d in the queue", it.Kind, it.Version)
			}
		}
		for kind, id := range map[string]int64{"comment": comment.ID, "idea": idea.ID} {
			if r := decide(mod, kind, id, map[string]any{"action": "approve", "version": 1}); r.Status != 409 {
				t.Errorf("approving the %s as read before the edit: %d, want 409", kind, r.Status)
			}
		}
	})
}

// The queue page's "more" link keeps every filter: page 2 of the queue
// narrowed to a field and a language shows that field and language.
func TestQueueNextPageKeepsTheFilters(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("autorin@example.org", "Autorin")
		mod := account(t, s, "mod@example.org", access.Moderator)
		for i := range 51 {
			post(t, author, "/api/v1/measures/1/comments", map[string]string{"body": fmt.Sprintf("Anmerkung %d", i)})
		}
		r := mod.Get("/moderation?state=pending&consultation=wir2&field=1&content_lang=de")
		if r.Status != 200 {
			t.Fatalf("queue page: %d", r.Status)
		}
		m := regexp.MustCompile(`href="(/moderation\?[^"]*cursor=[^"]*)"`).FindStringSubmatch(r.Text())
		if m == nil {
			t.Fatal("no link to the next page")
		}
		next := html.UnescapeString(m[1])
		for _, want := range []string{"state=pending", "consultation=wir2", "field=1", "content_lang=de"} {
			if !strings.Contains(next, want) {
				t.Errorf("next page %s lacks %s", next, want)
			}
		}
		if r := mod.Get(next); r.Status != 200 || !strings.Contains(r.Text(), "Anmerkung 50") {
			t.Errorf("next page: %d, without the newest comment", r.Status)
		}
	})
}
