package experts_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/apptest"
)

// The inbox and its page keep contributions written in one language; an
// unknown language is refused on content_lang.
func TestInboxByContentLang(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
		resident := s.Register("res@example.org", "Resi")
		expert := account(t, s, "bildung@example.org", access.Expert, 1)
		ar := post(t, resident, "/api/v1/measures/1/comments", map[string]string{"body": "تعليق بالعربية", "lang": "ar"})
		post(t, resident, "/api/v1/measures/1/comments", map[string]string{"body": "Ein deutscher Kommentar", "lang": "de"})
		in := getInbox(t, expert, 1, "?content_lang=ar")
		if len(in.Items) != 1 || in.Items[0].ID != ar.ID {
			t.Fatalf("inbox in Arabic: %+v", in.Items)
		}
		if in := getInbox(t, expert, 1, ""); len(in.Items) != 2 {
			t.Fatalf("inbox in every language: %d items", len(in.Items))
		}
		expert.Get("/api/v1/expert-groups/1/inbox?content_lang=xx").WantProblem(t, 422, "content_lang")
		page := s.Browser("bildung@example.org", "a-good-password").Get("/experts/1?content_lang=ar")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), "تعليق بالعربية") || strings.Contains(page.Text(), "Ein deutscher Kommentar") ||
			!strings.Contains(page.Text(), `<option value="ar" lang="ar" selected>`) {
			t.Fatal("the group page does not filter by language")
		}
	})
}
