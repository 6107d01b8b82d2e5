package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// The consultation form sets the schedule in the city's time; saving it
// again for another change leaves a date that has fired as fired.
func TestConsultationScheduleForm(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		page := b.Get("/admin/consultations/wir2?lang=de")
		apptest.CheckPage(t, page, "de")
		for _, want := range []string{`name="opens_at" type="datetime-local"`, `name="closes_at" type="datetime-local"`, `name="process.ar"`} {
			if !strings.Contains(page.Text(), want) {
				t.Fatalf("the form lacks %q", want)
			}
		}
		form := url.Values{
			"_csrf": {csrf}, "slug": {"wir2"}, "phase": {"draft"}, "moderation": {"post"}, "title.de": {"Wir 2"}, "theme_rows": {"0"},
			"opens_at": {"2030-03-01T09:00"}, "closes_at": {"2030-03-15T18:00"}, "process.de": {"Erst sammeln, dann bewerten."},
		}
		wantRedirect(t, post(t, b, "/admin/consultations/wir2", form), "/admin/consultations/wir2")
		var c struct {
			Phase    string
			OpensAt  *string `json:"opens_at"`
			ClosesAt *string `json:"closes_at"`
			Process  string
		}
		s.Admin().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if c.OpensAt == nil || *c.OpensAt != "2030-03-01T08:00:00Z" || c.ClosesAt == nil || *c.ClosesAt != "2030-03-15T17:00:00Z" || c.Process != "Erst sammeln, dann bewerten." {
			t.Fatalf("saved %+v", c)
		}
		opened := time.Date(2030, 3, 1, 8, 0, 0, 0, time.UTC)
		if n, err := s.App.Consultations.AdvancePhases(t.Context(), opened); n != 1 || err != nil {
			t.Fatalf("the opening date changed %d (%v)", n, err)
		}
		// Back to draft through the form, which shows the date as stored.
		if page := b.Get("/admin/consultations/wir2"); !strings.Contains(page.Text(), `value="2030-03-01T09:00"`) {
			t.Fatal("the form does not show the opening date in Berlin time")
		}
		wantRedirect(t, post(t, b, "/admin/consultations/wir2", form), "/admin/consultations/wir2")
		if n, err := s.App.Consultations.AdvancePhases(t.Context(), opened.Add(time.Minute)); n != 0 || err != nil {
			t.Fatalf("the opening date fired again after the form was saved: %d (%v)", n, err)
		}

		form.Set("opens_at", "kaputt")
		r := post(t, b, "/admin/consultations/wir2", form)
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-opens_at"`) || !strings.Contains(r.Text(), `value="kaputt"`) {
			t.Fatalf("a wrong date: %d", r.Status)
		}
		form.Set("opens_at", "")
		wantRedirect(t, post(t, b, "/admin/consultations/wir2", form), "/admin/consultations/wir2")
		s.Admin().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if c.OpensAt != nil || c.Phase != "draft" {
			t.Fatalf("after clearing the opening date %+v", c)
		}
	})
}
