// Package migrations holds mitreden's schema as one ordered sequence of SQL
// migrations that runs on both SQLite and PostgreSQL. The files are
// templates: {{.PK}} and {{.TS}} stand for the primary-key and timestamp
// types, which are all the two dialects disagree on here. They are embedded
// so the binary never reads the source tree.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"

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

// Digest is a hash of every migration file: tests keep a migrated template
// database per digest and must build a new one when any file changes.
func Digest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}
