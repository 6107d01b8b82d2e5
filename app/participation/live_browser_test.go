package participation_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A comment another person writes arrives on an open measure page as the
// server renders it: with its time as the page prints times, and with
// reply and report forms that work without a reload.
func TestLiveCommentIsTheServersComment(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	patchWir2(t, s, map[string]any{"moderation": "post"})
	other := s.Register("andere@example.org", "Andere Person")
	s.Register("leserin@example.org", "Leserin")
	tab := browsertest.Start(t, s.URL).Tab()
	tab.Open("/login?lang=en")
	tab.Fill(`[name="email"]`, "leserin@example.org")
	tab.Fill(`[name="password"]`, apptest.Password)
	tab.Follow(`form[action="/login"] button[type="submit"]`)

	arrive := func(body string) string {
		t.Helper()
		waitLive(t, tab)
		id := strconv.FormatInt(mustCommentText(t, other, "/api/v1/measures/1/comments", body), 10)
		tab.WaitText("#comment-"+id, body)
		return "#comment-" + id
	}
	tab.Open("/m/1")
	first := arrive("Live angekommen")
	live := browsertest.Eval[string](tab, `(() => { const li = document.querySelector("`+first+`").cloneNode(true); li.removeAttribute("data-live-new"); return li.outerHTML.replace(/\s+/g, " ") })()`)
	for _, want := range []string{`<details class="report">`, `<details class="reply">`, `name="_csrf"`} {
		if !strings.Contains(live, want) {
			t.Errorf("the live comment lacks %s:\n%s", want, live)
		}
	}
	tab.Open("/m/1")
	rendered := browsertest.Eval[string](tab, `document.querySelector("`+first+`").outerHTML.replace(/\s+/g, " ")`)
	if live != rendered {
		t.Fatalf("the live comment differs from the server's:\nlive:   %s\nserver: %s", live, rendered)
	}

	// Answered without a reload.
	tab.Open("/m/1")
	second := arrive("Bitte antworten")
	tab.Click(second + ` details.reply summary`)
	tab.Fill(second+` details.reply textarea`, "Meine Antwort")
	if status := tab.Follow(second + ` details.reply button[type="submit"]`); status != 200 {
		t.Fatalf("the reply: %d", status)
	}
	tab.WaitText(second+` ol.replies`, "Meine Antwort")

	// Reported without a reload.
	third := arrive("Bitte melden")
	tab.Click(third + ` details.report summary`)
	tab.Click(third + ` details.report input[name="reason"]`)
	if status := tab.Follow(third + ` details.report button[type="submit"]`); status != 200 {
		t.Fatalf("the report: %d", status)
	}
	tab.WaitText("main", "Thank you for your report.")
	if errs := tab.ConsoleErrors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}

// waitLive waits until the page's socket is open.
func waitLive(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	deadline := time.Now().Add(browsertest.StepTimeout)
	for browsertest.Eval[string](tab, "document.documentElement.dataset.liveState || ''") != "live" {
		if time.Now().After(deadline) {
			t.Fatalf("the page never went live: %v", tab.ConsoleErrors())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustCommentText(t *testing.T, c *apptest.Client, path, body string) int64 {
	t.Helper()
	var cr created
	r := c.Do("POST", path, map[string]string{"body": body})
	r.JSON(t, &cr)
	if r.Status != 201 {
		t.Fatalf("comment on %s: %d %s", path, r.Status, r.Body)
	}
	return cr.ID
}

// An idea another person publishes arrives on an open field page as the
// server renders its card: the same list item a reload shows, in the
// reader's language (here Arabic: its date, triage badge and tally).
func TestLiveIdeaIsTheServersCard(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	patchWir2(t, s, map[string]any{"moderation": "post"})
	other := s.Register("andere@example.org", "Andere Person")
	tab := browsertest.Start(t, s.URL).Tab()
	tab.Open("/f/1?lang=ar")
	waitLive(t, tab)
	var idea created
	if r := other.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Live-Idee", "body": "Kam ohne Neuladen."}); r.Status != 201 {
		t.Fatalf("idea: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &idea)
	}
	card := `[data-idea="` + strconv.FormatInt(idea.ID, 10) + `"]`
	tab.WaitText(card, "Live-Idee")
	normalised := `(() => { const li = document.querySelector('` + card + `').cloneNode(true); li.removeAttribute("data-live-new"); return li.outerHTML.replace(/\s+/g, " ") })()`
	live := browsertest.Eval[string](tab, normalised)
	tab.Open("/f/1?lang=ar")
	if rendered := browsertest.Eval[string](tab, normalised); live != rendered {
		t.Fatalf("the live card differs from the server's:\nlive:   %s\nserver: %s", live, rendered)
	}
	if errs := tab.ConsoleErrors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}
