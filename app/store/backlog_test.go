package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/topics"
)

// The outbox's lag: on PostgreSQL, events wait unnumbered while the
// sequencer cannot run (here: another session holds its lock), and are
// counted with the age of the oldest; SQLite numbers them as they commit.
func TestOutboxLag(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		emit := func(n int) {
			t.Helper()
			for range n {
				if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
					return tx.Emit(ctx, "test.event", map[string]int{}, topics.Topic("all"))
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// waitFor reads the lag until it is want (the sequencer runs on its own).
		waitFor := func(want int64, last int64) store.OutboxLag {
			t.Helper()
			for {
				lag, err := s.ReadOutboxLag(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if lag.Unnumbered.Count == want && lag.LastSeq == last {
					return lag
				}
				if ctx.Err() != nil {
					t.Fatalf("lag %+v, want %d unnumbered and last seq %d", lag, want, last)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		if lag := waitFor(0, 0); lag.Unnumbered.Age(time.Now()) != 0 {
			t.Errorf("an empty outbox has an age: %+v", lag)
		}
		emit(3)
		waitFor(0, 3)
		if db.Driver != config.Postgres {
			return
		}

		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.URL)))
		defer admin.Close()
		conn, err := admin.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		const sequencerLock = 7_246_118_001 // store's sequencerLock
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", sequencerLock); err != nil {
			t.Fatal(err)
		}
		emit(2)
		time.Sleep(50 * time.Millisecond)
		lag := waitFor(2, 3)
		if age := lag.Unnumbered.Age(time.Now()); age < 50*time.Millisecond || age > 10*time.Second {
			t.Errorf("the oldest unnumbered event waits %v", age)
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", sequencerLock); err != nil {
			t.Fatal(err)
		}
		waitFor(0, 5)
	})
}
