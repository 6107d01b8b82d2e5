package participation_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// After a vote, a comment, a reply or a report the confirmation is shown
// where the person acted, not at the top of a long page: the redirect's
// fragment names the place and the message is rendered there, as a
// status that the script can focus.
func TestConfirmationWhereActed(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.RegisterForm("here@example.org", "Hier")
		csrf := between(b.Get("/m/1").Text(), `name="_csrf" value="`, `"`)
		post := func(path string, v url.Values) string {
			t.Helper()
			v.Set("_csrf", csrf)
			r := b.Do("POST", path, v)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
			}
			return r.Header.Get("Location")
		}
		// at reads the page the redirect leads to and answers the element
		// the fragment names, up to its end.
		at := func(loc, end, message string) {
			t.Helper()
			path, place, _ := strings.Cut(loc, "#")
			page := b.Get(path).Text()
			flash := `<div class="flash flash-ok" role="status" tabindex="-1" data-flash-here>` + message + `</div>`
			if n := strings.Count(page, message); n != 1 {
				t.Fatalf("%s: the message %q is shown %d times", loc, message, n)
			}
			if !strings.Contains(between(page, `id="`+place+`"`, end), flash) {
				t.Fatalf("%s: the message is not shown at #%s:\n%s", loc, place, between(page, `<main`, `<h1`))
			}
		}
		loc := post("/m/1/vote", url.Values{"value": {"1"}})
		if loc != "/m/1#vote" {
			t.Fatalf("vote: %s", loc)
		}
		at(loc, "</section>", "Ihre Stimme ist gezählt.")

		loc = post("/m/1/comments", url.Values{"body": {"Wartet"}, "stance": {"pro"}})
		at(loc, "</section>", "Danke! Ihr Kommentar wird geprüft und dann veröffentlicht.")

		patchWir2(t, s, map[string]any{"moderation": "post"})
		loc = post("/m/1/comments", url.Values{"body": {"Öffentlich"}, "stance": {"pro"}})
		at(loc, "</li>", "Danke! Ihr Kommentar ist veröffentlicht.")
		parent := strings.TrimPrefix(loc, "/m/1#comment-")
		loc = post("/m/1/comments", url.Values{"body": {"Antwort"}, "stance": {"neutral"}, "parent_id": {parent}})
		if loc == "/m/1#comment-"+parent || !strings.HasPrefix(loc, "/m/1#comment-") {
			t.Fatalf("reply: %s", loc)
		}
		at(loc, "</li>", "Danke! Ihr Kommentar ist veröffentlicht.")

		other := mustComment(t, s.Register("other@example.org", "Andere"), "/api/v1/measures/1/comments")
		page := b.Get("/m/1").Text()
		back := between(between(page, `name="id" value="`+fmt.Sprint(other)+`"`, `</form>`), `name="back" value="`, `"`)
		if back != "/m/1#comment-"+fmt.Sprint(other) {
			t.Fatalf("report form's way back: %q", back)
		}
		loc = post("/reports", url.Values{"target": {"comment"}, "id": {fmt.Sprint(other)}, "reason": {"spam"}, "back": {back}})
		at(loc, "</li>", "Danke für Ihre Meldung. Die Moderation sieht sie sich an.")

		// A place that is not a plain id falls back to the top of the page.
		loc = post("/reports", url.Values{"target": {"comment"}, "id": {fmt.Sprint(other)}, "reason": {"spam"}, "back": {`/m/1#"><x`}})
		if page := b.Get(strings.Split(loc, "#")[0]).Text(); !strings.Contains(page, `<div class="flash flash-`) || strings.Contains(page, "<x") {
			t.Fatal("the message for an odd fragment is not at the top")
		}
	})
}
