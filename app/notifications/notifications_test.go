package notifications_test

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

type item struct {
	ID     int64   `json:"id"`
	Kind   string  `json:"kind"`
	Title  string  `json:"title"`
	Body   string  `json:"body"`
	URL    string  `json:"url"`
	ReadAt *string `json:"read_at"`
}

func inbox(t *testing.T, c *apptest.Client, query string) []item {
	t.Helper()
	r := c.Get("/api/v1/me/notifications" + query)
	if r.Status != http.StatusOK {
		t.Fatalf("notifications: %d %s", r.Status, r.Body)
	}
	var page struct {
		Items []item `json:"items"`
	}
	r.JSON(t, &page)
	return page.Items
}

// want finds the newest notification of kind, or fails.
func want(t *testing.T, items []item, kind string) item {
	t.Helper()
	for _, it := range items {
		if it.Kind == kind {
			return it
		}
	}
	t.Fatalf("no %s notification in %+v", kind, items)
	return item{}
}

func none(t *testing.T, items []item, kind string) {
	t.Helper()
	for _, it := range items {
		if it.Kind == kind {
			t.Errorf("unexpected %s notification: %+v", kind, it)
		}
	}
}

// Each notification kind reaches the people it concerns, and nobody else.
func TestNotificationsReachThoseConcerned(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		if r := admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"}); r.Status != 200 {
			t.Fatalf("post-moderation: %d %s", r.Status, r.Body)
		}
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{Email: "expertin@example.org", DisplayName: "Expertin", Role: access.Expert, Groups: []int64{1}, Password: "a-good-password"}); err != nil {
			t.Fatal(err)
		}
		expert := s.Login("expertin@example.org", "a-good-password")
		moderator := s.AccountAs("moderatorin@example.org", "Moderatorin", "moderator")
		amira := s.Register("amira@example.org", "Amira")
		ben := s.Register("ben@example.org", "Ben")
		cem := s.Register("cem@example.org", "Cem")

		// A reply to Amira's comment tells Amira, not Ben who wrote it.
		var comment, reply struct{ ID int64 }
		amira.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Bitte auch am Wochenende.", "stance": "pro"}).JSON(t, &comment)
		ben.Do("POST", "/api/v1/measures/1/comments", map[string]any{"body": "Da stimme ich zu.", "stance": "pro", "parent_id": comment.ID}).JSON(t, &reply)
		got := want(t, inbox(t, amira, ""), "reply")
		if got.URL != fmt.Sprintf("/m/1#comment-%d", reply.ID) || got.Body == "" || got.Title == "" {
			t.Errorf("reply: %+v", got)
		}
		none(t, inbox(t, ben, ""), "reply")

		// An expert group's answer tells the author and the idea's followers.
		var idea struct{ ID int64 }
		amira.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Sprachcafé", "body": "Ein Café für alle Sprachen."}).JSON(t, &idea)
		if r := cem.Do("PUT", fmt.Sprintf("/api/v1/ideas/%d/follow", idea.ID), nil); r.Status != 204 {
			t.Fatalf("follow: %d %s", r.Status, r.Body)
		}
		if r := expert.Do("POST", fmt.Sprintf("/api/v1/expert-groups/1/inbox/idea/%d/triage", idea.ID), map[string]string{"state": "considered", "response": "Das nehmen wir auf."}); r.Status >= 300 {
			t.Fatalf("triage: %d %s", r.Status, r.Body)
		}
		for _, c := range []*apptest.Client{amira, cem} {
			got := want(t, inbox(t, c, ""), "answer")
			if !strings.Contains(got.Body, "Das nehmen wir auf.") || got.Title != "Sprachcafé" || got.URL != fmt.Sprintf("/i/%d", idea.ID) {
				t.Errorf("answer: %+v", got)
			}
		}
		none(t, inbox(t, ben, ""), "answer")

		// A status change tells who voted, commented or follows, not the
		// expert who changed it.
		cem.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		if r := admin.Do("PATCH", "/api/v1/measures/1", map[string]any{"status": "adopted", "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		for _, c := range []*apptest.Client{amira, ben, cem} {
			if got := want(t, inbox(t, c, "?lang=en"), "measure_status"); got.Body != "The measure has been adopted." || got.URL != "/m/1" {
				t.Errorf("measure status in English: %+v", got)
			}
		}
		none(t, inbox(t, moderator, ""), "measure_status")

		// A moderator's decision tells the author with its reasons, and
		// those who reported it what became of their report.
		if r := amira.Do("POST", "/api/v1/reports", map[string]any{"target": "comment", "id": reply.ID, "reason": "insult"}); r.Status != 202 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		if r := cem.Do("POST", "/api/v1/reports", map[string]any{"target": "comment", "id": reply.ID, "reason": "insult"}); r.Status != 202 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		if r := moderator.Do("POST", fmt.Sprintf("/api/v1/moderation/comment/%d/decision", reply.ID), map[string]string{"action": "hide", "reason": "insult", "statement": "Der Kommentar beleidigt andere."}); r.Status != 200 {
			t.Fatalf("decide: %d %s", r.Status, r.Body)
		}
		decision := want(t, inbox(t, ben, ""), "decision")
		if !strings.Contains(decision.Body, "Der Kommentar beleidigt andere.") || !strings.Contains(decision.Body, "widersprechen") {
			t.Errorf("decision: %+v", decision)
		}
		want(t, inbox(t, cem, ""), "report_outcome")
		want(t, inbox(t, amira, ""), "report_outcome")
		none(t, inbox(t, ben, ""), "report_outcome")
		none(t, inbox(t, cem, ""), "decision")

		// A block tells the person, with its end and reasons.
		until := time.Now().Add(72 * time.Hour).UTC()
		if r := moderator.Do("POST", fmt.Sprintf("/api/v1/users/%d/block", cem.UserID), map[string]string{"until": until.Format(time.RFC3339), "reason": "Wiederholte Beleidigungen"}); r.Status != 200 {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}
		block := want(t, inbox(t, cem, ""), "account")
		if !strings.Contains(block.Body, "Wiederholte Beleidigungen") || !strings.Contains(block.Body, until.Format("2006-01-02")) {
			t.Errorf("block: %+v", block)
		}
	})
}

func TestReadingNotifications(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		rana := s.Register("rana@example.org", "Rana")
		other := s.Register("other@example.org", "Other")
		rana.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		other.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		for _, status := range []string{"in_discussion", "adopted", "implemented"} {
			if r := admin.Do("PATCH", "/api/v1/measures/1", map[string]any{"status": status, "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
				t.Fatalf("status: %d %s", r.Status, r.Body)
			}
		}
		items := inbox(t, rana, "")
		if len(items) != 3 || items[0].ID < items[1].ID || !strings.Contains(items[0].Body, "umgesetzt") {
			t.Fatalf("newest first: %+v", items)
		}
		// Pages of one.
		r := rana.Get("/api/v1/me/notifications?limit=1")
		var page struct {
			Items []item  `json:"items"`
			Next  *string `json:"next_cursor"`
		}
		r.JSON(t, &page)
		if len(page.Items) != 1 || page.Next == nil {
			t.Fatalf("first page: %s", r.Body)
		}
		if second := inbox(t, rana, "?limit=1&cursor="+url.QueryEscape(*page.Next)); len(second) != 1 || second[0].ID != items[1].ID {
			t.Fatalf("second page: %+v", second)
		}
		// Someone else's ids change nothing of theirs.
		others := inbox(t, other, "")
		if r := rana.Do("POST", "/api/v1/me/notifications/read", map[string]any{"ids": []int64{items[2].ID, others[0].ID}}); r.Status != 204 {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
		items = inbox(t, rana, "")
		if items[2].ReadAt == nil || items[0].ReadAt != nil {
			t.Errorf("after reading one: %+v", items)
		}
		if inbox(t, other, "")[0].ReadAt != nil {
			t.Errorf("reading marked another person's notification")
		}
		for _, bad := range []any{map[string]any{}, map[string]any{"ids": []int64{}}} {
			if r := rana.Do("POST", "/api/v1/me/notifications/read", bad); r.Status != 422 {
				t.Errorf("read %v: %d", bad, r.Status)
			}
		}
		if r := rana.Do("POST", "/api/v1/me/notifications/read", map[string]any{"all": true}); r.Status != 204 {
			t.Fatalf("read all: %d", r.Status)
		}
		for _, it := range inbox(t, rana, "") {
			if it.ReadAt == nil {
				t.Errorf("unread after reading all: %+v", it)
			}
		}
		if r := s.Client().Get("/api/v1/me/notifications"); r.Status != 401 {
			t.Errorf("anonymous: %d", r.Status)
		}

		// The page, in German and Arabic; its forms work without JavaScript.
		b := s.Browser("other@example.org", "a-good-password")
		page2 := b.Get("/me/notifications")
		apptest.CheckPage(t, page2, "de")
		if !strings.Contains(page2.Text(), "Die Maßnahme ist umgesetzt.") || !strings.Contains(page2.Text(), "3 ungelesen") {
			t.Errorf("page: %s", page2.Text())
		}
		apptest.CheckPage(t, b.Get("/me/notifications?lang=ar"), "ar")
		if r := b.Do("POST", "/me/notifications/read", url.Values{"all": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("read all form: %d", r.Status)
		}
		if page := b.Get("/me/notifications?lang=de").Text(); !strings.Contains(page, "0 ungelesen") {
			t.Errorf("the page still counts unread ones: %s", page)
		}

		// Export and erasure cover them.
		var export struct {
			Notifications []struct{ ID int64 } `json:"notifications"`
		}
		other.Get("/api/v1/me/export").JSON(t, &export)
		if len(export.Notifications) != 3 {
			t.Errorf("export: %+v", export.Notifications)
		}
		if r := other.Do("DELETE", "/api/v1/me", nil); r.Status >= 300 {
			t.Fatalf("erase: %d", r.Status)
		}
		var left int
		if err := s.App.Store.QueryRow(t.Context(), "SELECT COUNT(*) FROM notifications WHERE user_id = ?", other.UserID).Scan(&left); err != nil || left != 0 {
			t.Errorf("after erasure: %d %v", left, err)
		}
	})
}

// The header counts the reader's unread notifications on every page,
// also on pages kept for all signed-in readers, each reader their own.
func TestUnreadCountInTheHeader(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		rana := s.Register("rana-header@example.org", "Rana")
		other := s.Register("other-header@example.org", "Other")
		rana.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		for _, status := range []string{"in_discussion", "adopted"} {
			if r := s.Admin().Do("PATCH", "/api/v1/measures/1", map[string]any{"status": status, "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
				t.Fatalf("status: %d %s", r.Status, r.Body)
			}
		}
		for range 2 { // the second read of /m/2 comes from the page cache
			for _, path := range []string{"/m/2", "/me", "/"} {
				if page := rana.Get(path).Text(); !strings.Contains(page, `<span class="badge">2 ungelesen</span>`) {
					t.Errorf("%s: no count of 2 in the header", path)
				}
				if page := other.Get(path).Text(); strings.Contains(page, "ungelesen</span>") {
					t.Errorf("%s: another reader sees a count", path)
				}
			}
		}
		if r := rana.Do("POST", "/api/v1/me/notifications/read", map[string]any{"all": true}); r.Status != 204 {
			t.Fatalf("read: %d", r.Status)
		}
		if page := rana.Get("/m/2").Text(); strings.Contains(page, "ungelesen</span>") {
			t.Errorf("a count after reading all")
		}
	})
}

// Once a day, moderators hear how much waits in the queues and experts how
// many new items wait in their group's inbox.
func TestStaffNotices(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{Email: "expertin@example.org", DisplayName: "Expertin", Role: access.Expert, Groups: []int64{1}, Password: "a-good-password"}); err != nil {
			t.Fatal(err)
		}
		expert := s.Login("expertin@example.org", "a-good-password")
		moderator := s.AccountAs("moderatorin@example.org", "Moderatorin", "moderator")
		resident := s.Register("waiting@example.org", "Wartend")
		if err := s.App.Notices.StaffNotices(t.Context()); err != nil {
			t.Fatal(err)
		}
		none(t, inbox(t, moderator, ""), "queue")
		// The demo consultation moderates before publishing.
		resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Wartet auf die Moderation.", "stance": "pro"})
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Gleich veröffentlicht.", "stance": "pro"})
		if err := s.App.Notices.StaffNotices(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := want(t, inbox(t, moderator, ""), "queue"); got.Body != "1 Beitrag wartet in der Moderation." || got.URL != "/moderation" {
			t.Errorf("queue: %+v", got)
		}
		if got := want(t, inbox(t, expert, ""), "inbox"); !strings.Contains(got.Body, "neue") && !strings.Contains(got.Body, "neuer") || got.URL != "/experts/1" {
			t.Errorf("inbox: %+v", got)
		}
		none(t, inbox(t, resident, ""), "queue")
	})
}
