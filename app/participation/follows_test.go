package participation_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

type following struct {
	Following bool `json:"following"`
	MyVote    *int `json:"my_vote"`
}

func followingOf(t *testing.T, c *apptest.Client, path string) following {
	t.Helper()
	r := c.Get(path)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var f following
	r.JSON(t, &f)
	return f
}

func TestFollowing(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		amira := s.Register("follow-amira@example.org", "Amira")
		ben := s.Register("follow-ben@example.org", "Ben")
		var idea struct {
			ID int64 `json:"id"`
		}
		patchWir2(t, s, map[string]any{"moderation": "post"})
		amira.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Sprachcafé", "body": "Ein Café, in dem alle Sprachen willkommen sind."}).JSON(t, &idea)
		ideaPath := "/api/v1/ideas/" + strconv.FormatInt(idea.ID, 10)

		cases := []struct {
			name   string
			c      *apptest.Client
			method string
			path   string
			status int
		}{
			{"anonymous", s.Client(), "PUT", "/api/v1/measures/1/follow", 401},
			{"unknown measure", ben, "PUT", "/api/v1/measures/9999/follow", 404},
			{"id not a number", ben, "PUT", "/api/v1/measures/one/follow", 404},
			{"unknown idea", ben, "PUT", "/api/v1/ideas/9999/follow", 404},
			{"a measure", ben, "PUT", "/api/v1/measures/1/follow", 204},
			{"the same again", ben, "PUT", "/api/v1/measures/1/follow", 204},
			{"an idea", ben, "PUT", ideaPath + "/follow", 204},
		}
		for _, c := range cases {
			if r := c.c.Do(c.method, c.path, nil); r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			}
		}
		if f := followingOf(t, ben, "/api/v1/measures/1"); !f.Following {
			t.Errorf("ben follows measure 1, the measure says %+v", f)
		}
		if f := followingOf(t, ben, ideaPath); !f.Following {
			t.Errorf("ben follows the idea, the idea says %+v", f)
		}
		// Following is each person's own, and not a vote.
		if f := followingOf(t, amira, "/api/v1/measures/1"); f.Following || f.MyVote != nil {
			t.Errorf("amira follows nothing, the measure says %+v", f)
		}
		if f := followingOf(t, s.Client(), "/api/v1/measures/1"); f.Following {
			t.Errorf("an anonymous reader follows nothing, the measure says %+v", f)
		}
		// After the consultation closes, following is how one hears what
		// becomes of a measure.
		patchWir2(t, s, map[string]any{"phase": "closed"})
		if r := amira.Do("PUT", "/api/v1/measures/2/follow", nil); r.Status != 204 {
			t.Errorf("follow in a closed consultation: %d %s", r.Status, r.Body)
		}
		if r := ben.Do("DELETE", "/api/v1/measures/1/follow", nil); r.Status != 204 {
			t.Fatalf("unfollow: %d %s", r.Status, r.Body)
		}
		if f := followingOf(t, ben, "/api/v1/measures/1"); f.Following {
			t.Errorf("ben stopped following, the measure says %+v", f)
		}
		if r := ben.Do("DELETE", "/api/v1/measures/1/follow", nil); r.Status != 204 {
			t.Errorf("unfollow twice: %d %s", r.Status, r.Body)
		}

		// The export lists what one follows; erasure forgets it.
		var export struct {
			Follows []struct {
				TargetKind string `json:"target_kind"`
				TargetID   int64  `json:"target_id"`
			} `json:"follows"`
		}
		ben.Get("/api/v1/me/export").JSON(t, &export)
		if len(export.Follows) != 1 || export.Follows[0].TargetKind != "idea" || export.Follows[0].TargetID != idea.ID {
			t.Errorf("export follows: %+v", export.Follows)
		}
		if r := ben.Do("DELETE", "/api/v1/me", nil); r.Status >= 300 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		var left int
		if err := s.App.Store.QueryRow(t.Context(), "SELECT COUNT(*) FROM follows WHERE user_id = ?", ben.UserID).Scan(&left); err != nil || left != 0 {
			t.Errorf("follows after erasure: %d, %v", left, err)
		}
	})
}

// The follow button sits in the vote box, which pages kept for all
// signed-in readers fill in per reader: each reader sees their own.
func TestFollowWithoutJavaScript(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.RegisterForm("follow-form@example.org", "Formular")
		other := s.Register("follow-other@example.org", "Other")
		for range 2 { // the second read comes from the page cache
			page := b.Get("/m/1").Text()
			if !strings.Contains(page, `name="follow" value="1"`) {
				t.Fatalf("no follow button:\n%s", between(page, `<section id="vote"`, "</section>"))
			}
		}
		page := b.Get("/m/1").Text()
		csrf := between(page, `name="_csrf" value="`, `"`)
		r := b.Do("POST", "/m/1/follow", url.Values{"_csrf": {csrf}, "follow": {"1"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/m/1#follow" {
			t.Fatalf("follow form: %d %s", r.Status, r.Header.Get("Location"))
		}
		page = b.Get("/m/1").Text()
		if !strings.Contains(page, `name="follow" value="0"`) || !strings.Contains(page, "Sie folgen jetzt diesem Beitrag.") {
			t.Fatalf("the page does not show the follow and its message:\n%s", between(page, `<section id="vote"`, "</section>"))
		}
		// The next read, without the message, comes from the page kept
		// for signed-in readers, filled in for this one.
		for range 2 {
			if page := b.Get("/m/1").Text(); !strings.Contains(page, `name="follow" value="0"`) {
				t.Fatalf("the kept page does not show the reader's follow:\n%s", between(page, `<section id="vote"`, "</section>"))
			}
		}
		apptest.CheckPage(t, b.Get("/m/1"), "de")
		if page := other.Get("/m/1").Text(); !strings.Contains(page, `name="follow" value="1"`) {
			t.Errorf("another reader sees the first one's follow:\n%s", between(page, `<section id="vote"`, "</section>"))
		}
		if page := s.Client().Get("/m/1").Text(); strings.Contains(page, `name="follow"`) {
			t.Errorf("an anonymous reader gets a follow form")
		}
		r = b.Do("POST", "/m/1/follow", url.Values{"_csrf": {csrf}, "follow": {"0"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("unfollow form: %d", r.Status)
		}
		if page := b.Get("/m/1").Text(); !strings.Contains(page, `name="follow" value="1"`) {
			t.Errorf("after unfollowing the page still says following")
		}
	})
}
