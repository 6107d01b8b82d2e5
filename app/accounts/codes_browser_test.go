package accounts_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A workshop in a real browser: the administrator prints the cards; a
// person opens the QR code's link, finds the code in the form (it came in
// the fragment, which the script then takes out of the address bar),
// agrees and votes. The pages pass axe-core's WCAG 2.1 AA rules, in German
// and in Arabic.
func TestCodeCardToVoteInTheBrowser(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	var b codeBatch
	s.Admin().Do("POST", "/api/v1/consultations/wir2/codes", map[string]any{"count": 2, "label": "Stadtteiltreff"}).JSON(t, &b)
	axe := browsertest.AxeScript(t)
	browser := browsertest.Start(t, s.URL)
	check := func(tab *browsertest.Tab, what string) {
		t.Helper()
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s: %s", what, v)
		}
	}

	admin := browser.Tab()
	admin.Open("/login")
	admin.Fill(`[name="email"]`, apptest.AdminEmail)
	admin.Fill(`[name="password"]`, apptest.AdminPassword)
	admin.Follow(`form[action="/login"] button[type="submit"]`)
	for _, lang := range []string{"de", "ar"} {
		admin.Open("/admin/consultations/wir2/codes?lang=" + lang)
		check(admin, "the batches in "+lang)
		admin.Open("/admin/consultations/wir2/codes/" + strconv.FormatInt(b.Batch.ID, 10) + "?lang=" + lang)
		check(admin, "the cards in "+lang)
		if !browsertest.Eval[bool](admin, `!document.querySelector("button[data-print]").hidden`) {
			t.Error("the print button stays hidden")
		}
	}

	person := browser.Tab()
	code := strings.ReplaceAll(b.Codes[0], "-", "")
	person.Open("/code?lang=de#" + code)
	if got := person.Value(`[name="code"]`); got != code {
		t.Fatalf("the form holds %q, want the code from the link", got)
	}
	if hash := browsertest.Eval[string](person, "location.hash"); hash != "" {
		t.Errorf("the code stays in the address bar: %q", hash)
	}
	check(person, "/code")
	person.Click(`[name="consent"]`)
	if status := person.Follow(`form[action="/code"] button[type="submit"]`); status != 200 || !strings.HasSuffix(person.Location(), "/c/wir2") {
		t.Fatalf("sign in: %d at %s", status, person.Location())
	}
	person.Open("/m/1")
	if status := person.Follow(`form.vote-form button[value="1"]`); status != 200 {
		t.Fatalf("vote: %d", status)
	}
	var votes int
	if err := s.App.Store.QueryRow(t.Context(), "SELECT COUNT(*) FROM votes v JOIN users u ON u.id = v.user_id WHERE u.code_consultation_id IS NOT NULL").Scan(&votes); err != nil || votes != 1 {
		t.Fatalf("votes of code accounts: %d, %v", votes, err)
	}
	for _, tab := range []*browsertest.Tab{admin, person} {
		for _, e := range tab.ConsoleErrors() {
			t.Errorf("the browser logged %q", e)
		}
	}
}
