package accounts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail/mailtest"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Registering in a real browser, opening the link from the received mail
// and voting: the banner before, the confirmation page, the vote after;
// every page passes axe-core's WCAG 2.1 AA rules.
func TestRegisterConfirmAndVoteInTheBrowser(t *testing.T) {
	t.Parallel()
	smtpd := mailtest.Start(t)
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithSMTP(smtpd.URL()), apptest.WithEmailVerification())
	axe := browsertest.AxeScript(t)
	check := func(tab *browsertest.Tab, what string) {
		t.Helper()
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s: %s", what, v)
		}
	}
	tab := browsertest.Start(t, s.URL).Tab()
	tab.Open("/register")
	tab.Fill(`[name="email"]`, "ines@example.org")
	tab.Fill(`[name="display_name"]`, "Ines")
	tab.Fill(`[name="password"]`, "harbour-violet-kettle")
	tab.Click(`[name="consent"]`)
	if status := tab.Follow(`form[action="/register"] button[type="submit"]`); status != 200 {
		t.Fatalf("register: %d at %s", status, tab.Location())
	}
	banner := func() bool {
		return browsertest.Eval[bool](tab, `document.getElementById("verify-banner") !== null`)
	}
	tab.Open("/m/1")
	if !banner() {
		t.Fatal("no banner before confirming")
	}
	check(tab, "/m/1 with the banner")
	m := smtpd.Wait(t, 1, 10*time.Second)[0]
	link := m.Link("/verify?token=")
	if status := tab.Open(strings.TrimPrefix(link, s.URL)); status != 200 {
		t.Fatalf("the link: %d", status)
	}
	check(tab, "the confirmation page")
	if status := tab.Follow(`form[action="/verify"] button[type="submit"]`); status != 200 {
		t.Fatalf("confirm: %d at %s", status, tab.Location())
	}
	tab.Open("/m/1")
	if banner() {
		t.Fatal("the banner stays after confirming")
	}
	if status := tab.Follow(`form.vote-form button[value="1"]`); status != 200 {
		t.Fatalf("vote: %d", status)
	}
	// The vote counts (read from the database: the page's live script
	// may be redrawing the vote box while a test reads it).
	var votes int
	if err := s.App.Store.QueryRow(t.Context(), "SELECT COUNT(*) FROM votes v JOIN users u ON u.id = v.user_id WHERE u.email = ?", "ines@example.org").Scan(&votes); err != nil || votes != 1 {
		t.Fatalf("votes: %d, %v", votes, err)
	}
	for _, e := range tab.ConsoleErrors() {
		t.Errorf("the browser logged %q", e)
	}
}
