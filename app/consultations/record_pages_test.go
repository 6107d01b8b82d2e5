package consultations_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
)

// An expert keeps a measure's record on its edit page, without JavaScript,
// and everyone reads it on the measure's page.
func TestMeasureRecordPages(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
			Email: "bildung@example.org", Password: "expert-password", DisplayName: "Expertin", Role: access.Expert, Groups: []int64{1},
		}); err != nil {
			t.Fatal(err)
		}
		b := s.Browser("bildung@example.org", "expert-password")
		csrf := b.CSRF
		b.CSRF = ""
		form := func(v url.Values) url.Values { v.Set("_csrf", csrf); return v }
		post := func(path string, v url.Values, status int) *apptest.Response {
			t.Helper()
			r := b.Do("POST", path, form(v))
			if r.Status != status {
				t.Fatalf("POST %s: %d, want %d: %s", path, r.Status, status, r.Body)
			}
			if status == 422 {
				apptest.CheckPage(t, r, "de")
			}
			return r
		}
		edit := b.Get("/measures/1/edit")
		apptest.CheckPage(t, edit, "de")
		for _, want := range []string{`action="/measures/1/milestones"`, `action="/measures/1/documents"`, `id="field-statement_de"`, `id="field-milestones_1_due_on"`} {
			if !strings.Contains(edit.Text(), want) {
				t.Errorf("the edit page lacks %s", want)
			}
		}

		main := url.Values{"status": {"adopted"}, "title_de": {"Mehrsprachige Elternabende"}, "summary_de": {"Elternabende in vielen Sprachen."}, "lead_de": {"Fachbereich Schule"}}
		r := post("/measures/1/edit", main, 422)
		if !strings.Contains(r.Text(), `href="#field-statement_de"`) || !strings.Contains(r.Text(), `value="Fachbereich Schule"`) {
			t.Fatal("a status change without statement: the page does not point at the statement or loses the lead typed")
		}
		main.Set("statement_de", "Der Schulausschuss hat zugestimmt.")
		post("/measures/1/edit", main, 303)
		page := s.Client().Get("/m/1").Text()
		for _, want := range []string{"Der Schulausschuss hat zugestimmt.", "Fachbereich Schule", "Beschlossen", `id="record-title"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the measure page lacks %q", want)
			}
		}

		r = post("/measures/1/milestones", url.Values{
			"milestones_0_title_de": {"Konzept"}, "milestones_0_due_on": {"2027-03-31"}, "milestones_0_done_on": {"2027-03-20"},
			"milestones_1_title_de": {"Start"}, "milestones_1_due_on": {"31.12.2027"}, "milestones_1_done_on": {""},
		}, 422)
		if !strings.Contains(r.Text(), `href="#field-milestones_1_due_on"`) || !strings.Contains(r.Text(), `value="31.12.2027"`) {
			t.Fatal("a wrong date: the page does not point at it or loses it")
		}
		post("/measures/1/milestones", url.Values{
			"milestones_0_title_de": {""}, "milestones_0_due_on": {""}, "milestones_0_done_on": {""},
			"milestones_1_title_de": {"Konzept"}, "milestones_1_title_ar": {"المفهوم"}, "milestones_1_due_on": {"2027-03-31"}, "milestones_1_done_on": {"2027-03-20"},
		}, 303)
		post("/measures/1/documents", url.Values{"documents_0_title_de": {"Drucksache"}, "documents_0_url": {"ftp://example.org/a"}}, 422)
		post("/measures/1/documents", url.Values{"documents_0_title_de": {"Drucksache"}, "documents_0_url": {"https://example.org/drucksache.pdf"}}, 303)
		page = s.Client().Get("/m/1").Text()
		for _, want := range []string{"Konzept", "erreicht am 20.03.2027", `href="https://example.org/drucksache.pdf"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the measure page lacks %q", want)
			}
		}
		if ar := s.Client().Get("/m/1?lang=ar").Text(); !strings.Contains(ar, "المفهوم") {
			t.Error("the Arabic page lacks the milestone's Arabic title")
		}

		// Ideas are taken up from the edit page, and named on their own.
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		var idea struct{ ID int64 }
		s.Register("res@example.org", "Resi").Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Elterncafé", "body": "Ein Treffpunkt."}).JSON(t, &idea)
		if !strings.Contains(b.Get("/measures/1/edit").Text(), "Elterncafé") {
			t.Fatal("the edit page does not offer the published idea")
		}
		post("/measures/1/ideas", url.Values{"idea_id": {""}}, 422)
		post("/measures/1/ideas", url.Values{"idea_id": {itoa(idea.ID)}}, 303)
		if !strings.Contains(s.Client().Get("/m/1").Text(), `href="/i/`+itoa(idea.ID)+`"`) {
			t.Error("the measure page does not list the idea taken up")
		}
		if !strings.Contains(s.Client().Get("/i/"+itoa(idea.ID)).Text(), `href="/m/1"`) {
			t.Error("the idea's page does not name its measure")
		}
		post("/measures/1/ideas/"+itoa(idea.ID)+"/drop", url.Values{}, 303)
		if strings.Contains(s.Client().Get("/i/"+itoa(idea.ID)).Text(), `href="/m/1"`) {
			t.Error("the idea still names the measure after it was dropped")
		}
		apptest.CheckPage(t, b.Get("/measures/1/edit?lang=ar"), "ar")
		// Residents cannot post the forms.
		res := s.Browser("res@example.org", "a-good-password")
		if r := res.Do("POST", "/measures/1/milestones", url.Values{"_csrf": {res.CSRF}}); r.Status != 403 {
			t.Errorf("a resident's milestones form: %d", r.Status)
		}
	})
}
