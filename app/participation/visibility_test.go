package participation_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// decide makes a moderator's decision on a comment or an idea.
func decide(t *testing.T, mod *apptest.Client, kind string, id int64, action string) {
	t.Helper()
	body := map[string]any{"action": action}
	if action == "reject" || action == "hide" {
		body["reason"], body["statement"] = "spam", "Werbung ohne Bezug zur Maßnahme."
	}
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/moderation/%s/%d/decision", kind, id), body); r.Status != http.StatusOK {
		t.Fatalf("%s %s %d: %d %s", action, kind, id, r.Status, r.Body)
	}
}

// contribute posts a comment (a reply with parent != 0) and answers its id.
func contribute(t *testing.T, c *apptest.Client, path, body string, parent int64) int64 {
	t.Helper()
	in := map[string]any{"body": body}
	if parent != 0 {
		in["parent_id"] = parent
	}
	var cr created
	r := c.Do("POST", path, in)
	r.JSON(t, &cr)
	if r.Status != http.StatusCreated {
		t.Fatalf("comment on %s: %d %s", path, r.Status, r.Body)
	}
	return cr.ID
}

// The public sees published content only. On a measure and on an idea
// under pre-moderation, a resident's pending, rejected and hidden
// comments and replies reach no other reader: not the pages (also when
// served again from the page cache), the API lists, the comment counts,
// the live events, the expert inbox or the exports. The published
// comments beside them show, so every check can fail.
func TestOnlyPublishedCommentsReachOthers(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		mod := s.AccountAs("moderatorin@example.org", "Moderatorin", "moderator")
		alice := s.Register("alice@example.org", "Alice")
		bob := s.Register("bob@example.org", "Bob")

		var idea created
		alice.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Offene Idee ÖFFENTLICH-IDEE", "body": "Text der Idee."}).JSON(t, &idea)
		decide(t, mod, "idea", idea.ID, "approve")
		var pendingIdea created
		alice.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Idee GEHEIM-IDEE", "body": "Wartet GEHEIM-IDEE."}).JSON(t, &pendingIdea)
		if pendingIdea.Status != "pending" {
			t.Fatalf("idea under pre-moderation: %s", pendingIdea.Status)
		}

		type target struct{ api, page, name string }
		targets := []target{
			{"/api/v1/measures/1", "/m/1", "measure"},
			{fmt.Sprintf("/api/v1/ideas/%d", idea.ID), fmt.Sprintf("/i/%d", idea.ID), "idea"},
		}
		// An idea hidden after it was commented on takes its comments out
		// of public view with it. (It is in field 2: the inbox of field 1's
		// group is checked below, and inboxes still list such comments.)
		var gone created
		alice.Do("POST", "/api/v1/fields/2/ideas", map[string]string{"title": "Spätere Idee", "body": "Wird ausgeblendet."}).JSON(t, &gone)
		decide(t, mod, "idea", gone.ID, "approve")
		decide(t, mod, "comment", contribute(t, bob, fmt.Sprintf("/api/v1/ideas/%d/comments", gone.ID), "VERBORGEN-unter-ausgeblendeter-Idee", 0), "approve")
		decide(t, mod, "idea", gone.ID, "hide")
		for _, tg := range targets {
			path := tg.api + "/comments"
			top := contribute(t, alice, path, "Oben ÖFFENTLICH-OBEN-"+tg.name, 0)
			decide(t, mod, "comment", top, "approve")
			reply := contribute(t, bob, path, "Antwort ÖFFENTLICH-ANTWORT-"+tg.name, top)
			decide(t, mod, "comment", reply, "approve")
			// Each of these reaches nobody but its author (and moderators' queues).
			for _, parent := range []int64{0, top} {
				where := "oben"
				if parent != 0 {
					where = "antwort"
				}
				contribute(t, alice, path, fmt.Sprintf("GEHEIM-wartend-%s-%s", where, tg.name), parent)
				decide(t, mod, "comment", contribute(t, alice, path, fmt.Sprintf("GEHEIM-abgelehnt-%s-%s", where, tg.name), parent), "reject")
				hidden := contribute(t, alice, path, fmt.Sprintf("VERBORGEN-%s-%s", where, tg.name), parent)
				decide(t, mod, "comment", hidden, "approve")
				decide(t, mod, "comment", hidden, "hide")
			}
		}
		settle(t, s)

		noneOf := func(where, text string) {
			t.Helper()
			for _, secret := range []string{"GEHEIM", "VERBORGEN"} {
				if i := strings.Index(text, secret); i >= 0 {
					t.Errorf("%s shows %q", where, text[i:min(len(text), i+40)])
				}
			}
		}
		pc := s.App.Pages.Cache
		hits := func() int64 { h, _ := pc.Stats(); return h }
		readers := []struct {
			name string
			c    *apptest.Client
		}{{"anonymous", s.Client()}, {"another resident", bob}, {"a moderator", mod}}
		for _, rd := range readers {
			for _, tg := range targets {
				for round := 1; round <= 2; round++ {
					before := hits()
					r := rd.c.Get(tg.page)
					if r.Status != http.StatusOK {
						t.Fatalf("%s %s: %d", rd.name, tg.page, r.Status)
					}
					page := r.Text()
					where := fmt.Sprintf("%s, %s (request %d)", tg.page, rd.name, round)
					noneOf(where, page)
					for _, shown := range []string{"ÖFFENTLICH-OBEN-" + tg.name, "ÖFFENTLICH-ANTWORT-" + tg.name} {
						if !strings.Contains(page, shown) {
							t.Errorf("%s lacks the published %s", where, shown)
						}
					}
					if !strings.Contains(page, `data-comment-count="2"`) {
						t.Errorf("%s: the comment count is not 2", where)
					}
					if round == 2 && tg.name == "measure" && rd.name != "a moderator" && hits() != before+1 {
						t.Errorf("%s was not served from the page cache", where)
					}
				}
				r := rd.c.Get(tg.api + "/comments")
				noneOf(tg.api+"/comments for "+rd.name, r.Text())
				if list := comments(t, rd.c, tg.api+"/comments"); len(list) != 2 {
					t.Errorf("%s/comments for %s lists %d comments, want the 2 published", tg.api, rd.name, len(list))
				}
				var item struct {
					CommentCount int `json:"comment_count"`
				}
				rd.c.Get(tg.api).JSON(t, &item)
				if item.CommentCount != 2 {
					t.Errorf("%s comment_count %d for %s, want 2", tg.api, item.CommentCount, rd.name)
				}
			}
			for _, path := range []string{"/f/1", "/c/wir2", "/api/v1/fields/1/ideas", "/api/v1/fields/1/measures", "/api/v1/consultations/wir2"} {
				noneOf(path+" for "+rd.name, rd.c.Get(path).Text())
			}
			// (Moderators open a pending idea from their queue.)
			if r := rd.c.Get(fmt.Sprintf("/api/v1/ideas/%d", pendingIdea.ID)); rd.c != mod && r.Status != http.StatusNotFound {
				t.Errorf("the pending idea for %s: %d", rd.name, r.Status)
			}
		}
		var lists struct {
			Items []struct {
				ID           int64
				CommentCount int `json:"comment_count"`
			}
		}
		s.Client().Get("/api/v1/fields/1/measures").JSON(t, &lists)
		s2 := lists.Items
		s.Client().Get("/api/v1/fields/1/ideas").JSON(t, &lists)
		for _, it := range append(s2, lists.Items...) {
			if (it.ID == 1 || it.ID == idea.ID) && it.CommentCount != 2 {
				t.Errorf("a list counts %d comments on item %d, want 2", it.CommentCount, it.ID)
			}
		}
		if len(lists.Items) != 1 {
			t.Errorf("%d ideas listed, want the published one", len(lists.Items))
		}

		// Live events: what never was public is announced to moderators
		// only, and to its author on their own topic (the decision about it).
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE data LIKE '%GEHEIM%' AND topics <> ',moderation,' AND topics NOT LIKE ',user:%'"); n != 0 {
			t.Errorf("%d live events on public or expert topics carry pending or rejected content", n)
		}
		// The expert groups' inbox, its counts, and every export. Group 1
		// serves field 1: measure 1's and the idea's two published comments
		// each and the idea are new to it.
		noneOf("the inbox of group 1", admin.Get("/api/v1/expert-groups/1/inbox").Text())
		if page := admin.Get("/experts/1").Text(); !strings.Contains(page, `data-inbox-count="new">5<`) {
			t.Errorf("the inbox counts other than 5 new items: %s", between(page, `data-inbox-count="new">`, "<"))
		}
		expert := s.AccountAs("expertin@example.org", "Expertin", "expert")
		if r := admin.Do("PUT", fmt.Sprintf("/api/v1/expert-groups/1/members/%d", expert.UserID), nil); r.Status != http.StatusNoContent {
			t.Fatalf("add expert: %d", r.Status)
		}
		var pendingID int64
		if err := s.App.Store.DB.NewRaw("SELECT id FROM comments WHERE body = 'GEHEIM-wartend-oben-measure'").Scan(t.Context(), &pendingID); err != nil {
			t.Fatal(err)
		}
		if r := s.Login("expertin@example.org", "a-good-password").Do("POST", fmt.Sprintf("/api/v1/expert-groups/1/inbox/comment/%d/triage", pendingID),
			map[string]string{"state": "adopted", "response": "GEHEIM-Antwort"}); r.Status != http.StatusNotFound {
			t.Errorf("an expert triaged a pending comment: %d", r.Status)
		}
		for _, path := range []string{
			"/api/v1/consultations/wir2/export?format=json", "/api/v1/consultations/wir2/export?format=csv",
			"/api/v1/consultations/wir2/export?format=md", "/api/v1/expert-groups/1/export?format=json",
			"/api/v1/expert-groups/7/export?format=csv",
		} {
			r := admin.Get(path)
			if r.Status != http.StatusOK || !strings.Contains(r.Text(), "ÖFFENTLICH-ANTWORT-idea") {
				t.Fatalf("%s: %d, or the published reply is missing", path, r.Status)
			}
			noneOf(path, r.Text())
		}
		var sum struct {
			Summary struct {
				Totals  struct{ Ideas, Comments int }
				Stances []struct {
					Stance   string
					Comments int
				}
				Triage []struct {
					State           string
					Ideas, Comments int
				}
			}
			Measures []struct {
				ID       int64
				Comments struct{ Pro, Contra, Neutral int }
			}
		}
		admin.Get("/api/v1/consultations/wir2/export?format=json").JSON(t, &sum)
		if sum.Summary.Totals.Ideas != 1 || sum.Summary.Totals.Comments != 4 {
			t.Errorf("export totals: %+v, want 1 idea and 4 comments", sum.Summary.Totals)
		}
		for _, m := range sum.Measures {
			if m.ID == 1 && m.Comments.Neutral != 2 {
				t.Errorf("export counts %+v comments on measure 1, want 2 neutral", m.Comments)
			}
		}
		for _, st := range sum.Summary.Stances {
			if st.Stance == "neutral" && st.Comments != 4 {
				t.Errorf("export counts %d neutral comments, want 4", st.Comments)
			}
		}
		for _, tr := range sum.Summary.Triage {
			if tr.State == "new" && (tr.Ideas != 1 || tr.Comments != 4) {
				t.Errorf("export triage row %+v, want 1 idea and 4 comments", tr)
			}
		}
		// A field as an administrator's change answers it counts its published idea.
		var field struct {
			IdeaCount int `json:"idea_count"`
		}
		admin.Do("PATCH", "/api/v1/fields/1", map[string]any{}).JSON(t, &field)
		if field.IdeaCount != 1 {
			t.Errorf("the changed field counts %d ideas, want the published one", field.IdeaCount)
		}
	})
}

// The author of a pending comment or reply sees it where it will appear,
// marked as awaiting review in words, and nobody else does. A signed-in
// reader's measure page is normally a page kept for every reader of their
// kind; one kept before the comment was written must not hide it from its
// author.
func TestAuthorSeesOwnPendingComments(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		mod := s.AccountAs("moderatorin@example.org", "Moderatorin", "moderator")
		alice := s.Register("alice@example.org", "Alice")
		bob := s.Register("bob@example.org", "Bob")
		browser := s.Browser("alice@example.org", "a-good-password")
		anon := s.Client()
		var idea created
		bob.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Eine Idee von Bob", "body": "Text."}).JSON(t, &idea)
		decide(t, mod, "idea", idea.ID, "approve")
		ideaPage := fmt.Sprintf("/i/%d", idea.ID)
		tops := map[string]int64{}
		for _, path := range []string{"/api/v1/measures/1/comments", fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID)} {
			tops[path] = contribute(t, bob, path, "Bobs Kommentar", 0)
			decide(t, mod, "comment", tops[path], "approve")
		}
		settle(t, s)
		// Pages kept for residents, before Alice writes.
		for _, c := range []*apptest.Client{alice, bob, browser, anon} {
			c.Get("/m/1")
			c.Get("/m/1")
		}

		pending := map[string]int64{}
		for path, top := range tops {
			pending[path+" top"] = contribute(t, alice, path, "WARTET-oben von Alice", 0)
			pending[path+" reply"] = contribute(t, alice, path, "WARTET-Antwort von Alice", top)
		}
		const note = "Ihr Kommentar wartet auf die Prüfung durch die Moderation. Nur Sie sehen ihn."
		pc := s.App.Pages.Cache
		for _, page := range []string{"/m/1", ideaPage} {
			for round := 1; round <= 2; round++ {
				for _, c := range []*apptest.Client{alice, browser} {
					text := c.Get(page).Text()
					if strings.Count(text, "WARTET-") != 2 || strings.Count(text, note) != 2 || !strings.Contains(text, `<strong class="badge">Wird geprüft</strong>`) {
						t.Fatalf("%s for its author (request %d): the pending comment and reply are not both shown and marked", page, round)
					}
					// Nobody replies to a comment that is not public yet.
					for path, id := range pending {
						if strings.HasSuffix(path, "top") && strings.Contains(text, fmt.Sprintf(`name="parent_id" value="%d"`, id)) {
							t.Fatalf("%s offers a reply to a pending comment", page)
						}
					}
				}
				for _, c := range []*apptest.Client{bob, anon, mod} {
					if text := c.Get(page).Text(); strings.Contains(text, "WARTET-") || strings.Contains(text, note) {
						t.Fatalf("%s (request %d) shows Alice's pending comment to someone else", page, round)
					}
				}
			}
		}
		// The author's page is rendered for them: byte for byte what the
		// page renders without the cache.
		got := browser.Get("/m/1").Text()
		pc.SetEnabled(false)
		rendered := browser.Get("/m/1").Text()
		pc.SetEnabled(true)
		if got != rendered {
			t.Fatal("the author's measure page differs from the one rendered without the cache")
		}
		// The API lists published comments only, also to the author.
		for path := range tops {
			if text := alice.Get(path).Text(); strings.Contains(text, "WARTET-") {
				t.Fatalf("%s lists a pending comment to its author", path)
			}
		}

		// Approved, the reply is public and no longer marked.
		decide(t, mod, "comment", pending["/api/v1/measures/1/comments reply"], "approve")
		settle(t, s)
		for _, c := range []*apptest.Client{anon, bob, anon, bob} {
			if text := c.Get("/m/1").Text(); strings.Count(text, "WARTET-") != 1 {
				t.Fatal("the approved reply is not on the public page")
			}
		}
		if text := alice.Get("/m/1").Text(); strings.Count(text, "WARTET-") != 2 || strings.Count(text, note) != 1 {
			t.Fatal("the author's page does not show the approved reply unmarked beside the pending comment")
		}
		// Rejected or hidden, a comment is gone from its author's page too
		// (/me shows why), also beside one that still waits.
		decide(t, mod, "comment", pending["/api/v1/measures/1/comments top"], "reject")
		for round := 1; round <= 2; round++ {
			if text := alice.Get("/m/1").Text(); strings.Count(text, "WARTET-") != 1 || strings.Contains(text, note) {
				t.Fatal("a rejected comment still shows on its author's page")
			}
		}
		ideaComments := fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID)
		decide(t, mod, "comment", pending[ideaComments+" top"], "reject")
		hidden := contribute(t, alice, ideaComments, "AUSGEBLENDET von Alice", 0)
		decide(t, mod, "comment", hidden, "approve")
		decide(t, mod, "comment", hidden, "hide")
		if text := alice.Get(ideaPage).Text(); strings.Count(text, "WARTET-") != 1 || strings.Count(text, note) != 1 || strings.Contains(text, "AUSGEBLENDET") {
			t.Fatal("the author's idea page shows a rejected or hidden comment of theirs, or lacks the one still waiting")
		}

		// A pending idea shows, marked, in its field's list to its author only.
		var mine created
		alice.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "WARTET-Idee von Alice", "body": "Text."}).JSON(t, &mine)
		if text := alice.Get("/f/1").Text(); !strings.Contains(text, "WARTET-Idee") || !strings.Contains(text, "Nur Sie sehen diese Idee.") {
			t.Fatal("the author's field page lacks their pending idea or its mark")
		}
		for _, c := range []*apptest.Client{bob, anon} {
			if strings.Contains(c.Get("/f/1").Text(), "WARTET-Idee") {
				t.Fatal("a pending idea shows in someone else's field page")
			}
		}
		if strings.Contains(alice.Get("/api/v1/fields/1/ideas").Text(), "WARTET-Idee") {
			t.Fatal("the API lists a pending idea")
		}
	})
}
