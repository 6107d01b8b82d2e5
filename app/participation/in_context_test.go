package participation_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// "See in context" in the moderation queue opens the measure page at a
// comment that is not public: moderators see it there, marked with its
// state; the public and other residents do not, its author sees their own.
func TestModeratorSeesCommentInContext(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "pre"})
		author := s.Register("wartend@example.org", "Wartend")
		id := mustComment(t, author, "/api/v1/measures/1/comments")
		sid := strconv.FormatInt(id, 10)
		moderator := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		resident := s.Register("nachbar@example.org", "Nachbar")

		queue := moderator.Get("/moderation").Text()
		link := "/m/1?comment=" + sid + "#comment-" + sid
		if !strings.Contains(queue, `href="`+link+`"`) {
			t.Fatalf("the queue does not link to %s", link)
		}
		path, _, _ := strings.Cut(link, "#")
		seen := func(c *apptest.Client, who string, want bool, marks ...string) {
			t.Helper()
			text := c.Get(path).Text()
			if got := strings.Contains(text, `<li id="comment-`+sid+`">`); got != want {
				t.Fatalf("%s sees the comment in context: %v, want %v", who, got, want)
			}
			for _, m := range marks {
				if !strings.Contains(text, m) {
					t.Errorf("%s: the comment is not marked %q", who, m)
				}
			}
		}
		seen(moderator, "a moderator", true, `<strong class="badge">Wird geprüft</strong> Nur Moderierende sehen diesen Kommentar hier`)
		seen(s.Client(), "the public", false)
		seen(resident, "another resident", false)
		seen(author, "its author", true, "Nur Sie sehen ihn")

		for _, action := range []string{"approve", "hide"} {
			version := map[string]int{"approve": 1, "hide": 2}[action]
			if r := moderator.Do("POST", "/api/v1/moderation/comment/"+sid+"/decision", map[string]any{"action": action, "version": version, "reason": "spam", "statement": "Werbung."}); r.Status >= 300 {
				t.Fatalf("%s: %d %s", action, r.Status, r.Body)
			}
		}
		seen(moderator, "a moderator, hidden", true, `<strong class="badge">Ausgeblendet</strong>`)
		seen(s.Client(), "the public, hidden", false)
		seen(author, "its author, hidden", false)
	})
}
