package live_test

import (
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A measure page in Chromium shows another session's vote and comment
// without a reload, and tells the screen reader.
func TestBrowserSeesTallyChange(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	postModeration(t, s)
	tab := browsertest.Start(t, s.URL).Tab()
	if status := tab.Open("/m/1?lang=en"); status != 200 {
		t.Fatalf("/m/1: %d", status)
	}
	deadline := time.Now().Add(browsertest.StepTimeout)
	for browsertest.Eval[string](tab, "document.documentElement.dataset.liveState || ''") != "live" {
		if time.Now().After(deadline) {
			t.Fatalf("the page never went live: %v", tab.ConsoleErrors())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := tab.Text("#vote [data-tally-for]"); got != "0 for" {
		t.Fatalf("tally before the vote: %q", got)
	}

	other := s.Register("other@example.org", "Other Session")
	vote(t, other, 1, 1)
	tab.WaitText("#vote [data-tally-for]", "1 for")
	tab.WaitText("#vote [data-tally-approval]", "100 % approval")
	tab.WaitText("#live-announcer", "Votes updated: 1 for")

	comment(t, other, 1, "Live auf der Seite angekommen")
	tab.WaitText("[data-live-comments]", "Live auf der Seite angekommen")
	tab.WaitText("#comments-heading", "1 comment")
	tab.WaitText("#live-announcer", "A new comment was published.")
	if errs := tab.ConsoleErrors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}
