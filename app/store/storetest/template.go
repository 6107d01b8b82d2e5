package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/migrations"
)

// Applying the 30-odd migrations is most of what starting a server costs a
// test: on PostgreSQL about 2–3 s of each test's 3–4 s, on SQLite a few
// hundred ms. Migrated databases are therefore copies of a template that
// is migrated once: on SQLite once per test process, kept as the file's
// bytes; on PostgreSQL once per set of migration files (its digest is in
// the template's name), shared by every test process and run, and copied
// with CREATE DATABASE … TEMPLATE.

// ForEachMigrated is ForEach with databases that already hold every
// migration.
func ForEachMigrated(t *testing.T, fn func(t *testing.T, db config.Database)) {
	t.Helper()
	forEach(t, NewMigratedDatabase, fn)
}

// NewMigratedDatabase is NewDatabase with every migration applied.
func NewMigratedDatabase(t testing.TB, d config.Driver) config.Database {
	t.Helper()
	if d == config.SQLite {
		b, err := sqliteTemplate()
		if err != nil {
			t.Fatalf("SQLite template: %v", err)
		}
		db := NewDatabase(t, d)
		if err := os.WriteFile(db.Path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return db
	}
	server := os.Getenv(PostgresEnv)
	if server == "" {
		t.Skip(PostgresEnv + " is not set; skipping the PostgreSQL run")
	}
	tmpl, err := postgresTemplate()
	if err != nil {
		t.Fatalf("PostgreSQL template: %v", err)
	}
	return newPostgres(t, server, " TEMPLATE "+tmpl)
}

var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "mitreden-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mitreden.db")
	if err := migrate(config.Database{Driver: config.SQLite, Path: path}); err != nil {
		return nil, err
	}
	// Closing the last connection checkpoints the write-ahead log into
	// the file and removes it, so the file alone is the database.
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, errors.New("write-ahead log left after close")
	}
	return os.ReadFile(path)
})

var postgresTemplate = sync.OnceValues(func() (string, error) {
	digest, err := migrations.Digest()
	if err != nil {
		return "", err
	}
	server := os.Getenv(PostgresEnv)
	name := "mitreden_template_" + digest
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server)))
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return name, err
	}
	// Built under a name of its own and renamed when complete, so that a
	// test process running beside this one sees the template whole or
	// not at all; of two built at once, the second rename fails and that
	// copy is dropped.
	building := fmt.Sprintf("mitreden_building_%s_%d", digest, os.Getpid())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + building
	err = migrate(config.Database{Driver: config.Postgres, URL: u.String()})
	if err == nil {
		_, err = admin.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name)
	}
	if err != nil {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		var pgErr pgdriver.Error
		if !errors.As(err, &pgErr) || pgErr.Field('C') != "42P04" { // duplicate_database
			return "", err
		}
	}
	return name, nil
})

func migrate(db config.Database) error {
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	_, err = s.Migrate(ctx)
	return errors.Join(err, s.Close())
}
