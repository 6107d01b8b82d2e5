package pages

import (
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/freshness"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
)

func TestLangAttrMarksFallbacks(t *testing.T) {
	text := locale.Text{"de": "Bildung", "en": "Education"}
	cases := map[string]string{
		"de": ``,
		"en": ``,
		"tr": ` lang="de"`,
		"ru": ` lang="de"`,
		"ar": ` lang="de" dir="ltr"`,
	}
	for code, want := range cases {
		if got := string(langAttr(text.In(code))); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	if got := string(langAttr(locale.Text{"de": "Bildung", "ar": "التعليم"}.In("ar"))); got != "" {
		t.Errorf("a translation is not marked: %q", got)
	}
}

// A page rendered while an event came in is never served after it: a
// slow render never puts back what the event invalidated.
func TestPageCacheRenderRacingAnEvent(t *testing.T) {
	topics := freshness.New()
	pc := NewPageCache(topics)
	deps := []string{"measure:1"}
	event := func(ts string) []store.Event { return []store.Event{{Topics: ts}} }
	page := func(body string) *cachedPage { return &cachedPage{body: []byte(body)} }

	pc.store("de /m/1?", page("old"), topics.Take(deps))
	if pc.lookup("de /m/1?") == nil {
		t.Fatal("a page stored without events in between is not served")
	}
	topics.Observe(event(",measure:2,consultation:wir2,"))
	if pc.lookup("de /m/1?") == nil {
		t.Fatal("an event on another topic made the page stale")
	}
	topics.Observe(event(",measure:1,consultation:wir2,"))
	if pc.lookup("de /m/1?") != nil {
		t.Fatal("a page is served after an event of its topic")
	}

	seen := topics.Take(deps)
	topics.Observe(event(",measure:1,consultation:wir2,"))
	pc.store("de /m/1?", page("rendered before the event"), seen)
	if pc.lookup("de /m/1?") != nil {
		t.Fatal("a page rendered before an event of its topic is served after it")
	}

	seen = topics.Take(deps)
	topics.Committed([]string{",pages,"})
	pc.store("de /m/1?", page("rendered before a rename"), seen)
	if pc.lookup("de /m/1?") != nil {
		t.Fatal("a page rendered before a pages event is served after it")
	}

	pc.store("de /m/1?", page("fresh"), topics.Take(deps))
	topics.Lost()
	if pc.lookup("de /m/1?") != nil {
		t.Fatal("pages survive a lost outbox read")
	}

	now := time.Now()
	pc.now = func() time.Time { return now }
	pc.store("de /m/1?", page("aging"), topics.Take(deps))
	now = now.Add(defaultCacheAge + time.Second)
	if pc.lookup("de /m/1?") != nil {
		t.Fatal("a page older than the cache's age limit is served")
	}

	pc.maxBytes = 10
	pc.store("de /m/2?", page("0123456789"), topics.Take([]string{"measure:2"}))
	pc.store("de /m/3?", page("x"), topics.Take([]string{"measure:3"}))
	if pc.size > pc.maxBytes || pc.lookup("de /m/3?") == nil {
		t.Fatalf("the cache holds %d bytes, limit %d; the newest page kept: %v", pc.size, pc.maxBytes, pc.lookup("de /m/3?") != nil)
	}
	pc.store("de /m/4?", page("too large for the cache"), topics.Take([]string{"measure:4"}))
	if pc.lookup("de /m/4?") != nil || pc.size > pc.maxBytes {
		t.Fatal("a page larger than the cache was kept")
	}
}
