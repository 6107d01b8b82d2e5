package participation_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// Readers who are not signed in get /m/{id} from the page cache; every
// change the page shows reaches them on their next request to the
// instance where it was made, whoever made it.
func TestPageCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		pc := s.App.Pages.Cache
		hits := func() int64 { h, _ := pc.Stats(); return h }
		anon := s.Client()
		page := func(path string) string {
			t.Helper()
			r := anon.Get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.Status)
			}
			return r.Text()
		}
		admin := s.Admin()
		patchWir2(t, s, map[string]any{"moderation": "post"})

		settle(t, s)
		first := anon.Get("/m/1")
		before := hits()
		second := anon.Get("/m/1")
		if hits() != before+1 {
			t.Fatal("the second anonymous /m/1 did not come from the cache")
		}
		if second.Text() != first.Text() {
			t.Fatal("the cached page differs from the rendered one")
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"} {
			if first.Header.Get(h) == "" || first.Header.Get(h) != second.Header.Get(h) {
				t.Errorf("header %s: rendered %q, cached %q", h, first.Header.Get(h), second.Header.Get(h))
			}
		}
		// Without Accept-Encoding the same page comes uncompressed.
		plain := s.Client()
		plain.Headers["Accept-Encoding"] = "identity"
		if r := plain.Get("/m/1"); r.Header.Get("Content-Encoding") != "" || r.Text() != first.Text() {
			t.Fatalf("identity: encoding %q, same page %v", r.Header.Get("Content-Encoding"), r.Text() == first.Text())
		}

		// Signed-in readers get a page of their own, with the vote form
		// (TestSignedInPagesMatchRenderedOnes checks it whole).
		author := s.Register("autorin@example.org", "Autorin Cache")
		if r := author.Get("/m/1"); !strings.Contains(r.Text(), `action="/m/1/vote"`) || r.Text() == first.Text() {
			t.Fatalf("signed-in /m/1 is the anonymous page or lacks the vote form")
		}
		// Parameters other than lang and cursor, and paths that are not
		// canonical, bypass the cache.
		for _, path := range []string{"/m/1?utm=x", "/m/01"} {
			before = hits()
			anon.Get(path)
			anon.Get(path)
			if hits() != before {
				t.Errorf("%s was served from the cache", path)
			}
		}
		english := s.Client()
		english.Get("/m/1?lang=en")
		before = hits()
		if r := english.Get("/m/1?lang=en"); !strings.Contains(r.Text(), `lang="en"`) || hits() != before+1 {
			t.Errorf("/m/1?lang=en is not cached in English")
		}

		// The measure's JSON is kept the same way, with its content type.
		commentCount := func() int64 {
			t.Helper()
			r := anon.Get("/api/v1/measures/1")
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("/api/v1/measures/1: %d %s", r.Status, r.Header.Get("Content-Type"))
			}
			var m struct {
				CommentCount int64 `json:"comment_count"`
			}
			r.JSON(t, &m)
			return m.CommentCount
		}
		countBefore := commentCount()
		before = hits()
		if commentCount() != countBefore || hits() != before+1 {
			t.Fatal("the measure's JSON did not come from the cache")
		}
		// And so is its list of comments.
		comments := func() string {
			t.Helper()
			r := anon.Get("/api/v1/measures/1/comments")
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("/api/v1/measures/1/comments: %d %s", r.Status, r.Header.Get("Content-Type"))
			}
			return r.Text()
		}
		listed := comments()
		before = hits()
		if comments() != listed || hits() != before+1 {
			t.Fatal("the measure's comments did not come from the cache")
		}

		// A new comment, then its removal by a moderator.
		id := postComment(t, author, "Ein Kommentar für den Seitencache.")
		if !strings.Contains(page("/m/1"), "Ein Kommentar für den Seitencache.") {
			t.Fatal("the new comment is missing from the anonymous page")
		}
		if n := commentCount(); n != countBefore+1 {
			t.Fatalf("the measure's JSON counts %d comments, want %d", n, countBefore+1)
		}
		if !strings.Contains(comments(), "Ein Kommentar für den Seitencache.") {
			t.Fatal("the new comment is missing from the anonymous list")
		}
		if r := admin.Do("POST", "/api/v1/moderation/comment/"+strconv.FormatInt(id, 10)+"/decision",
			map[string]any{"action": "hide", "reason": "spam", "statement": "Werbung."}); r.Status != 200 {
			t.Fatalf("hide: %d %s", r.Status, r.Body)
		}
		if strings.Contains(page("/m/1"), "Ein Kommentar für den Seitencache.") {
			t.Fatal("the hidden comment is still on the anonymous page")
		}
		if strings.Contains(comments(), "Ein Kommentar für den Seitencache.") {
			t.Fatal("the hidden comment is still in the anonymous list")
		}

		// The consultation's page: a new field and a renamed expert group
		// show at once.
		settle(t, s)
		page("/c/wir2")
		before = hits()
		if page("/c/wir2"); hits() != before+1 {
			t.Fatal("/c/wir2 did not come from the cache")
		}
		if r := admin.Do("POST", "/api/v1/consultations/wir2/fields", map[string]any{"slug": "cache-feld", "title": map[string]string{"de": "Ein Feld für den Cache"}}); r.Status != http.StatusCreated {
			t.Fatalf("new field: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(page("/c/wir2"), "Ein Feld für den Cache") {
			t.Fatal("the new field is missing from the cached consultation page")
		}
		if r := admin.Do("PATCH", "/api/v1/expert-groups/1", map[string]any{"name": map[string]string{"de": "Umbenannte Gruppe"}}); r.Status != http.StatusOK {
			t.Fatalf("rename group: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(page("/c/wir2"), "Umbenannte Gruppe") {
			t.Fatal("the renamed expert group is missing from the cached consultation page")
		}

		// A consultation renamed: every page shows its title.
		page("/m/1")
		patchWir2(t, s, map[string]any{"title": map[string]string{"de": "Neuer Titel für den Cache"}})
		if !strings.Contains(page("/m/1"), "Neuer Titel für den Cache") {
			t.Fatal("the renamed consultation shows its old title")
		}

		// An erased account: its comment stays, by a deleted account.
		postComment(t, author, "Bleibt nach dem Löschen.")
		if !strings.Contains(page("/m/1"), "Autorin Cache") {
			t.Fatal("the author's name is missing")
		}
		if r := author.Do("DELETE", "/api/v1/me", nil); r.Status != http.StatusNoContent && r.Status != http.StatusOK {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if text := page("/m/1"); strings.Contains(text, "Autorin Cache") || !strings.Contains(text, "gelöschtes Konto") {
			t.Fatal("the erased author's name is still on the anonymous page")
		}
		if strings.Contains(comments(), "Autorin Cache") {
			t.Fatal("the erased author's name is still in the anonymous list")
		}
	})
}

// settle waits until the live hub has read every event written so far:
// it counts this instance's own events once more when it reads them,
// which would make a page rendered in between stale.
func settle(t *testing.T, s *apptest.Server) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		unnumbered := count(t, s, "SELECT COUNT(*) FROM events WHERE seq IS NULL")
		latest := count(t, s, "SELECT COALESCE(MAX(seq), 0) FROM events")
		if unnumbered == 0 && s.App.Live.Stats().Last >= int64(latest) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub is at %d, the outbox at %d (%d unnumbered)", s.App.Live.Stats().Last, latest, unnumbered)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func postComment(t *testing.T, c *apptest.Client, body string) int64 {
	t.Helper()
	r := c.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": body})
	if r.Status != http.StatusCreated {
		t.Fatalf("comment: %d %s", r.Status, r.Body)
	}
	var out struct{ ID int64 }
	r.JSON(t, &out)
	return out.ID
}

// A consultation turned back into a draft hides its measures from the
// next vote and their comments from the next reader at once (404, as for
// any measure one may not see), and they come back when it opens again.
// (A cache of measures for votes, kept by the outbox like the page cache,
// was tried and measured no faster.)
func TestVotesSeeConsultationChangesAtOnce(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		voter := s.Register("cache-voter@example.org", "Cache Voter")
		vote := func() int {
			return voter.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}).Status
		}
		if status := vote(); status != http.StatusOK {
			t.Fatalf("vote: %d", status)
		}
		comments := func(c *apptest.Client) int { return c.Get("/api/v1/measures/1/comments").Status }
		anon, admin := s.Client(), s.Admin()
		if got := comments(anon); got != http.StatusOK { // and kept
			t.Fatalf("comments: %d", got)
		}
		patchWir2(t, s, map[string]any{"phase": "draft"})
		if status := vote(); status != http.StatusNotFound {
			t.Fatalf("vote in a draft consultation: %d, want 404", status)
		}
		// The comments of a draft's measure: admins read them, rendered
		// for them; nobody else does, also after an admin has read them.
		for i, want := range []struct {
			c      *apptest.Client
			status int
		}{{anon, http.StatusNotFound}, {admin, http.StatusOK}, {admin, http.StatusOK}, {anon, http.StatusNotFound}, {voter, http.StatusNotFound}} {
			if got := comments(want.c); got != want.status {
				t.Fatalf("comments of a draft's measure, request %d: %d, want %d", i+1, got, want.status)
			}
		}
		patchWir2(t, s, map[string]any{"phase": "open"})
		if status := vote(); status != http.StatusOK {
			t.Fatalf("vote after reopening: %d", status)
		}
		if got := comments(anon); got != http.StatusOK {
			t.Fatalf("comments after reopening: %d", got)
		}
	})
}

// Signed-in readers get /m/{id} from a page kept per kind of reader and
// filled in for them; it must be byte for byte the page rendered for
// them: their vote, edit and withdraw under their own comments, the
// report form under the others', their menu and their CSRF token.
func TestSignedInPagesMatchRenderedOnes(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		author := s.Register("autor@example.org", "Autor Personal")
		mine := postComment(t, author, "Mein eigener Kommentar.")
		other := s.Register("andere@example.org", "Andere Person")
		if r := other.Do("POST", "/api/v1/measures/1/comments", map[string]any{"body": "Eine Antwort darauf.", "parent_id": mine}); r.Status != http.StatusCreated {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		moderator := s.AccountAs("moderatorin@example.org", "Moderatorin", "moderator")
		expert := s.AccountAs("experte@example.org", "Experte", "expert")
		admin := s.Admin()
		if r := admin.Do("PUT", "/api/v1/expert-groups/1/members/"+strconv.FormatInt(expert.UserID, 10), nil); r.Status >= 300 {
			t.Fatalf("add expert: %d %s", r.Status, r.Body)
		}
		expert = s.Login("experte@example.org", "a-good-password") // a new session sees the group
		browser := s.Browser("autor@example.org", "a-good-password")
		vote := func(c *apptest.Client, value int) {
			t.Helper()
			if r := c.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": value}); r.Status != http.StatusOK {
				t.Fatalf("vote: %d %s", r.Status, r.Body)
			}
		}
		vote(author, 1)
		vote(moderator, -1)
		vote(admin, 0)
		settle(t, s)

		pc := s.App.Pages.Cache
		hits := func() int64 { h, _ := pc.Stats(); return h }
		readers := []struct {
			name string
			c    *apptest.Client
		}{{"author", author}, {"other", other}, {"author in a browser", browser}, {"moderator", moderator}, {"expert", expert}, {"admin", admin}}
		compare := func(path string) {
			t.Helper()
			before := hits()
			for _, r := range readers {
				first, second := r.c.Get(path), r.c.Get(path)
				pc.SetEnabled(false)
				rendered := r.c.Get(path)
				pc.SetEnabled(true)
				if rendered.Status != http.StatusOK {
					t.Fatalf("%s %s: %d", r.name, path, rendered.Status)
				}
				for i, got := range []*apptest.Response{first, second} {
					if got.Status != rendered.Status || got.Text() != rendered.Text() {
						a, b := got.Text(), rendered.Text()
						at := 0
						for at < len(a) && at < len(b) && a[at] == b[at] {
							at++
						}
						t.Fatalf("%s %s, request %d: the kept page differs from the rendered one at byte %d:\nkept:     %q\nrendered: %q",
							r.name, path, i+1, at, excerptAt(a, at), excerptAt(b, at))
					}
					if cc := got.Header.Get("Cache-Control"); cc != "no-store" {
						t.Errorf("%s: Cache-Control %q", r.name, cc)
					}
				}
			}
			if hits() < before+int64(len(readers)) {
				t.Fatalf("%s: %d cache hits for %d signed-in readers", path, hits()-before, len(readers))
			}
		}
		// The measure's comments are one list for every reader, kept once.
		for _, path := range []string{"/m/1", "/m/1?lang=en", "/m/1?lang=ar", "/api/v1/measures/1/comments", "/api/v1/measures/1/comments?lang=ar"} {
			compare(path)
		}

		page := author.Get("/m/1").Text()
		edit := `href="/comments/` + strconv.FormatInt(mine, 10) + `/edit"`
		if !strings.Contains(page, edit) || !strings.Contains(page, `value="1" aria-pressed="true"`) {
			t.Fatal("the author's page lacks the edit link for their comment or their vote")
		}
		if page = other.Get("/m/1").Text(); strings.Contains(page, edit) || strings.Contains(page, `aria-pressed="true"`) {
			t.Fatal("another reader's page shows the author's edit link or a vote")
		}

		// A changed vote and a new comment show at once.
		vote(author, -1)
		postComment(t, other, "Noch ein Kommentar.")
		compare("/m/1")
		if !strings.Contains(author.Get("/m/1").Text(), `value="-1" aria-pressed="true"`) {
			t.Fatal("the author's changed vote is not on their page")
		}
	})
}

func excerptAt(s string, at int) string {
	from, to := max(at-80, 0), min(at+80, len(s))
	return s[from:to]
}

// An idea's comments come from the page cache for every reader, and
// follow its changes: a new comment, a hidden one, the idea hidden (then
// only its author and moderators read them, rendered for them) and
// restored.
func TestIdeaCommentsFollowChanges(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		patchWir2(t, s, map[string]any{"moderation": "post"})
		author := s.Register("ideengeberin@example.org", "Ideengeberin")
		var idea struct{ ID int64 }
		if r := author.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Nachbarschaftscafé", "body": "Ein Ort für alle."}); r.Status != 201 {
			t.Fatalf("idea: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &idea)
		}
		path := "/api/v1/ideas/" + strconv.FormatInt(idea.ID, 10) + "/comments"
		comment := func(body string) int64 {
			t.Helper()
			r := author.Do("POST", path, map[string]any{"body": body})
			if r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			var out struct{ ID int64 }
			r.JSON(t, &out)
			return out.ID
		}
		decide := func(kind string, id int64, action string) {
			t.Helper()
			if r := s.Admin().Do("POST", "/api/v1/moderation/"+kind+"/"+strconv.FormatInt(id, 10)+"/decision",
				map[string]any{"action": action, "reason": "spam", "statement": "Geprüft."}); r.Status != 200 {
				t.Fatalf("%s %s: %d %s", action, kind, r.Status, r.Body)
			}
		}
		first := comment("Der erste Kommentar zur Idee.")
		pc := s.App.Pages.Cache
		hits := func() int64 { h, _ := pc.Stats(); return h }
		anon, other := s.Client(), s.Register("nachbar@example.org", "Nachbar")
		read := func(c *apptest.Client, want int) string {
			t.Helper()
			r := c.Get(path)
			if r.Status != want {
				t.Fatalf("%s: %d, want %d", path, r.Status, want)
			}
			return r.Text()
		}
		settle(t, s)
		list := read(anon, http.StatusOK)
		before := hits()
		if read(anon, http.StatusOK) != list || read(other, http.StatusOK) != list || hits() != before+2 {
			t.Fatalf("the idea's comments did not come from the cache for both readers (%d hits)", hits()-before)
		}
		pc.SetEnabled(false)
		rendered := read(other, http.StatusOK)
		pc.SetEnabled(true)
		if rendered != list {
			t.Fatal("the kept list differs from the one rendered for a signed-in reader")
		}

		comment("Ein zweiter Kommentar.")
		if !strings.Contains(read(other, http.StatusOK), "Ein zweiter Kommentar.") {
			t.Fatal("the new comment is missing from the kept list")
		}
		decide("comment", first, "hide")
		if strings.Contains(read(anon, http.StatusOK), "Der erste Kommentar zur Idee.") {
			t.Fatal("the hidden comment is still in the kept list")
		}

		decide("idea", idea.ID, "hide")
		read(anon, http.StatusNotFound)
		read(other, http.StatusNotFound)
		if !strings.Contains(read(author, http.StatusOK), "Ein zweiter Kommentar.") {
			t.Fatal("the author of the hidden idea does not read its comments")
		}
		read(anon, http.StatusNotFound)
		decide("idea", idea.ID, "restore")
		if !strings.Contains(read(anon, http.StatusOK), "Ein zweiter Kommentar.") {
			t.Fatal("the restored idea's comments are missing")
		}
	})
}
