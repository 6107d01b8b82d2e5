package participation_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// The measure page shows for, against and neutral in one order: the
// vote buttons (each with a symbol, not told apart by colour alone), the
// tally text and its bar; the field page's cards have the bar too.
func TestOneVoteOrderAndTallyBar(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		u := s.Register("order@example.org", "Reihenfolge")
		u.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": -1})
		b := s.RegisterForm("order2@example.org", "Reihenfolge2")
		page := b.Get("/m/1").Text()
		box := between(page, `<section id="vote"`, `</section>`)
		order := func(what string, parts ...string) {
			t.Helper()
			last := -1
			for _, p := range parts {
				i := strings.Index(box, p)
				if i <= last {
					t.Fatalf("%s: %q is not in the order for, against, neutral:\n%s", what, p, box)
				}
				last = i
			}
		}
		order("buttons", `value="1"`, `value="-1"`, `value="0"`)
		order("tally", "data-tally-for", "data-tally-against", "data-tally-neutral")
		order("bar", `data-bar="for"`, `data-bar="against"`, `data-bar="neutral"`)
		if n := strings.Count(box, `class="vote-icon"`); n != 3 {
			t.Fatalf("%d vote buttons have a symbol, want 3", n)
		}
		bar := between(box, `<svg class="tally-bar"`, `</svg>`)
		if !strings.Contains(bar, `aria-hidden="true"`) || !regexp.MustCompile(`data-bar="against" x="0" y="0" width="[1-9][0-9.]*"`).MatchString(bar) {
			t.Fatalf("the tally bar is not hidden from AT or has no part against:\n%s", bar)
		}
		if !strings.Contains(between(box, `class="tally"`, `</p>`), "1 dagegen") {
			t.Fatalf("the numbers are not shown as text beside the bar:\n%s", box)
		}
		if field := b.Get("/f/1").Text(); !strings.Contains(field, `data-tally-bar="measure:1"`) {
			t.Fatal("the field page's measure card has no tally bar")
		}
	})
}
