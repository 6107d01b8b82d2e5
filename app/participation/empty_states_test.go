package participation_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// A field without ideas invites the first one, where the reader may act:
// to the idea form when signed in, through sign-in otherwise, and only
// while the consultation is open; the consultation page says the same
// instead of "0 ideas".
func TestEmptyFieldInvitesTheFirstIdea(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		resident := s.Register("erste@example.org", "Erste")
		invite := `<a href="/f/1#field-idea-title">No ideas yet. Be the first to suggest one!</a>`
		signIn := `<a href="/login?next=/f/1%23idea-form-heading">No ideas yet. Sign in to suggest the first one.</a>`
		for _, path := range []string{"/f/1?lang=en", "/c/wir2?lang=en"} {
			if text := resident.Get(path).Text(); !strings.Contains(text, invite) {
				t.Errorf("%s, signed in: no invitation to the idea form", path)
			}
			if text := s.Client().Get(path).Text(); !strings.Contains(text, signIn) {
				t.Errorf("%s, signed out: no invitation through sign-in", path)
			}
		}
		if text := s.Client().Get("/c/wir2?lang=en").Text(); strings.Contains(text, "0 ideas") {
			t.Error("the consultation page still says 0 ideas while it invites ideas")
		}
		patchWir2(t, s, map[string]any{"phase": "closed"})
		if text := resident.Get("/f/1?lang=en").Text(); strings.Contains(text, "No ideas yet.") {
			t.Error("a closed consultation invites ideas")
		}
	})
}
