package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// The server deletes ended sessions on a schedule of its own, and stops
// when closed.
func TestEndedSessionsArePrunedOnSchedule(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		ctx := context.Background()
		app, err := server.Build(ctx, apptest.Config(db), server.Options{
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PruneEvery: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		long := time.Now().Add(-31 * 24 * time.Hour)
		if err := app.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.NewRaw(`INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
SELECT 'ended', id, 'x', ?, ?, ? FROM users WHERE role = 'admin'`, long, long.Add(30*24*time.Hour), long).Exec(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var n int
			if err := app.Store.DB.NewRaw("SELECT COUNT(*) FROM sessions WHERE token_hash = 'ended'").Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the ended session was never pruned")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
