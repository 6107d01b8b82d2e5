package accessibility_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// ReadmeShotsEnv names the folder for the README's screenshots;
// docs/screenshots/take sets it.
const ReadmeShotsEnv = "MITREDEN_README_SHOTS"

// The README's screenshots: the consultation, a measure, the moderation
// queue and an expert group's inbox, as their readers see them first, on
// a 390 px phone and a 1280 px desktop, in German and in Arabic.
func TestReadmeScreenshots(t *testing.T) {
	dir := os.Getenv(ReadmeShotsEnv)
	if dir == "" {
		t.Skip(ReadmeShotsEnv + " is not set (docs/screenshots/take sets it)")
	}
	s := apptest.Start(t, storetest.NewMigratedDatabase(t, config.SQLite))
	seed(t, s)
	shots := []struct{ name, who, path string }{
		{"consultation", "", "/c/wir2"},
		{"measure", "resi@example.org", "/m/1"},
		{"moderation", "moderatorin@example.org", "/moderation"},
		{"experts", "expertin@example.org", "/experts/1"},
	}
	sizes := []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 860}}
	for _, shot := range shots {
		tab := browsertest.Start(t, s.URL).Tab()
		if shot.who != "" {
			signIn(t, tab, shot.who)
		}
		for _, lang := range []string{"de", "ar"} {
			for _, size := range sizes {
				tab.Viewport(size.w, size.h)
				if status := tab.Open(shot.path + "?lang=" + lang); status != 200 {
					t.Fatalf("%s: %d", shot.path, status)
				}
				tab.WindowScreenshot(filepath.Join(dir, shot.name+"-"+size.name+"-"+lang+".png"))
			}
		}
	}
}
