package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A change to an account committed by another instance (or process) must
// move the version the very next read answers, even while other requests
// keep reads under way: a read that began before the change would hide it.
// Inserts of new accounts and statements that change no row leave it.
func TestAccountsVersionMovesBeforeTheChangeIsAnswered(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		ctx := context.Background()
		s := storetest.Open(t, db)
		other := storetest.Open(t, db)
		var id int64
		if err := other.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			now := other.Time(time.Now())
			return tx.QueryRowContext(ctx, "INSERT INTO users (email, display_name, created_at, updated_at) VALUES ('v@example.org', 'Vera', ?, ?) RETURNING id", now, now).Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}

		// Readers that keep the batched reads busy.
		stop := make(chan struct{})
		var (
			wg    sync.WaitGroup
			reads atomic.Int64
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.AccountsVersion(ctx); err != nil {
						t.Error(err)
						return
					}
					reads.Add(1)
				}
			}()
		}
		defer func() { close(stop); wg.Wait() }()

		version := func() uint64 {
			t.Helper()
			v, err := s.AccountsVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		change := func(query string, args ...any) {
			t.Helper()
			if err := other.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, query, args...)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 200 {
			before := version()
			change("UPDATE users SET display_name = ? WHERE id = ?", "Vera "+string(rune('a'+i%26)), id)
			if after := version(); after == before {
				t.Fatalf("change %d committed, version still %d", i, after)
			}
		}
		before := version()
		change("UPDATE users SET display_name = 'nobody' WHERE id = ?", id+1000)
		change("INSERT INTO users (email, display_name, created_at, updated_at) VALUES ('w@example.org', 'Wim', ?, ?)", other.Time(time.Now()), other.Time(time.Now()))
		if after := version(); after != before {
			t.Errorf("no account changed, version moved %d → %d", before, after)
		}
		if reads.Load() == 0 {
			t.Error("the background readers never read")
		}
	})
}
