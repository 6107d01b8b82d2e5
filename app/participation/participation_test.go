package participation_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

type (
	ctxT           = context.Context
	txT            = *store.Tx
	configDatabase = config.Database
)

func patchWir2(t *testing.T, s *apptest.Server, body map[string]any) {
	t.Helper()
	if r := s.Admin().Do("PATCH", "/api/v1/consultations/wir2", body); r.Status != 200 {
		t.Fatalf("patch wir2: %d %s", r.Status, r.Body)
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

type tally struct{ For, Against, Neutral int }

type voteAnswer struct {
	Tally  tally
	MyVote *int `json:"my_vote"`
}

func TestVoting(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		amira := s.Register("amira@example.org", "Amira")
		ben := s.Register("ben@example.org", "Ben")
		var a voteAnswer
		r := amira.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		r.JSON(t, &a)
		if r.Status != 200 || a.Tally != (tally{1, 0, 0}) || a.MyVote == nil || *a.MyVote != 1 {
			t.Fatalf("first vote: %d %s", r.Status, r.Body)
		}
		ben.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": -1})
		// Changing a vote replaces it.
		r = amira.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 0})
		r.JSON(t, &a)
		if a.Tally != (tally{0, 1, 1}) || *a.MyVote != 0 {
			t.Fatalf("changed vote: %s", r.Body)
		}
		// The same vote again changes nothing.
		amira.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 0}).JSON(t, &a)
		if a.Tally != (tally{0, 1, 1}) {
			t.Fatalf("repeated vote: %+v", a.Tally)
		}
		var m struct {
			Tally  tally
			MyVote *int `json:"my_vote"`
		}
		ben.Get("/api/v1/measures/1").JSON(t, &m)
		if m.MyVote == nil || *m.MyVote != -1 || m.Tally != (tally{0, 1, 1}) {
			t.Fatalf("measure for ben: %+v", m)
		}
		r = s.Client().Get("/api/v1/measures/1")
		if !strings.Contains(r.Text(), `"my_vote":null`) {
			t.Fatalf("anonymous my_vote: %s", r.Body)
		}
		// Withdrawing deletes the vote.
		r = amira.Do("DELETE", "/api/v1/measures/1/vote", nil)
		if r.Status != 200 || !strings.Contains(r.Text(), `"my_vote":null`) {
			t.Fatalf("withdraw: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &a)
		if a.Tally != (tally{0, 1, 0}) {
			t.Fatalf("after withdrawing: %+v", a.Tally)
		}
		if r := amira.Do("DELETE", "/api/v1/measures/1/vote", nil); r.Status != 200 {
			t.Fatalf("withdrawing twice: %d", r.Status)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 1"); n != 1 {
			t.Fatalf("%d vote rows", n)
		}
		// Live subscribers get the last tally (tally events of one item
		// are spaced out while votes come in, the last one always comes).
		for deadline := time.Now().Add(5 * time.Second); ; {
			var data []string
			if err := s.App.Store.DB.NewRaw("SELECT data FROM events WHERE type = 'vote.tally' AND topics LIKE '%,measure:1,%' AND topics LIKE '%,consultation:wir2,%' ORDER BY id DESC LIMIT 1").Scan(t.Context(), &data); err != nil && !store.IsNoRows(err) {
				t.Fatal(err)
			}
			if len(data) == 1 && strings.Contains(data[0], `"tally":{"for":0,"against":1,"neutral":0}`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the last vote.tally event is %v", data)
			}
			time.Sleep(10 * time.Millisecond)
		}

		cases := []struct {
			name   string
			c      *apptest.Client
			method string
			path   string
			body   any
			status int
		}{
			{"anonymous", s.Client(), "PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}, 401},
			{"value 2", amira, "PUT", "/api/v1/measures/1/vote", map[string]int{"value": 2}, 422},
			{"value missing", amira, "PUT", "/api/v1/measures/1/vote", map[string]int{}, 422},
			{"value a string", amira, "PUT", "/api/v1/measures/1/vote", map[string]string{"value": "1"}, 422},
			{"unknown measure", amira, "PUT", "/api/v1/measures/9999/vote", map[string]int{"value": 1}, 404},
			{"id not a number", amira, "PUT", "/api/v1/measures/one/vote", map[string]int{"value": 1}, 404},
			{"unknown idea", amira, "PUT", "/api/v1/ideas/9999/vote", map[string]int{"value": 1}, 404},
		}
		for _, c := range cases {
			if r := c.c.Do(c.method, c.path, c.body); r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			}
		}

		// A blocked person is told why and until when.
		until := time.Now().Add(48 * time.Hour).UTC()
		if err := s.App.Store.Write(t.Context(), func(ctx2 ctxT, tx txT) error {
			if _, err := tx.ExecContext(ctx2, "UPDATE users SET blocked_until = ?, block_reason = ? WHERE id = ?", until, "Beleidigungen", ben.UserID); err != nil {
				return err
			}
			// As every write that changes an account does (accounts.Block).
			return accounts.Changed(ctx2, tx)
		}); err != nil {
			t.Fatal(err)
		}
		r = ben.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		if r.Status != 403 || !strings.Contains(r.Text(), "Beleidigungen") || !strings.Contains(r.Text(), until.Format("2006-01-02")) {
			t.Fatalf("blocked vote: %d %s", r.Status, r.Body)
		}
		// Closed consultations take no votes.
		patchWir2(t, s, map[string]any{"phase": "closed"})
		if r := amira.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != 409 {
			t.Fatalf("vote on a closed consultation: %d", r.Status)
		}
		if n := count(t, s, "SELECT votes_for + votes_against + votes_neutral FROM tallies WHERE target_kind = 'measure' AND target_id = 1"); n != 1 {
			t.Fatalf("refused votes changed the tally to %d", n)
		}
	})
}

// The tally always equals the votes: 100 people change their votes on one
// measure 6 times each, all at once.
func TestConcurrentVotesKeepTheTallyExact(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		const people, changes = 100, 6
		clients := make([]*apptest.Client, people)
		for i := range clients {
			clients[i] = s.Register(fmt.Sprintf("v%03d@example.org", i), fmt.Sprintf("Voter %d", i))
		}
		final := make([]int, people) // 2 = no vote
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				final[i] = 2
				for range changes {
					value := rng.IntN(4) - 2 // -2 withdraws
					var r *apptest.Response
					if value == -2 {
						r = c.Do("DELETE", "/api/v1/measures/2/vote", nil)
					} else {
						r = c.Do("PUT", "/api/v1/measures/2/vote", map[string]int{"value": value})
					}
					if r.Status != 200 {
						t.Errorf("vote: %d %s", r.Status, r.Body)
						return
					}
					if value == -2 {
						final[i] = 2
					} else {
						final[i] = value
					}
				}
			}()
		}
		wg.Wait()
		var want tally
		for _, v := range final {
			switch v {
			case 1:
				want.For++
			case -1:
				want.Against++
			case 0:
				want.Neutral++
			}
		}
		var got struct{ Tally tally }
		s.Client().Get("/api/v1/measures/2").JSON(t, &got)
		if got.Tally != want {
			t.Fatalf("tally %+v, want %+v", got.Tally, want)
		}
		counted := tally{
			For:     count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 2 AND value = 1"),
			Against: count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 2 AND value = -1"),
			Neutral: count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 2 AND value = 0"),
		}
		if counted != want {
			t.Fatalf("votes table %+v, want %+v", counted, want)
		}
	})
}

type created struct {
	ID     int64
	Status string
}

type commentJSON struct {
	ID       int64
	ParentID *int64 `json:"parent_id"`
	Body     string
	Stance   string
	Lang     string
	Author   struct {
		ID          *int64
		DisplayName string `json:"display_name"`
	}
}

func comments(t *testing.T, c *apptest.Client, path string) []commentJSON {
	t.Helper()
	var list struct{ Items []commentJSON }
	c.Get(path).JSON(t, &list)
	return list.Items
}

func TestComments(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		amira := s.Register("amira@example.org", "Amira")
		ben := s.Register("ben@example.org", "Ben")
		var c created
		// Pre-moderation (the demo's default): pending, invisible.
		r := amira.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "  Sehr gut!  ", "stance": "pro"})
		r.JSON(t, &c)
		if r.Status != 201 || c.Status != "pending" {
			t.Fatalf("comment: %d %s", r.Status, r.Body)
		}
		if len(comments(t, s.Client(), "/api/v1/measures/1/comments")) != 0 {
			t.Fatal("a pending comment is listed")
		}
		var body string
		if err := s.App.Store.DB.NewRaw("SELECT body FROM comments WHERE id = ?", c.ID).Scan(t.Context(), &body); err != nil || body != "Sehr gut!" {
			t.Fatalf("stored body %q (%v): trimmed, as written", body, err)
		}
		// Post-moderation: published at once, counted, announced.
		patchWir2(t, s, map[string]any{"moderation": "post"})
		var top created
		amira.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Erster öffentlicher Kommentar", "stance": "contra", "lang": "tr"}).JSON(t, &top)
		if top.Status != "published" {
			t.Fatalf("post-moderation status %s", top.Status)
		}
		var reply created
		r = ben.Do("POST", "/api/v1/measures/1/comments", map[string]any{"body": "Eine Antwort", "parent_id": top.ID})
		r.JSON(t, &reply)
		if r.Status != 201 {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		list := comments(t, s.Client(), "/api/v1/measures/1/comments")
		if len(list) != 2 || list[0].ID != top.ID || list[1].ParentID == nil || *list[1].ParentID != top.ID ||
			list[0].Stance != "contra" || list[0].Lang != "tr" || list[1].Stance != "neutral" || list[1].Lang != "de" ||
			list[0].Author.DisplayName != "Amira" || list[0].Author.ID == nil || *list[0].Author.ID != amira.UserID {
			t.Fatalf("list %+v", list)
		}
		var m struct {
			CommentCount int `json:"comment_count"`
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if m.CommentCount != 2 {
			t.Fatalf("comment_count %d counts replies too, want 2", m.CommentCount)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE type = 'comment.published' AND topics LIKE '%,measure:1,%' AND topics LIKE '%,expert-group:7,%'"); n != 2 {
			t.Fatalf("%d comment.published events to the item and the field's groups", n)
		}

		for _, bad := range []struct {
			name  string
			body  any
			field string
		}{
			{"reply to a reply", map[string]any{"body": "x", "parent_id": reply.ID}, "parent_id"},
			{"parent on another measure", map[string]any{"body": "x", "parent_id": mustComment(t, amira, "/api/v1/measures/2/comments")}, "parent_id"},
			{"pending parent", map[string]any{"body": "x", "parent_id": c.ID}, "parent_id"},
			{"unknown parent", map[string]any{"body": "x", "parent_id": 99999}, "parent_id"},
			{"empty body", map[string]any{"body": "   "}, "body"},
			{"too long", map[string]any{"body": strings.Repeat("ü", 5001)}, "body"},
			{"bad stance", map[string]any{"body": "x", "stance": "maybe"}, "stance"},
			{"bad lang", map[string]any{"body": "x", "lang": "not a language"}, "lang"},
		} {
			r := ben.Do("POST", "/api/v1/measures/1/comments", bad.body)
			if r.Status != 422 || !strings.Contains(r.Text(), `"field":"`+bad.field+`"`) {
				t.Errorf("%s: %d %s", bad.name, r.Status, r.Body)
			}
		}
		// 5000 characters is fine, counted in characters.
		if r := ben.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": strings.Repeat("ü", 5000)}); r.Status != 201 {
			t.Fatalf("5000 characters: %d", r.Status)
		}

		// Editing: only one's own; under pre-moderation it waits again.
		if r := ben.Do("PATCH", fmt.Sprintf("/api/v1/comments/%d", top.ID), map[string]string{"body": "gekapert"}); r.Status != 403 {
			t.Fatalf("editing someone else's comment: %d", r.Status)
		}
		r = amira.Do("PATCH", fmt.Sprintf("/api/v1/comments/%d", top.ID), map[string]string{"body": "Geänderter Text"})
		if r.Status != 200 || !strings.Contains(r.Text(), "Geänderter Text") || !strings.Contains(r.Text(), `"status":"published"`) {
			t.Fatalf("edit under post-moderation: %d %s", r.Status, r.Body)
		}
		patchWir2(t, s, map[string]any{"moderation": "pre"})
		r = amira.Do("PATCH", fmt.Sprintf("/api/v1/comments/%d", top.ID), map[string]string{"stance": "neutral"})
		if r.Status != 200 || !strings.Contains(r.Text(), `"status":"pending"`) {
			t.Fatalf("edit under pre-moderation: %d %s", r.Status, r.Body)
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if m.CommentCount != 2 {
			t.Fatalf("comment_count %d after a comment went back to pending, want 2 (reply and the long one)", m.CommentCount)
		}
		// Withdrawing takes it out of every list.
		if r := ben.Do("DELETE", fmt.Sprintf("/api/v1/comments/%d", reply.ID), nil); r.Status != 204 {
			t.Fatalf("withdraw: %d", r.Status)
		}
		for _, it := range comments(t, s.Client(), "/api/v1/measures/1/comments") {
			if it.ID == reply.ID || it.ID == top.ID {
				t.Fatalf("withdrawn or pending comment %d listed", it.ID)
			}
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if m.CommentCount != 1 {
			t.Fatalf("comment_count %d after withdrawing, want 1", m.CommentCount)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE type = 'comment.removed'"); n != 2 {
			t.Fatalf("%d comment.removed events", n)
		}
	})
}

func mustComment(t *testing.T, c *apptest.Client, path string) int64 {
	t.Helper()
	var cr created
	r := c.Do("POST", path, map[string]string{"body": "Anderswo"})
	r.JSON(t, &cr)
	if r.Status != 201 {
		t.Fatalf("comment on %s: %d %s", path, r.Status, r.Body)
	}
	return cr.ID
}

func TestIdeas(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		amira := s.Register("amira@example.org", "Amira")
		ben := s.Register("ben@example.org", "Ben")
		var c created
		r := amira.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Sprachcafé", "body": "Ein Café, in dem alle Sprachen willkommen sind.", "themes": []string{"diversitaet"}})
		r.JSON(t, &c)
		if r.Status != 201 || c.Status != "pending" {
			t.Fatalf("idea: %d %s", r.Status, r.Body)
		}
		path := fmt.Sprintf("/api/v1/ideas/%d", c.ID)
		if r := amira.Get(path); r.Status != 200 || !strings.Contains(r.Text(), `"status":"pending"`) {
			t.Fatalf("the author sees the pending idea: %d %s", r.Status, r.Body)
		}
		for _, other := range []*apptest.Client{ben, s.Client()} {
			if r := other.Get(path); r.Status != 404 {
				t.Fatalf("someone else sees a pending idea: %d", r.Status)
			}
		}
		if r := ben.Do("PUT", path+"/vote", map[string]int{"value": 1}); r.Status != 404 {
			t.Fatalf("vote on a pending idea: %d", r.Status)
		}
		if r := amira.Do("PUT", path+"/vote", map[string]int{"value": 1}); r.Status != 409 {
			t.Fatalf("the author votes on their pending idea: %d", r.Status)
		}
		patchWir2(t, s, map[string]any{"moderation": "post"})
		var pub created
		amira.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Lesepatenschaften", "body": "Ältere lesen mit Kindern."}).JSON(t, &pub)
		if pub.Status != "published" {
			t.Fatalf("post-moderation idea %s", pub.Status)
		}
		ben.Do("PUT", fmt.Sprintf("/api/v1/ideas/%d/vote", pub.ID), map[string]int{"value": -1})
		var list struct {
			Items []struct {
				ID          int64
				FieldID     int64 `json:"field_id"`
				Title       string
				Lang        string
				Status      string
				TriageState string `json:"triage_state"`
				Response    *struct{ Text string }
				Tally       tally
				Author      struct {
					DisplayName string `json:"display_name"`
				}
			}
		}
		s.Client().Get("/api/v1/fields/1/ideas").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != pub.ID || list.Items[0].Tally != (tally{0, 1, 0}) || list.Items[0].TriageState != "new" ||
			list.Items[0].Response != nil || list.Items[0].Status != "published" || list.Items[0].Author.DisplayName != "Amira" {
			t.Fatalf("ideas %+v", list.Items)
		}
		r = ben.Get(fmt.Sprintf("/api/v1/ideas/%d", pub.ID))
		if !strings.Contains(r.Text(), `"my_vote":-1`) {
			t.Fatalf("idea with my_vote: %s", r.Body)
		}
		var field struct {
			Fields []struct {
				IdeaCount int `json:"idea_count"`
			}
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &field)
		if field.Fields[0].IdeaCount != 1 {
			t.Fatalf("idea_count %d", field.Fields[0].IdeaCount)
		}
		for _, bad := range []struct {
			name  string
			body  any
			field string
		}{
			{"short title", map[string]any{"title": "ab", "body": "x"}, "title"},
			{"no body", map[string]any{"title": "Titel"}, "body"},
			{"unknown theme", map[string]any{"title": "Titel", "body": "x", "themes": []string{"sport"}}, "themes[0]"},
			{"title too long", map[string]any{"title": strings.Repeat("a", 201), "body": "x"}, "title"},
		} {
			if r := ben.Do("POST", "/api/v1/fields/1/ideas", bad.body); r.Status != 422 || !strings.Contains(r.Text(), `"field":"`+bad.field+`"`) {
				t.Errorf("%s: %d %s", bad.name, r.Status, r.Body)
			}
		}
		// Edit and withdraw, own only.
		if r := ben.Do("PATCH", fmt.Sprintf("/api/v1/ideas/%d", pub.ID), map[string]string{"title": "Meins"}); r.Status != 403 {
			t.Fatalf("editing another's idea: %d", r.Status)
		}
		r = amira.Do("PATCH", fmt.Sprintf("/api/v1/ideas/%d", pub.ID), map[string]string{"title": "Lesepatenschaften für alle"})
		if r.Status != 200 || !strings.Contains(r.Text(), "für alle") {
			t.Fatalf("edit: %d %s", r.Status, r.Body)
		}
		if r := amira.Do("DELETE", fmt.Sprintf("/api/v1/ideas/%d", pub.ID), nil); r.Status != 204 {
			t.Fatalf("withdraw: %d", r.Status)
		}
		s.Client().Get("/api/v1/fields/1/ideas").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatal("a withdrawn idea is listed")
		}
		if r := amira.Get(fmt.Sprintf("/api/v1/ideas/%d", pub.ID)); r.Status != 404 {
			t.Fatalf("a withdrawn idea is still shown to its author: %d", r.Status)
		}
	})
}

// Under pre-moderation nothing pending reaches the public: not lists,
// counts, pages, JSON or live events.
func TestPendingNeverLeaks(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		author := s.Register("author@example.org", "Autorin")
		other := s.Register("other@example.org", "Andere")
		const marker = "GEHEIMER-ENTWURF-7431"
		var comment, idea created
		author.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Kommentar " + marker}).JSON(t, &comment)
		author.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Idee " + marker, "body": "Text " + marker}).JSON(t, &idea)
		if comment.Status != "pending" || idea.Status != "pending" {
			t.Fatalf("states %s %s", comment.Status, idea.Status)
		}
		ideaID := fmt.Sprint(idea.ID)
		for _, path := range []string{
			"/api/v1/measures/1/comments", "/api/v1/measures/1", "/api/v1/fields/1/ideas", "/api/v1/fields/1/measures",
			"/api/v1/consultations/wir2", "/m/1", "/f/1", "/c/wir2", "/",
		} {
			for _, c := range []*apptest.Client{s.Client(), other} {
				if r := c.Get(path); strings.Contains(r.Text(), marker) {
					t.Errorf("%s shows pending content", path)
				}
			}
		}
		for _, path := range []string{"/api/v1/ideas/" + ideaID, "/i/" + ideaID, "/api/v1/ideas/" + ideaID + "/comments"} {
			for _, c := range []*apptest.Client{s.Client(), other} {
				if r := c.Get(path); r.Status != 404 || strings.Contains(r.Text(), marker) {
					t.Errorf("%s for someone else: %d", path, r.Status)
				}
			}
		}
		var m struct {
			CommentCount int `json:"comment_count"`
		}
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		var c struct {
			Fields []struct {
				IdeaCount int `json:"idea_count"`
			}
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if m.CommentCount != 0 || c.Fields[0].IdeaCount != 0 {
			t.Fatalf("counts include pending content: %d comments, %d ideas", m.CommentCount, c.Fields[0].IdeaCount)
		}
		// Only the moderators' private topic may carry it.
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE data LIKE ? AND topics <> ',moderation,'", "%"+marker+"%"); n != 0 {
			t.Fatalf("%d live events on other topics carry pending content", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM events WHERE type = 'moderation.queue' AND data LIKE ?", "%"+marker+"%"); n != 2 {
			t.Fatalf("%d moderation.queue events announce the pending items, want 2", n)
		}
		// The author sees it, marked as waiting.
		if r := author.Get("/i/" + ideaID); r.Status != 200 {
			t.Fatalf("the author's pending idea page: %d", r.Status)
		}
	})
}

// Bad input of every kind gets a clear 4xx and stores nothing.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		u := s.Register("u@example.org", "Ulla")
		admin := s.Admin()
		// A second consultation, to try ids that belong elsewhere.
		r := admin.Do("POST", "/api/v1/consultations", map[string]any{"slug": "anders", "title": map[string]string{"de": "Ein Entwurf"}})
		if r.Status != 201 {
			t.Fatal(r.Text())
		}
		var f struct{ ID int64 }
		admin.Do("POST", "/api/v1/consultations/anders/fields", map[string]any{"slug": "feld", "title": map[string]string{"de": "Feld im Entwurf"}}).JSON(t, &f)
		draftField := fmt.Sprint(f.ID)
		raw := func(b string) apptest.Raw { return apptest.Raw{ContentType: "application/json", Body: []byte(b)} }
		cases := []struct {
			name, method, path string
			body               any
			status             int
		}{
			{"comment: wrong type", "POST", "/api/v1/measures/1/comments", map[string]any{"body": 42}, 422},
			{"comment: unknown field", "POST", "/api/v1/measures/1/comments", map[string]any{"body": "x", "author_id": 1}, 422},
			{"comment: missing body", "POST", "/api/v1/measures/1/comments", map[string]any{"stance": "pro"}, 422},
			{"comment: malformed", "POST", "/api/v1/measures/1/comments", raw(`{"body": "x"`), 400},
			{"comment: not an object", "POST", "/api/v1/measures/1/comments", raw(`["x"]`), 400},
			{"comment: invalid UTF-8", "POST", "/api/v1/measures/1/comments", raw("{\"body\":\"a\xc0b\"}"), 422},
			{"comment: NUL", "POST", "/api/v1/measures/1/comments", raw(`{"body":"a\u0000b"}`), 422},
			{"comment: lone surrogate", "POST", "/api/v1/measures/1/comments", raw(`{"body":"a\udc00b"}`), 422},
			{"comment: oversized", "POST", "/api/v1/measures/1/comments", map[string]string{"body": strings.Repeat("x", 2<<20)}, 413},
			{"comment: text/plain", "POST", "/api/v1/measures/1/comments", apptest.Raw{ContentType: "text/plain", Body: []byte(`{"body":"x"}`)}, 415},
			{"comment: unknown measure", "POST", "/api/v1/measures/424242/comments", map[string]string{"body": "x"}, 404},
			{"comment: SQL in the id", "POST", "/api/v1/measures/1%20OR%201=1/comments", map[string]string{"body": "x"}, 404},
			{"idea: field of a draft consultation", "POST", "/api/v1/fields/" + draftField + "/ideas", map[string]string{"title": "Titel", "body": "x"}, 404},
			{"idea: unknown field", "POST", "/api/v1/fields/999/ideas", map[string]string{"title": "Titel", "body": "x"}, 404},
			{"idea: theme of another consultation", "POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Titel", "body": "x", "themes": []string{"sicherheit"}}, 422},
			{"idea: themes not a list", "POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Titel", "body": "x", "themes": "diversitaet"}, 422},
			{"vote: not JSON", "PUT", "/api/v1/measures/1/vote", apptest.Raw{ContentType: "application/x-www-form-urlencoded", Body: []byte("value=1")}, 415},
			{"report: unknown target kind", "POST", "/api/v1/reports", map[string]any{"target": "measure", "id": 1, "reason": "spam"}, 422},
			{"report: unknown reason", "POST", "/api/v1/reports", map[string]any{"target": "comment", "id": 1, "reason": "boring"}, 422},
			{"report: unknown comment", "POST", "/api/v1/reports", map[string]any{"target": "comment", "id": 999, "reason": "spam"}, 404},
			{"report: id a string", "POST", "/api/v1/reports", map[string]any{"target": "comment", "id": "1", "reason": "spam"}, 422},
		}
		before := counts(t, s)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := u.Do(c.method, c.path, c.body)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %.300s", r.Status, c.status, r.Body)
				}
				if r.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("content type %s", r.Header.Get("Content-Type"))
				}
			})
		}
		if after := counts(t, s); after != before {
			t.Fatalf("refused requests stored something: %v -> %v", before, after)
		}
		// Markup is kept as text and escaped on the page.
		patchWir2(t, s, map[string]any{"moderation": "post"})
		u.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": `<script>alert("x")</script> '; DROP TABLE votes; --`})
		page := s.Client().Get("/m/1").Text()
		if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Fatal("a comment's markup was not escaped")
		}
		list := comments(t, s.Client(), "/api/v1/measures/1/comments")
		if len(list) != 1 || !strings.HasPrefix(list[0].Body, `<script>alert("x")</script>`) {
			t.Fatalf("the comment was not stored as written: %+v", list)
		}
		count(t, s, "SELECT COUNT(*) FROM votes") // the table survived the SQL fragment
	})
}

func counts(t *testing.T, s *apptest.Server) [5]int {
	return [5]int{
		count(t, s, "SELECT COUNT(*) FROM comments"), count(t, s, "SELECT COUNT(*) FROM ideas"),
		count(t, s, "SELECT COUNT(*) FROM votes"), count(t, s, "SELECT COUNT(*) FROM reports"),
		count(t, s, "SELECT COUNT(*) FROM events"),
	}
}

func TestReports(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		author := s.Register("author@example.org", "Autor")
		reader := s.Register("reader@example.org", "Leserin")
		id := mustComment(t, author, "/api/v1/measures/1/comments")
		report := map[string]any{"target": "comment", "id": id, "reason": "insult", "note": "Das ist beleidigend."}
		if r := reader.Do("POST", "/api/v1/reports", report); r.Status != 202 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		if r := reader.Do("POST", "/api/v1/reports", report); r.Status != 202 {
			t.Fatalf("second report by the same person: %d", r.Status)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM reports WHERE target_kind = 'comment' AND target_id = ?", id); n != 1 {
			t.Fatalf("%d report rows", n)
		}
		if r := author.Do("POST", "/api/v1/reports", report); r.Status != 422 {
			t.Fatalf("reporting one's own comment: %d", r.Status)
		}
		if r := s.Client().Do("POST", "/api/v1/reports", report); r.Status != 401 {
			t.Fatalf("anonymous report: %d", r.Status)
		}
		// Reports are taken when a consultation has closed, too.
		patchWir2(t, s, map[string]any{"phase": "closed"})
		other := s.Register("other@example.org", "Andere")
		if r := other.Do("POST", "/api/v1/reports", map[string]any{"target": "comment", "id": id, "reason": "spam"}); r.Status != 202 {
			t.Fatalf("report on a closed consultation: %d", r.Status)
		}
	})
}

// A page needs the same number of queries for 10 and for 1,000 comments.
func TestMeasurePageQueriesAreFixed(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, db configDatabase) {
		counter := &storetest.QueryCounter{}
		s := apptest.Start(t, db, apptest.WithQueryHook(counter))
		reader := s.Register("reader@example.org", "Leserin")
		addComments := func(n int) {
			if err := s.App.Store.Write(t.Context(), func(ctx ctxT, tx txT) error {
				now := time.Now().UTC()
				for i := range n {
					if _, err := tx.ExecContext(ctx, `INSERT INTO comments (target_kind, target_id, field_id, author_id, body, stance, lang, status, created_at, updated_at, published_at)
VALUES ('measure', 1, 1, ?, ?, 'pro', 'de', 'published', ?, ?, ?)`, reader.UserID, fmt.Sprintf("Kommentar %d", i), now, now, now); err != nil {
						return err
					}
				}
				// Every fourth comment is a reply to the first.
				_, err := tx.ExecContext(ctx, `UPDATE comments SET parent_id = (SELECT MIN(id) FROM comments) WHERE id % 4 = 0 AND id <> (SELECT MIN(id) FROM comments)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// The counter also sees background queries (on PostgreSQL the
		// outbox sequences events every second), so the fewest of three
		// rounds is what the pages themselves need.
		measure := func() int64 {
			fewest := int64(-1)
			for range 3 {
				before := counter.Count()
				for _, c := range []*apptest.Client{s.Client(), reader} {
					if r := c.Get("/m/1"); r.Status != 200 {
						t.Fatalf("/m/1: %d", r.Status)
					}
				}
				if n := counter.Count() - before; fewest < 0 || n < fewest {
					fewest = n
				}
			}
			return fewest
		}
		addComments(10)
		few := measure()
		addComments(990)
		many := measure()
		if few != many {
			t.Fatalf("%d queries with 10 comments, %d with 1,000", few, many)
		}
		if few > 24 {
			t.Fatalf("%d queries for two page views", few)
		}
	})
}

func TestFormsWithoutJavaScript(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.RegisterForm("form@example.org", "Formular")
		page := b.Get("/m/1").Text()
		csrf := between(page, `name="_csrf" value="`, `"`)
		post := func(path string, v url.Values) *apptest.Response {
			v.Set("_csrf", csrf)
			return b.Do("POST", path, v)
		}
		r := post("/m/1/vote", url.Values{"value": {"1"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/m/1#vote" {
			t.Fatalf("vote form: %d %s", r.Status, r.Header.Get("Location"))
		}
		page = b.Get("/m/1").Text()
		if !strings.Contains(page, `value="1" aria-pressed="true"`) || !strings.Contains(page, "Ihre Stimme ist gezählt.") {
			t.Fatalf("the page does not show the vote and its message:\n%s", between(page, `<section id="vote"`, "</section>"))
		}
		if r := post("/m/1/vote", url.Values{"value": {"withdraw"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("withdraw form: %d", r.Status)
		}
		// A comment under pre-moderation: back to the page with a message.
		r = post("/m/1/comments", url.Values{"body": {"Mein Formularkommentar"}, "stance": {"pro"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/m/1#comments" {
			t.Fatalf("comment form: %d %s", r.Status, r.Header.Get("Location"))
		}
		if !strings.Contains(b.Get("/m/1").Text(), "Ihr Kommentar wird geprüft") {
			t.Fatal("no message after commenting")
		}
		// An empty comment comes back with the error linked to the field.
		r = post("/m/1/comments", url.Values{"body": {"  "}, "stance": {"pro"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-body"`) || !strings.Contains(r.Text(), `id="field-body-error"`) {
			t.Fatalf("empty comment: %d", r.Status)
		}
		// Replies and their errors under post-moderation.
		patchWir2(t, s, map[string]any{"moderation": "post"})
		r = post("/m/1/comments", url.Values{"body": {"Öffentlich"}, "stance": {"neutral"}})
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, "/m/1#comment-") {
			t.Fatalf("published comment: %d %s", r.Status, loc)
		}
		parent := strings.TrimPrefix(loc, "/m/1#comment-")
		page = b.Get("/m/1").Text()
		if !strings.Contains(page, `id="field-reply-`+parent+`-body"`) {
			t.Fatal("no reply form under the comment")
		}
		r = post("/m/1/comments", url.Values{"body": {""}, "parent_id": {parent}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-reply-`+parent+`-body"`) || !strings.Contains(r.Text(), "<details class=\"reply\" open>") {
			t.Fatalf("failed reply: %d", r.Status)
		}
		if r := post("/m/1/comments", url.Values{"body": {"Antwort per Formular"}, "parent_id": {parent}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reply: %d", r.Status)
		}
		// An idea with a theme.
		r = post("/f/1/ideas", url.Values{"title": {"Formularidee"}, "body": {"Zeile eins\r\nZeile zwei"}, "themes": {"diversitaet", "gleichbehandlung"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/i/") {
			t.Fatalf("idea form: %d %s", r.Status, r.Body)
		}
		ideaPage := b.Get(r.Header.Get("Location")).Text()
		if !strings.Contains(ideaPage, "Zeile eins<br>Zeile zwei") || !strings.Contains(ideaPage, "Anerkennung und Förderung von Diversität") {
			t.Fatal("the idea page does not show the idea")
		}
		// A bad idea keeps what was typed.
		r = post("/f/1/ideas", url.Values{"title": {"x"}, "body": {"Mein langer Text"}, "themes": {"diversitaet"}})
		if r.Status != 422 || !strings.Contains(r.Text(), "Mein langer Text") || !strings.Contains(r.Text(), `href="#field-idea-title"`) || !strings.Contains(r.Text(), `value="diversitaet" checked`) {
			t.Fatalf("failed idea: %d", r.Status)
		}
		// Reporting someone else's comment.
		other := s.Register("other@example.org", "Andere")
		otherComment := mustComment(t, other, "/api/v1/measures/1/comments")
		r = post("/reports", url.Values{"target": {"comment"}, "id": {fmt.Sprint(otherComment)}, "reason": {"spam"}, "back": {"/m/1#comment-" + fmt.Sprint(otherComment)}})
		if r.Status != http.StatusSeeOther || count(t, s, "SELECT COUNT(*) FROM reports") != 1 {
			t.Fatalf("report form: %d", r.Status)
		}
		// Edit and withdraw from /me.
		me := b.Get("/me").Text()
		if !strings.Contains(me, "Formularidee") || !strings.Contains(me, "Mein Formularkommentar") || !strings.Contains(me, "Wird geprüft") {
			t.Fatal("/me does not list the contributions with their states")
		}
		commentID := fmt.Sprint(count(t, s, "SELECT id FROM comments WHERE body = 'Mein Formularkommentar'"))
		if r := b.Get("/comments/" + commentID + "/edit"); r.Status != 200 || !strings.Contains(r.Text(), "Mein Formularkommentar") {
			t.Fatalf("edit page: %d", r.Status)
		}
		if r := post("/comments/"+commentID+"/edit", url.Values{"body": {"Geändert per Formular"}, "stance": {"contra"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("edit form: %d %s", r.Status, r.Body)
		}
		if r := post("/comments/"+commentID+"/withdraw", url.Values{"back": {"/me"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("withdraw form: %d", r.Status)
		}
		if !strings.Contains(b.Get("/me").Text(), "Zurückgezogen") {
			t.Fatal("/me does not show the withdrawn state")
		}
		// Someone else cannot edit it.
		if r := other.Get("/comments/" + commentID + "/edit"); r.Status != 403 {
			t.Fatalf("someone else's edit page: %d", r.Status)
		}
	})
}

func TestMyDataExportAndErasure(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		u := s.Register("leaving@example.org", "Bald weg")
		u.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		id := mustComment(t, u, "/api/v1/measures/1/comments")
		u.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Meine Idee", "body": "Text"})
		r := u.Get("/api/v1/me/export")
		if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", r.Status, r.Header)
		}
		var e struct {
			Format   string
			Account  struct{ Email, DisplayName string }
			Ideas    []struct{ Title string }
			Comments []struct {
				ID int64
			}
			Votes    []struct{ Value int }
			Sessions []any
			Reports  []any
		}
		r.JSON(t, &e)
		if e.Format != "mitreden-export/2" || e.Account.Email != "leaving@example.org" || len(e.Ideas) != 1 || len(e.Comments) != 1 ||
			e.Comments[0].ID != id || len(e.Votes) != 1 || len(e.Sessions) == 0 || e.Reports == nil {
			t.Fatalf("export %s", r.Body)
		}
		if strings.Contains(r.Text(), "password") || strings.Contains(r.Text(), u.Token) {
			t.Fatal("the export carries a password hash or a session token")
		}
		if r := s.Client().Get("/api/v1/me/export"); r.Status != 401 {
			t.Fatalf("anonymous export: %d", r.Status)
		}
		if r := u.Do("DELETE", "/api/v1/me", nil); r.Status != 204 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if r := u.Get("/api/v1/me"); r.Status != 401 {
			t.Fatalf("the session survived erasure: %d", r.Status)
		}
		if r := s.Client().Do("POST", "/api/v1/auth/login", map[string]string{"email": "leaving@example.org", "password": "a-good-password"}); r.Status != 401 {
			t.Fatalf("login after erasure: %d", r.Status)
		}
		list := comments(t, s.Client(), "/api/v1/measures/1/comments?lang=en")
		if len(list) != 1 || list[0].Author.ID != nil || list[0].Author.DisplayName != "deleted account" {
			t.Fatalf("comment after erasure: %+v", list)
		}
		if !strings.Contains(s.Client().Get("/m/1").Text(), "gelöschtes Konto") {
			t.Fatal("the page does not show a deleted account")
		}
		var m struct{ Tally tally }
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if m.Tally.For != 1 {
			t.Fatalf("the vote stopped counting: %+v", m.Tally)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM users WHERE email = 'leaving@example.org' OR display_name = 'Bald weg'"); n != 0 {
			t.Fatal("personal data survived erasure")
		}
		// The last administrator cannot erase the account.
		if r := s.Admin().Do("DELETE", "/api/v1/me", nil); r.Status != 409 {
			t.Fatalf("last admin erasure: %d", r.Status)
		}
		// The same through the page, behind a confirmation.
		b := s.Browser(mustRegister(t, s, "page@example.org"), "a-good-password")
		if r := b.Get("/me/delete"); r.Status != 200 || !strings.Contains(r.Text(), `name="confirm"`) {
			t.Fatalf("delete page: %d", r.Status)
		}
		csrf := b.CSRF
		b.CSRF = ""
		if r := b.Do("POST", "/me/delete", url.Values{"_csrf": {csrf}}); r.Status != 422 {
			t.Fatalf("delete without confirmation: %d", r.Status)
		}
		if r := b.Do("POST", "/me/delete", url.Values{"_csrf": {csrf}, "confirm": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("delete with confirmation: %d", r.Status)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM users WHERE email = 'page@example.org'"); n != 0 {
			t.Fatal("the page did not erase the account")
		}
	})
}

func mustRegister(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	s.Register(email, "Seite")
	return email
}

func TestAccountRateLimits(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		young := s.Register("young@example.org", "Neu")
		var last *apptest.Response
		for i := 0; i < 21; i++ {
			last = young.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": i%3 - 1})
		}
		if last.Status != 429 || last.Header.Get("Retry-After") == "" {
			t.Fatalf("21st vote of a new account in a minute: %d", last.Status)
		}
		// An account older than a day has more room.
		old := s.Register("old@example.org", "Alt")
		if err := s.App.Store.Write(t.Context(), func(ctx ctxT, tx txT) error {
			_, err := tx.ExecContext(ctx, "UPDATE users SET created_at = ? WHERE email = 'old@example.org'", time.Now().Add(-48*time.Hour).UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			if r := old.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": i%3 - 1}); r.Status != 200 {
				t.Fatalf("vote %d of an established account: %d", i, r.Status)
			}
		}
		for i := 0; i < 3; i++ {
			young.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "x"})
		}
		if r := young.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "x"}); r.Status != 429 {
			t.Fatalf("4th comment of a new account in 10 minutes: %d", r.Status)
		}
	}, apptest.WithRateLimits())
}

// Closing a consultation stops every contribution at once.
func TestClosingStopsContributions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		voters := make([]*apptest.Client, 8)
		for i := range voters {
			voters[i] = s.Register(fmt.Sprintf("c%d@example.org", i), fmt.Sprintf("C %d", i))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for i, v := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					r := v.Do("PUT", "/api/v1/measures/3/vote", map[string]int{"value": (n+i)%3 - 1})
					if r.Status == 200 {
						mu.Lock()
						accepted++
						mu.Unlock()
					} else if r.Status != 409 {
						t.Errorf("vote: %d", r.Status)
						return
					}
				}
			}()
		}
		time.Sleep(150 * time.Millisecond)
		patchWir2(t, s, map[string]any{"phase": "closed"})
		for _, v := range voters {
			if r := v.Do("PUT", "/api/v1/measures/3/vote", map[string]int{"value": 1}); r.Status != 409 {
				t.Fatalf("vote after closing: %d", r.Status)
			}
			if r := v.Do("POST", "/api/v1/measures/3/comments", map[string]string{"body": "zu spät"}); r.Status != 409 {
				t.Fatalf("comment after closing: %d", r.Status)
			}
		}
		close(stop)
		wg.Wait()
		if accepted == 0 {
			t.Fatal("no vote went through before closing: the test proves nothing")
		}
		got := count(t, s, "SELECT votes_for + votes_against + votes_neutral FROM tallies WHERE target_kind = 'measure' AND target_id = 3")
		if want := count(t, s, "SELECT COUNT(*) FROM votes WHERE target_kind = 'measure' AND target_id = 3"); got != want {
			t.Fatalf("tally %d, votes %d", got, want)
		}
	})
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
