// Package migrations holds mitreden's schema as one ordered sequence of SQL
// migrations that runs on both SQLite and PostgreSQL. The files are
// templates: {{.PK}} and {{.TS}} stand for the primary-key and timestamp
// types, which are all the two dialects disagree on here. They are embedded
// so the binary never reads the source tree.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// Load returns the migrations in order.
func Load() (*migrate.Migrations, error) {
	m := migrate.NewMigrations()
	if err := m.Discover(files); err != nil {
		return nil, err
	}
	return m, nil
}
