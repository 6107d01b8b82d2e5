package participation_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// A report form asks for a reason rather than suggesting one; sent
// without, it comes back open with the error on its reason.
func TestReportFormAsksForAReason(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		id := mustComment(t, s.Register("author@example.org", "Autorin"), "/api/v1/measures/1/comments")
		s.Register("melder@example.org", "Melder")
		b := s.Browser("melder@example.org", apptest.Password)
		page := b.Get("/m/1")
		if !strings.Contains(page.Text(), `name="reason" value="discrimination"`) || strings.Contains(page.Text(), `value="discrimination" required checked`) {
			t.Fatalf("the report form preselects a reason or has none:\n%s", page.Text())
		}
		sid := strconv.FormatInt(id, 10)
		r := b.Do("POST", "/reports", url.Values{"_csrf": {apptest.FormCSRF(t, page)}, "target": {"comment"}, "id": {sid}, "back": {"/m/1#comment-" + sid}, "note": {"Bitte prüfen"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a report without a reason: %d, want 422", r.Status)
		}
		text := r.Text()
		for _, want := range []string{`href="#field-report-comment-` + sid + `-reason"`, `id="field-report-comment-` + sid + `-reason-error"`, `Bitte wählen Sie einen Grund.`, `>Bitte prüfen</textarea>`} {
			if !strings.Contains(text, want) {
				t.Errorf("the page again lacks %s", want)
			}
		}
		apptest.CheckPage(t, r, "de")
	})
}

// The last breadcrumb is the page itself, not a link to it.
func TestLastBreadcrumbIsNotALink(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		for _, path := range []string{"/c/wir2", "/c/wir2/progress", "/f/1", "/m/1"} {
			text := s.Client().Get(path).Text()
			_, crumbs, _ := strings.Cut(text, `class="breadcrumb"`)
			crumbs, _, _ = strings.Cut(crumbs, `</nav>`)
			if !strings.Contains(crumbs, `<li><span aria-current="page"`) || strings.Contains(crumbs, `<a href="`+path+`"`) {
				t.Errorf("%s: the last breadcrumb is a link:\n%s", path, crumbs)
			}
		}
	})
}

// An erased author is named with a phrase of its own after "by", not the
// bare "deleted account" ("Von gelöschtes Konto").
func TestErasedAuthorPhrase(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		u := s.Register("weg@example.org", "Weg")
		var idea struct{ ID int64 }
		u.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Mehr Bänke", "body": "Zum Ausruhen."}).JSON(t, &idea)
		if r := u.Do("DELETE", "/api/v1/me", nil); r.Status != 204 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		path := "/i/" + strconv.FormatInt(idea.ID, 10)
		for lang, want := range map[string]string{"de": "Von einem gelöschten Konto", "en": "By a deleted account"} {
			text := s.Client().Get(path + "?lang=" + lang).Text()
			if !strings.Contains(text, `<span class="author deleted">`+want+`</span>`) || strings.Contains(text, "Von gelöschtes") {
				t.Errorf("%s: the erased author is not named %q", lang, want)
			}
		}
	})
}

// The header offers the six languages behind one disclosure, each link in
// its own language, the current one marked.
func TestHeaderLanguageMenu(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		text := s.Client().Get("/m/1?lang=en").Text()
		_, menu, ok := strings.Cut(text, `<details class="lang-menu">`)
		menu, _, _ = strings.Cut(menu, `</details>`)
		if !ok || !strings.Contains(menu, `<summary>Language: <span lang="en">English</span></summary>`) {
			t.Fatalf("no language menu in the header:\n%s", menu)
		}
		for _, code := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
			if !strings.Contains(menu, `lang="`+code+`" hreflang="`+code+`"`) {
				t.Errorf("the menu lacks %s", code)
			}
		}
		if strings.Count(menu, `hreflang="`) != 6 || strings.Count(menu, `aria-current="true"`) != 1 ||
			!strings.Contains(menu, `hreflang="en" dir="ltr" aria-current="true">English<`) {
			t.Errorf("six languages with the current one marked:\n%s", menu)
		}
	})
}

// /me lists one's votes with what they are about, says which measure each
// comment belongs to, and has signing out in a section of its own.
func TestMyVotesAndCommentsSayWhatTheyAreAbout(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		s.Register("ich@example.org", "Ich")
		b := s.Browser("ich@example.org", apptest.Password)
		empty := b.Get("/me").Text()
		if !strings.Contains(empty, `id="votes-heading"`) || !strings.Contains(empty, "Sie haben noch nicht abgestimmt.") {
			t.Fatal("/me does not say there are no votes yet")
		}
		if r := b.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": -1}); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		mustComment(t, b, "/api/v1/measures/1/comments")
		var m struct{ Title string }
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		text := b.Get("/me").Text()
		_, votes, _ := strings.Cut(text, `id="votes-heading"`)
		votes, _, _ = strings.Cut(votes, `</section>`)
		if !strings.Contains(votes, `<a href="/m/1">`+html.EscapeString(m.Title)+`</a>:`) || !strings.Contains(votes, `<strong>Dagegen</strong>`) {
			t.Errorf("the vote is not listed with its measure:\n%s", votes)
		}
		_, mine, _ := strings.Cut(text, `id="contributions-heading"`)
		mine, _, _ = strings.Cut(mine, `</section>`)
		if !strings.Contains(mine, `Zu: <a href="/m/1">`+html.EscapeString(m.Title)+`</a>`) {
			t.Errorf("the comment does not name its measure:\n%s", mine)
		}
		_, out, _ := strings.Cut(text, `id="sign-out-heading"`)
		if out, _, _ = strings.Cut(out, `</section>`); !strings.Contains(out, `action="/logout"`) || strings.Contains(out, "password") {
			t.Errorf("signing out is not a section of its own:\n%s", out)
		}
		apptest.CheckPage(t, b.Get("/me"), "de")
	})
}

// The data download has a readable page with titles rather than ids, and
// the JSON export names what votes and comments are about.
func TestReadableExport(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		s.Register("daten@example.org", "Daten")
		b := s.Browser("daten@example.org", apptest.Password)
		if r := b.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != 200 {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		mustComment(t, b, "/api/v1/measures/1/comments")
		var m struct{ Title string }
		s.Client().Get("/api/v1/measures/1").JSON(t, &m)
		if !strings.Contains(b.Get("/me").Text(), `href="/me/export?format=html"`) {
			t.Error("/me does not link the readable page")
		}
		r := b.Get("/me/export?format=html")
		if r.Status != http.StatusOK {
			t.Fatalf("readable export: %d", r.Status)
		}
		text := r.Text()
		link := `<a href="/m/1" dir="auto">` + html.EscapeString(m.Title) + `</a>`
		_, votes, _ := strings.Cut(text, `id="votes-heading"`)
		if !strings.Contains(votes, link+`: <strong>Dafür</strong>`) {
			t.Errorf("the readable page does not name the measure voted on:\n%s", votes)
		}
		_, comments, _ := strings.Cut(text, `id="comments-heading"`)
		if !strings.Contains(comments, "Zu: "+link) || !strings.Contains(comments, "Anderswo") {
			t.Errorf("the readable page does not name the comment's measure:\n%s", comments)
		}
		apptest.CheckPage(t, r, "de")
		var e struct {
			Votes []struct {
				Title string `json:"target_title"`
			}
		}
		b.Get("/api/v1/me/export").JSON(t, &e)
		if len(e.Votes) != 1 || e.Votes[0].Title != m.Title {
			t.Errorf("the JSON export's vote lacks its title: %+v", e.Votes)
		}
		if r := s.Client().Get("/me/export?format=html"); r.Status == http.StatusOK {
			t.Error("the readable export is shown without signing in")
		}
	})
}

// The consultation page explains its jargon where it first appears, and an
// empty discussion invites the first comment instead of counting zero.
func TestJargonHintsAndEmptyDiscussion(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		page := s.Client().Get("/c/wir2").Text()
		_, fields, _ := strings.Cut(page, `<h2 id="fields-heading">Handlungsfelder</h2>`)
		if !strings.HasPrefix(strings.TrimSpace(fields), `<p class="hint">Handlungsfelder sind`) {
			t.Errorf("no hint under the fields heading:\n%.300s", fields)
		}
		if !strings.Contains(page, `<p class="hint">Priorisierungen legen fest`) {
			t.Error("no hint on the priorities")
		}
		s.Register("erst@example.org", "Erst")
		b := s.Browser("erst@example.org", apptest.Password)
		var empty string
		for _, path := range []string{"/m/1", "/m/2", "/m/3"} {
			if text := b.Get(path).Text(); strings.Contains(text, `data-comment-count="0"`) {
				empty = text
				break
			}
		}
		if empty == "" {
			t.Fatal("no measure without comments")
		}
		if !strings.Contains(empty, `<h2 id="comments-heading" data-comment-count="0">Kommentare</h2>`) ||
			!strings.Contains(empty, `<a href="#field-body">Noch keine Kommentare – schreiben Sie den ersten!</a>`) ||
			!strings.Contains(empty, `id="field-body"`) {
			t.Error("an empty discussion does not invite the first comment")
		}
	})
}

// The error summary of a form with several errors follows the fields.
func TestErrorSummaryInFormOrder(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		r := c.Do("POST", "/register", url.Values{"_csrf": {apptest.FormCSRF(t, c.Get("/register"))}, "email": {"kein-at"}, "display_name": {"Neu"}, "password": {"kurz"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("registration with two mistakes: %d", r.Status)
		}
		_, summary, _ := strings.Cut(r.Text(), `class="error-summary"`)
		summary, _, _ = strings.Cut(summary, `</div>`)
		email, password, consent := strings.Index(summary, `#field-email"`), strings.Index(summary, `#field-password"`), strings.Index(summary, `#field-consent"`)
		if email < 0 || password < email || consent < password {
			t.Errorf("the summary is not in the order of the form:\n%s", summary)
		}
	})
}
