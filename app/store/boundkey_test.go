package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
)

// BenchmarkBoundKeyInJoin measures why hot joins pass their key as
// CAST(? AS TEXT) (see raw.go): go test -run X -bench BoundKeyInJoin ./app/store/
func BenchmarkBoundKeyInJoin(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, config.Database{Driver: config.SQLite, Path: filepath.Join(b.TempDir(), "a.db")}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		now := tx.Time(time.Now())
		if _, err := tx.Exec(ctx, "INSERT INTO users (id, email, password_hash, display_name, role, locale, created_at, updated_at) VALUES (1, 'a@example.org', 'x', 'A', 'resident', 'de', ?, ?)", now, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at, last_seen_at) VALUES (1, 'h', 'c', ?, ?, ?)", now, tx.Time(time.Now().Add(time.Hour)), now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	const join = `SELECT s.id, u.id, m.group_id FROM sessions s JOIN users u ON u.id = s.user_id
LEFT JOIN expert_group_members m ON m.user_id = u.id WHERE s.token_hash = ? AND u.deleted_at IS NULL ORDER BY m.group_id`
	for name, q := range map[string]string{"bare": join, "cast": strings.Replace(join, "= ?", "= CAST(? AS TEXT)", 1)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rows, err := s.Query(ctx, q, "h")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if n != 1 {
					b.Fatalf("%d rows", n)
				}
			}
		})
	}
}
