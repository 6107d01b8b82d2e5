// Package storetest gives tests fresh, real databases: a SQLite file in a
// temporary directory, and a new PostgreSQL database on the server named by
// MITREDEN_TEST_POSTGRES. Every integration test runs once per database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
)

// PostgresEnv names the variable holding the PostgreSQL server URL for tests.
const PostgresEnv = "MITREDEN_TEST_POSTGRES"

// Drivers returns the databases the suite runs on.
func Drivers() []config.Driver { return []config.Driver{config.SQLite, config.Postgres} }

// ForEach runs fn as a subtest per database. Without MITREDEN_TEST_POSTGRES
// the PostgreSQL subtest is skipped (CI always sets it).
func ForEach(t *testing.T, fn func(t *testing.T, db config.Database)) {
	t.Helper()
	forEach(t, NewDatabase, fn)
}

// forEach runs fn as a subtest per database made by newDB.
func forEach(t *testing.T, newDB func(testing.TB, config.Driver) config.Database, fn func(t *testing.T, db config.Database)) {
	t.Helper()
	for _, d := range Drivers() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, newDB(t, d))
		})
	}
}

// NewDatabase creates an empty database that is removed when t ends.
func NewDatabase(t testing.TB, d config.Driver) config.Database {
	t.Helper()
	if d == config.SQLite {
		return config.Database{Driver: config.SQLite, Path: filepath.Join(t.TempDir(), "mitreden.db")}
	}
	server := os.Getenv(PostgresEnv)
	if server == "" {
		t.Skip(PostgresEnv + " is not set; skipping the PostgreSQL run")
	}
	return newPostgres(t, server, "")
}

// newPostgres creates a database on server, with clause after its name
// (a template), that is dropped when t ends.
func newPostgres(t testing.TB, server, clause string) config.Database {
	t.Helper()
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server)))
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mitreden_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+clause); err != nil {
		t.Fatalf("create test database on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server)))
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return config.Database{Driver: config.Postgres, URL: u.String()}
}

// Open opens db and applies every migration.
func Open(t testing.TB, db config.Database) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	return s
}

// QueryCounter counts the queries a store runs for requests, for tests
// that prove a page needs a fixed number of them. Housekeeping
// (store.Background) runs on its own clock and is not counted.
type QueryCounter struct{ n atomic.Int64 }

// BeforeQuery implements bun.QueryHook.
func (q *QueryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (q *QueryCounter) AfterQuery(ctx context.Context, _ *bun.QueryEvent) {
	if !store.IsBackground(ctx) {
		q.n.Add(1)
	}
}

// Count answers the queries so far.
func (q *QueryCounter) Count() int64 { return q.n.Load() }
