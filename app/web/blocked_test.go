package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// blockResident blocks the account for two days with reason and answers
// the end of the block.
func blockResident(t *testing.T, s *apptest.Server, id int64, reason string) time.Time {
	t.Helper()
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if r := s.Admin().Do("POST", fmt.Sprintf("/api/v1/users/%d/block", id), map[string]string{"until": until.Format(time.RFC3339), "reason": reason}); r.Status != http.StatusOK {
		t.Fatalf("block: %d %s", r.Status, r.Body)
	}
	return until
}

// A blocked resident's votes, comments, ideas and reports answer 403 with
// code blocked, reason and until; they can still appeal, export their
// data, change their password, sign out and delete their account.
func TestBlockedResidentKeepsTheirOwnAccount(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		res := s.Register("gesperrt@example.org", "Gesperrte Person")
		var comment struct{ ID int64 }
		res.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Das ist alles Unsinn!"}).JSON(t, &comment)
		if r := s.Admin().Do("POST", fmt.Sprintf("/api/v1/moderation/comment/%d/decision", comment.ID), map[string]string{"action": "reject", "reason": "insult", "statement": "Beleidigend."}); r.Status != http.StatusOK {
			t.Fatalf("reject: %d %s", r.Status, r.Body)
		}
		const reason = "Wiederholte Beleidigungen"
		until := blockResident(t, s, res.UserID, reason)
		published := func() int64 {
			var idea struct{ ID int64 }
			other := s.Register("andere@example.org", "Andere Person")
			other.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Lesepaten", "body": "Für alle Kinder."}).JSON(t, &idea)
			return idea.ID
		}()

		for name, r := range map[string]*apptest.Response{
			"vote":    res.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}),
			"unvote":  res.Do("DELETE", "/api/v1/measures/1/vote", nil),
			"comment": res.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Noch einmal."}),
			"idea":    res.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Idee", "body": "Text"}),
			"report":  res.Do("POST", "/api/v1/reports", map[string]any{"target": "idea", "id": published, "reason": "spam"}),
		} {
			m := r.Map(t)
			if r.Status != http.StatusForbidden || m["code"] != "blocked" || m["reason"] != reason || m["until"] != until.Format(time.RFC3339) {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}

		if r := res.Do("POST", fmt.Sprintf("/api/v1/comments/%d/appeal", comment.ID), map[string]string{"statement": "Das war Kritik."}); r.Status != http.StatusAccepted {
			t.Errorf("appeal: %d %s", r.Status, r.Body)
		}
		if r := res.Get("/api/v1/me/export"); r.Status != http.StatusOK || !strings.Contains(r.Text(), "gesperrt@example.org") {
			t.Errorf("export: %d", r.Status)
		}
		if r := res.Do("POST", "/api/v1/me/password", map[string]string{"current_password": "a-good-password", "new_password": "another-good-password"}); r.Status != http.StatusNoContent {
			t.Errorf("password: %d %s", r.Status, r.Body)
		}
		if r := res.Do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
			t.Errorf("logout: %d %s", r.Status, r.Body)
		}

		// The pages: the form posts are refused with the reason; signing
		// out and deleting the account work.
		b := s.Browser("gesperrt@example.org", "another-good-password")
		csrf := b.CSRF
		b.CSRF = ""
		for path, form := range map[string]url.Values{
			"/m/1/vote":     {"value": {"1"}},
			"/m/1/comments": {"body": {"Noch einmal."}, "stance": {"neutral"}},
			"/f/1/ideas":    {"title": {"Idee"}, "body": {"Text"}},
			"/reports":      {"target": {"idea"}, "id": {fmt.Sprint(published)}, "reason": {"spam"}},
		} {
			form.Set("_csrf", csrf)
			if r := b.Do("POST", path, form); r.Status != http.StatusForbidden || !strings.Contains(r.Text(), reason) {
				t.Errorf("form %s: %d", path, r.Status)
			}
		}
		if r := b.Do("POST", "/logout", url.Values{"_csrf": {csrf}}); r.Status != http.StatusSeeOther {
			t.Errorf("sign out: %d", r.Status)
		}
		last := s.Browser("gesperrt@example.org", "another-good-password")
		if r := last.Do("POST", "/me/delete", url.Values{"_csrf": {last.CSRF}, "confirm": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Errorf("delete the account: %d %.300s", r.Status, r.Body)
		}
		var deleted int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM users WHERE id = ? AND deleted_at IS NOT NULL", res.UserID).Scan(t.Context(), &deleted); err != nil || deleted != 1 {
			t.Fatalf("the account is not deleted: %d %v", deleted, err)
		}
	})
}

// Every page tells a blocked reader so, with the block's end in their
// language and the city's time and its reason; other readers see no
// banner, and a page kept for readers of the same role is never served
// to a blocked one.
func TestBlockedBannerOnEveryPage(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("gesperrt@example.org", "Gesperrte Person")
		s.Register("frei@example.org", "Freie Person")
		blocked := s.Browser("gesperrt@example.org", "a-good-password")
		free := s.Browser("frei@example.org", "a-good-password")
		const reason = "Spam in Kommentaren"
		until := blockResident(t, s, blocked.UserID, reason)
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Skip("no time zone data")
		}

		// A resident who is not blocked gets /m/1 kept for residents.
		pc := s.App.Pages.Cache
		hits := func() int64 { h, _ := pc.Stats(); return h }
		for i := 0; ; i++ {
			before := hits()
			if r := free.Get("/m/1"); strings.Contains(r.Text(), `id="blocked-banner"`) {
				t.Fatal("a reader who is not blocked sees the banner")
			}
			if hits() > before {
				break
			}
			if i == 100 {
				t.Fatal("/m/1 is never kept for residents")
			}
			time.Sleep(20 * time.Millisecond)
		}

		for _, tc := range []struct{ path, date string }{
			{"/", until.In(berlin).Format("02.01.2006, 15:04 Uhr")},
			{"/m/1", until.In(berlin).Format("02.01.2006, 15:04 Uhr")},
			{"/me", until.In(berlin).Format("02.01.2006, 15:04 Uhr")},
			{"/c/wir2?lang=en", until.In(berlin).Format("2 January 2006, 15:04")},
			{"/i/1?lang=tr", until.In(berlin).Format("02.01.2006, 15:04")},
		} {
			before := hits()
			r := blocked.Get(tc.path)
			body := r.Text()
			if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
				t.Errorf("%s: %d", tc.path, r.Status)
			}
			if !strings.Contains(body, `id="blocked-banner"`) || !strings.Contains(body, tc.date) || !strings.Contains(body, reason) {
				t.Errorf("%s: no banner with %q and the reason", tc.path, tc.date)
			}
			if hits() != before {
				t.Errorf("%s came from the page cache", tc.path)
			}
		}
	})
}
