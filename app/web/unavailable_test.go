package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// While the database does not answer, requests that need it answer 503
// with Retry-After (problem+json on the API, the error page on pages),
// never 500; when it is back, the same requests succeed. The outage is
// the test database refusing connections and losing the ones it had, as
// in a PostgreSQL restart, without restarting the shared server.
func TestDatabaseOutageAnswers503(t *testing.T) {
	db := storetest.NewDatabase(t, config.Postgres)
	var logs apptest.LogBuffer
	s := apptest.Start(t, db, apptest.WithLog(&logs))
	resident := s.Register("res@example.org", "Resident")
	browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
	type request struct {
		name   string
		client *apptest.Client
		method string
		path   string
		body   any
		api    bool
	}
	requests := []request{
		{"a page", s.Client(), "GET", "/f/1", nil, false},
		{"an API read", s.Client(), "GET", "/api/v1/fields/1/measures", nil, true},
		{"an API write", resident, "PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}, true},
		{"a signed-in API read", resident, "GET", "/api/v1/me", nil, true},
		{"a signed-in page", browser, "GET", "/me", nil, false},
	}
	for _, r := range requests {
		if got := r.client.Do(r.method, r.path, r.body); got.Status != http.StatusOK {
			t.Fatalf("%s before the outage: %d %s", r.name, got.Status, got.Body)
		}
	}

	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(os.Getenv(storetest.PostgresEnv))))
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS "+map[bool]string{true: "true", false: "false"}[on]); err != nil {
			t.Fatal(err)
		}
	}
	allow(false)
	t.Cleanup(func() { allow(true) })
	if _, err := admin.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		t.Fatal(err)
	}

	for _, r := range requests {
		got := r.client.Do(r.method, r.path, r.body)
		if got.Status != http.StatusServiceUnavailable || got.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d, Retry-After %q: %.300s", r.name, got.Status, got.Header.Get("Retry-After"), got.Body)
			continue
		}
		if r.api {
			got.WantProblem(t, http.StatusServiceUnavailable, "")
		} else {
			apptest.CheckPage(t, got, "de")
		}
	}
	if s.Client().Get("/readyz").Status != http.StatusServiceUnavailable {
		t.Error("/readyz answers while the database does not")
	}
	if s.Client().Get("/healthz").Status != http.StatusOK {
		t.Error("/healthz fails while the process runs")
	}
	if l := logs.String(); strings.Contains(l, "request failed") || strings.Contains(l, "status=500") {
		t.Errorf("the outage was logged as a 500:\n%s", l)
	}

	allow(true)
	for _, r := range requests {
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := r.client.Do(r.method, r.path, r.body)
			if got.Status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s after the outage: %d %s", r.name, got.Status, got.Body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
