package moderation_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Every queue tab has a name of its own: the default view (all that waits)
// was once labelled like the pending queue.
func TestQueueTabsAreDistinct(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		mod := s.AccountAs("mod@example.org", "Mod", "moderator")
		for _, lang := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
			page := mod.Get("/moderation?lang=" + lang).Text()
			tabs := regexp.MustCompile(`(?s)<nav class="tabs".*?</nav>`).FindString(page)
			seen := map[string]bool{}
			for _, m := range regexp.MustCompile(`(?s)<a [^>]*>([^<(]*)`).FindAllStringSubmatch(tabs, -1) {
				name := strings.TrimSpace(m[1])
				if seen[name] {
					t.Errorf("%s: two queue tabs are called %q", lang, name)
				}
				seen[name] = true
			}
			if len(seen) != 4 {
				t.Errorf("%s: %d tabs, want 4: %q", lang, len(seen), tabs)
			}
		}
	})
}
