package web_test

import (
	"net/http"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// An existing path with a method it does not have answers 405 with Allow,
// from the route table; an unknown path stays 404.
func TestWrongMethodAnswers405(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	c := s.Client()
	cases := []struct{ method, path, allow string }{
		{"DELETE", "/api/v1/consultations", "GET, HEAD, POST"},
		{"POST", "/api/v1/measures/1", "GET, HEAD, PATCH"},
		{"GET", "/api/v1/auth/login", "POST"},
		{"PUT", "/api/v1/comments/7/", "DELETE, PATCH"},
		{"OPTIONS", "/api/v1/me", "DELETE, GET, HEAD, PATCH"},
		{"PUT", "/api/v1/audit-log", "GET, HEAD"},
	}
	for _, tc := range cases {
		r := c.Do(tc.method, tc.path, nil)
		r.WantProblem(t, http.StatusMethodNotAllowed, "")
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	if r := c.Get("/login/extra"); r.Status != http.StatusNotFound {
		t.Errorf("an unknown page: %d", r.Status)
	}
	c.Do("DELETE", "/api/v1/no-such-thing", nil).WantProblem(t, http.StatusNotFound, "")
	if r := c.Get("/logout"); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("a page with a wrong method: %d %q", r.Status, r.Header.Get("Allow"))
	}
}
