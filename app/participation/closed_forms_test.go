package participation_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// A comment, reply or idea sent from a page the moment the consultation
// closed comes back with what was typed and says that participation has
// ended; the API answers its problem+json 409.
func TestFormRefusedAfterClosingKeepsText(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Register("schreib@example.org", "Schreiberin")
		b := s.Browser("schreib@example.org", apptest.Password)
		r := b.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Ein erster Gedanke."})
		if r.Status != http.StatusCreated {
			t.Fatalf("comment while open: %d %s", r.Status, r.Body)
		}
		var parent struct{ ID int64 }
		r.JSON(t, &parent)
		// The pages were loaded while open; then the consultation closes.
		csrf := apptest.FormCSRF(t, b.Get("/m/1"))
		if r := s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"phase": "closed"}); r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		cases := []struct {
			name, path string
			form       url.Values
			// field is the id of the input that must hold text.
			field, text string
		}{
			{"comment", "/m/1/comments", url.Values{"body": {"Mein langer Kommentar <über> Radwege."}, "stance": {"pro"}},
				"field-body", "Mein langer Kommentar <über> Radwege."},
			{"reply", "/m/1/comments", url.Values{"body": {"Meine Antwort darauf."}, "stance": {"neutral"}, "parent_id": {fmt.Sprint(parent.ID)}},
				fmt.Sprintf("field-reply-%d-body", parent.ID), "Meine Antwort darauf."},
			{"idea", "/f/1/ideas", url.Values{"title": {"Mehr Bänke im Park"}, "body": {"Damit Ältere Pausen machen können."}},
				"field-idea-body", "Damit Ältere Pausen machen können."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.form.Set("_csrf", csrf)
				r := b.Do("POST", c.path+"?lang=de", c.form)
				if r.Status != http.StatusConflict {
					t.Fatalf("status %d, want 409", r.Status)
				}
				page := r.Text()
				_, after, ok := strings.Cut(page, `<textarea id="`+c.field+`"`)
				if !ok {
					t.Fatalf("no textarea %s on the answer", c.field)
				}
				area, _, _ := strings.Cut(after, "</textarea>")
				if !strings.Contains(area, html.EscapeString(c.text)) {
					t.Fatalf("the textarea lost the text: %s", area)
				}
				if !strings.Contains(page, "Die Beteiligung ist beendet") || strings.Contains(page, "nicht geöffnet") {
					t.Fatal("the answer does not say that participation has ended")
				}
			})
		}
		r = b.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Zu spät."})
		r.WantProblem(t, http.StatusConflict, "")
		if n := count(t, s, "SELECT COUNT(*) FROM comments WHERE body = 'Zu spät.'"); n != 0 {
			t.Fatal("a refused comment was stored")
		}
	})
}

// A closing date that has passed ends participation at once, before the
// schedule has closed the consultation.
func TestPassedClosingDateRefusesContributions(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		resident := s.Register("spaet@example.org", "Spät")
		if r := resident.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != 200 {
			t.Fatalf("vote while open: %d %s", r.Status, r.Body)
		}
		closes := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
		if r := s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"closes_at": closes}); r.Status != 200 {
			t.Fatalf("set the closing date: %d %s", r.Status, r.Body)
		}
		r := resident.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": -1})
		r.WantProblem(t, http.StatusConflict, "")
	})
}
