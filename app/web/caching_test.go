package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Answers with personal data are never stored by a cache: every answer to
// a signed-in request, and measures and ideas (they carry my_vote) for
// anyone, also when they come from the page cache.
func TestPersonalAnswersAreNotStored(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	admin := s.Admin()
	idea := s.Register("idea@example.org", "Ideengeberin").Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Eine Idee für alle", "body": "Damit die Antwort zwischengespeichert werden könnte."})
	if idea.Status != http.StatusCreated {
		t.Fatalf("idea: %d %s", idea.Status, idea.Body)
	}
	ideaID := jsonNumber(t, idea, "id")
	if r := admin.Do("POST", "/api/v1/moderation/idea/"+ideaID+"/decision", map[string]any{"action": "approve"}); r.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
	anon := s.Client()
	for _, c := range []struct {
		name   string
		client *apptest.Client
		method string
		path   string
		body   any
	}{
		{"/me", admin, "GET", "/api/v1/me", nil},
		{"/me/export", admin, "GET", "/api/v1/me/export", nil},
		{"a vote", admin, "PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}},
		{"a measure", admin, "GET", "/api/v1/measures/1", nil},
		{"a measure for anyone", anon, "GET", "/api/v1/measures/1", nil},
		{"a measure for anyone, from the page cache", anon, "GET", "/api/v1/measures/1", nil},
		{"an idea for anyone", anon, "GET", "/api/v1/ideas/" + ideaID, nil},
		{"the consultations", admin, "GET", "/api/v1/consultations", nil},
		{"an error", admin, "GET", "/api/v1/measures/999999", nil},
		{"the /me page", browser, "GET", "/me", nil},
		{"a measure page", browser, "GET", "/m/1", nil},
		{"a measure page again (kept for readers like this one)", browser, "GET", "/m/1", nil},
		{"a consultation page", browser, "GET", "/c/wir2", nil},
	} {
		r := c.client.Do(c.method, c.path, c.body)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q", c.name, r.Status, cc)
		}
	}
	if cc := anon.Get("/c/wir2").Header.Get("Cache-Control"); cc == "no-store" {
		t.Error("a public page for anyone is no-store")
	}
}

func jsonNumber(t *testing.T, r *apptest.Response, key string) string {
	t.Helper()
	v, ok := r.Map(t)[key].(float64)
	if !ok {
		t.Fatalf("no %s in %s", key, r.Body)
	}
	return strconv.FormatInt(int64(v), 10)
}

// Static files carry a validator besides max-age, answer 304 to it, and
// vary on nothing personal.
func TestStaticFilesHaveValidators(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	c := s.Client()
	c.Headers["Accept-Language"] = "ar"
	r := c.Get("/static/css/site.css")
	etag := r.Header.Get("ETag")
	if r.Status != http.StatusOK || etag == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("status %d, ETag %q, Cache-Control %q", r.Status, etag, r.Header.Get("Cache-Control"))
	}
	for _, h := range r.Header.Values("Vary") {
		if strings.Contains(h, "Cookie") || strings.Contains(h, "Accept-Language") {
			t.Errorf("Vary: %s", h)
		}
	}
	c.Headers["If-None-Match"] = etag
	if r := c.Get("/static/css/site.css"); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", r.Status, len(r.Body))
	}
}
