package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

// /healthz says the process runs; /readyz says the instance can serve:
// the database answers and every embedded migration is applied. A
// migration missing from the database (an operator rolled one back while
// the instance ran) makes it 503, naming the check and the migration.
func TestHealthAndReadiness(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := c.Get(path); r.Status != http.StatusOK || r.Text() != `{"status":"ok"}` || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}

		forget := func(from, to string) {
			t.Helper()
			err := s.App.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.Exec(ctx, "UPDATE bun_migrations SET name = ? WHERE name = ?", to, from)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		const last, renamed = "20261207000031", "20261207000031-forgotten"
		forget(last, renamed)
		r := c.Get("/readyz")
		m := r.Map(t)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || m["status"] != "unavailable" || m["check"] != "schema" ||
			m["detail"] != "migration "+last+"_site_identity is not applied: run mitreden migrate" {
			t.Errorf("a migration not applied: %d, Retry-After %q: %s", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if r := c.Get("/healthz"); r.Status != http.StatusOK {
			t.Errorf("/healthz with a migration not applied: %d", r.Status)
		}
		forget(renamed, last)
		if r := c.Get("/readyz"); r.Status != http.StatusOK {
			t.Errorf("/readyz with the migration applied again: %d %s", r.Status, r.Body)
		}
	})
}

// With MITREDEN_METRICS_TOKEN, /metrics needs it as a bearer token; every
// other answer is 401 problem+json with a challenge.
func TestMetricsNeedTheToken(t *testing.T) {
	const token = "a-metrics-token-of-some-length"
	withToken := func(s *apptest.Setup) { s.Config.MetricsToken = token }
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		for _, auth := range []string{"", "Bearer", "Bearer wrong-token-of-the-same-len", "Basic " + token, "Bearer " + token + "x", token} {
			c := s.Client()
			if auth != "" {
				c.Headers["Authorization"] = auth
			}
			r := c.Get("/metrics")
			if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("Authorization %q: %d, WWW-Authenticate %q", auth, r.Status, r.Header.Get("WWW-Authenticate"))
				continue
			}
			r.WantProblem(t, http.StatusUnauthorized, "")
			if strings.Contains(r.Text(), "mitreden_") {
				t.Errorf("Authorization %q: metrics in a refusal", auth)
			}
		}
		for _, auth := range []string{"Bearer " + token, "bearer " + token} {
			c := s.Client()
			c.Headers["Authorization"] = auth
			if r := c.Get("/metrics"); r.Status != http.StatusOK || !strings.Contains(r.Text(), "mitreden_http_requests_total") {
				t.Errorf("Authorization %q: %d", auth, r.Status)
			}
		}
		// The probes stay open: they say nothing an attacker could use.
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := s.Client().Get(path); r.Status != http.StatusOK {
				t.Errorf("%s with a metrics token: %d", path, r.Status)
			}
		}
	}, withToken)
}
