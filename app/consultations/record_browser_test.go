package consultations_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// In a real browser an expert of the field's group records a status change
// with the statement why; a resident reads it on the measure's page and on
// the consultation's progress page. The pages pass axe-core's WCAG 2.1 AA
// rules in German and in Arabic.
func TestMeasureRecordInTheBrowser(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: "bildung@example.org", Password: "expert-password", DisplayName: "Expertin", Role: access.Expert, Groups: []int64{1},
	}); err != nil {
		t.Fatal(err)
	}
	axe := browsertest.AxeScript(t)
	browser := browsertest.Start(t, s.URL)
	check := func(tab *browsertest.Tab, what string) {
		t.Helper()
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s: %s", what, v)
		}
	}

	expert := browser.Tab()
	expert.Open("/login")
	expert.Fill(`[name="email"]`, "bildung@example.org")
	expert.Fill(`[name="password"]`, "expert-password")
	expert.Follow(`form[action="/login"] button[type="submit"]`)
	for _, lang := range []string{"ar", "de"} {
		expert.Open("/measures/1/edit?lang=" + lang)
		check(expert, "the edit page in "+lang)
	}
	expert.Choose(`[name="status"]`, "in_discussion")
	expert.Fill(`[name="statement_de"]`, "Der Schulausschuss berät die Maßnahme im Mai.")
	if status := expert.Follow(`form[action="/measures/1/edit"] button[type="submit"]`); status != 200 || !strings.HasSuffix(expert.Location(), "/m/1") {
		t.Fatalf("save: %d at %s", status, expert.Location())
	}
	expert.Open("/measures/1/edit")
	expert.Fill(`[name="milestones_0_title_de"]`, "Beratung im Schulausschuss")
	// A date input is typed in the browser's own order (31.05.2027 in
	// German); its value is the date as the picker gives it.
	browsertest.Eval[string](expert, `document.querySelector('[name="milestones_0_due_on"]').value = "2027-05-31"`)
	if status := expert.Follow(`form[action="/measures/1/milestones"] button[type="submit"]`); status != 200 {
		t.Fatalf("milestones: %d", status)
	}

	resident := browser.Tab()
	for _, lang := range []string{"de", "ar"} {
		resident.Open("/m/1?lang=" + lang)
		record := resident.Text(".record")
		if !strings.Contains(record, "Der Schulausschuss berät die Maßnahme im Mai.") || !strings.Contains(record, "Beratung im Schulausschuss") {
			t.Errorf("the measure's record in %s: %q", lang, record)
		}
		check(resident, "the measure page in "+lang)
		resident.Open("/c/wir2/progress?lang=" + lang)
		if progress := resident.Text("main"); !strings.Contains(progress, "Der Schulausschuss berät die Maßnahme im Mai.") {
			t.Errorf("the progress page in %s lacks the statement", lang)
		}
	}
	for _, tab := range []*browsertest.Tab{expert, resident} {
		for _, e := range tab.ConsoleErrors() {
			t.Errorf("the browser logged %q", e)
		}
	}
}
