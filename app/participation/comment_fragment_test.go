package participation_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// One comment as its page prints it (what live.js inserts) is there for
// whoever sees the comment in its thread, and for nobody else.
func TestCommentFragmentFollowsVisibility(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "pre"})
		author := s.Register("wartend@example.org", "Wartend")
		pending := strconv.FormatInt(mustComment(t, author, "/api/v1/measures/1/comments"), 10)
		resident := s.Register("nachbar@example.org", "Nachbar")
		moderator := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		for _, tc := range []struct {
			who    string
			c      *apptest.Client
			path   string
			status int
		}{
			{"the public", s.Client(), "/m/1/comments/" + pending, 404},
			{"another resident", resident, "/m/1/comments/" + pending, 404},
			{"its author", author, "/m/1/comments/" + pending, 200},
			{"a moderator", moderator, "/m/1/comments/" + pending, 200},
			{"a moderator, on another item", moderator, "/m/2/comments/" + pending, 404},
			{"a moderator, on an idea", moderator, "/i/1/comments/" + pending, 404},
			{"anyone, without a number", s.Client(), "/m/1/comments/x", 404},
		} {
			r := tc.c.Get(tc.path)
			if r.Status != tc.status && !(tc.status == 404 && r.Status == 400) {
				t.Errorf("%s, %s: %d, want %d", tc.who, tc.path, r.Status, tc.status)
			}
			if r.Status == 200 && (!strings.HasPrefix(strings.TrimSpace(r.Text()), `<li id="comment-`+pending+`">`) || r.Header.Get("Cache-Control") != "no-store") {
				t.Errorf("%s: not the comment's list item, or kept: %s %s", tc.who, r.Header.Get("Cache-Control"), r.Body)
			}
		}
		if r := s.Admin().Do("POST", "/api/v1/moderation/comment/"+pending+"/decision", map[string]any{"action": "approve", "version": 1}); r.Status >= 300 {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
		r := s.Client().Get("/m/1/comments/" + pending)
		if r.Status != 200 || !strings.Contains(r.Text(), "Anderswo") || strings.Contains(r.Text(), "<form") {
			t.Fatalf("the published comment to the public: %d %s", r.Status, r.Body)
		}
	})
}

// One idea's card as the field page lists it (what live.js inserts) is
// there for whoever finds the idea in that list, and for nobody else.
func TestIdeaCardFollowsTheList(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "pre"})
		author := s.Register("wartend@example.org", "Wartend")
		var idea created
		if r := author.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Wartende Idee", "body": "Noch nicht geprüft."}); r.Status != 201 {
			t.Fatalf("idea: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &idea)
		}
		id := strconv.FormatInt(idea.ID, 10)
		resident := s.Register("nachbar@example.org", "Nachbar")
		for _, tc := range []struct {
			who    string
			c      *apptest.Client
			path   string
			status int
		}{
			{"the public", s.Client(), "/f/1/ideas/" + id, 404},
			{"another resident", resident, "/f/1/ideas/" + id, 404},
			{"its author", author, "/f/1/ideas/" + id, 200},
			{"its author, on another field", author, "/f/2/ideas/" + id, 404},
			{"anyone, without a number", s.Client(), "/f/1/ideas/x", 404},
		} {
			r := tc.c.Get(tc.path)
			if r.Status != tc.status && !(tc.status == 404 && r.Status == 400) {
				t.Errorf("%s, %s: %d, want %d", tc.who, tc.path, r.Status, tc.status)
			}
			if r.Status == 200 && (!strings.HasPrefix(strings.TrimSpace(r.Text()), `<li class="card idea" data-idea="`+id+`">`) || r.Header.Get("Cache-Control") != "no-store") {
				t.Errorf("%s: not the idea's card, or kept: %s %s", tc.who, r.Header.Get("Cache-Control"), r.Body)
			}
		}
		if r := s.Admin().Do("POST", "/api/v1/moderation/idea/"+id+"/decision", map[string]any{"action": "approve", "version": 1}); r.Status >= 300 {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
		card := s.Client().Get("/f/1/ideas/" + id)
		page := s.Client().Get("/f/1")
		if card.Status != 200 || !strings.Contains(page.Text(), strings.TrimSpace(card.Text())) {
			t.Fatalf("the published card to the public is not the page's: %d\n%s", card.Status, card.Body)
		}
	})
}
