package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/topics"
)

func TestMigrateUpDownUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		ctx := context.Background()
		s, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) == 0 {
			t.Fatalf("first migrate: %v %v", applied, err)
		}
		again, err := s.Migrate(ctx)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate should apply nothing: %v %v", again, err)
		}
		status, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range status {
			if !m.Applied {
				t.Errorf("%s not applied", m.Name)
			}
		}
		if _, err := s.Rollback(ctx); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		var n int
		if err := s.DB.NewRaw("SELECT COUNT(*) FROM users").Scan(ctx, &n); err == nil {
			t.Fatal("users table still exists after rollback")
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate after rollback: %v", err)
		}
		if err := s.DB.NewRaw("SELECT COUNT(*) FROM users").Scan(ctx, &n); err != nil {
			t.Fatalf("users table missing after re-migrate: %v", err)
		}
	})
}

func putSetting(ctx context.Context, tx *store.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", key, value)
	return err
}

// Writes that fail or panic roll back only their own changes, also when
// they share a group commit with writes that succeed.
func TestWriteIsolatesFailures(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx := context.Background()
		const n = 300
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
					if err := putSetting(ctx, tx, fmt.Sprintf("k%03d", i), "v"); err != nil {
						return err
					}
					switch i % 10 {
					case 3:
						return errors.New("refused")
					case 7:
						panic("boom")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (i%10 == 3 || i%10 == 7) != (err != nil) {
				t.Errorf("write %d: err = %v", i, err)
			}
		}
		var keys []string
		if err := s.DB.NewRaw("SELECT key FROM settings ORDER BY key").Scan(ctx, &keys); err != nil {
			t.Fatal(err)
		}
		if len(keys) != n-n/5 {
			t.Fatalf("%d rows committed, want %d", len(keys), n-n/5)
		}
		for _, k := range keys {
			var i int
			fmt.Sscanf(k, "k%d", &i)
			if i%10 == 3 || i%10 == 7 {
				t.Errorf("failed write %s was committed", k)
			}
		}
		// A unique violation is recognised as such on both databases.
		err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error { return putSetting(ctx, tx, "k000", "again") })
		if !store.IsUniqueViolation(err) {
			t.Errorf("duplicate key: got %v, want a unique violation", err)
		}
	})
}

// Many concurrent writers emit events; a live reader and a replay both see
// every event exactly once, numbered 1..N without gaps, in order.
func TestOutboxNeverSkipsAnEvent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const writers, perWriter = 16, 40
		const total = writers * perWriter

		signals, unsubscribe := s.Subscribe()
		defer unsubscribe()
		type key struct{ W, I int }
		seen := map[key]int{}
		readErr := make(chan error, 1)
		go func() {
			var last int64
			for len(seen) < total {
				select {
				case <-signals:
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					readErr <- fmt.Errorf("live reader saw %d of %d events", len(seen), total)
					return
				}
				evs, err := s.EventsAfter(ctx, last, 1000)
				if err != nil {
					readErr <- err
					return
				}
				for _, ev := range evs {
					if ev.Seq != last+1 {
						readErr <- fmt.Errorf("live: seq %d after %d", ev.Seq, last)
						return
					}
					last = ev.Seq
					var k key
					if err := json.Unmarshal(ev.Data, &k); err != nil {
						readErr <- err
						return
					}
					seen[k]++
				}
			}
			readErr <- nil
		}()

		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
						return tx.Emit(ctx, "test.event", key{w, i}, topics.Topic(fmt.Sprintf("writer:%d", w)), "all")
					})
					if err != nil {
						t.Errorf("write: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := <-readErr; err != nil {
			t.Fatal(err)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("event %v seen %d times", k, n)
			}
		}
		all, err := s.EventsAfter(ctx, 0, total+10)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != total {
			t.Fatalf("replay holds %d events, want %d", len(all), total)
		}
		for i, ev := range all {
			if ev.Seq != int64(i+1) {
				t.Fatalf("replay: event %d has seq %d", i, ev.Seq)
			}
			if !ev.HasTopic("all") || ev.HasTopic("al") {
				t.Fatalf("topics %q", ev.Topics)
			}
		}
		span, err := s.EventSpan(ctx)
		if err != nil || span.Oldest != 1 || span.Latest != total {
			t.Fatalf("span %+v %v", span, err)
		}
	})
}

func TestPruneKeepsTheNewest(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx := context.Background()
		for i := range 30 {
			if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				return tx.Emit(ctx, "test.event", i, "all")
			}); err != nil {
				t.Fatal(err)
			}
		}
		waitForSeq(t, s, 30)
		prune := func(before time.Time, limit int) bool {
			t.Helper()
			var more bool
			if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
				more, err = tx.PruneEvents(ctx, before, 10, limit)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return more
		}
		span := func() store.EventRange {
			t.Helper()
			span, err := s.EventSpan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return span
		}
		// Everything is younger than a minute: nothing goes.
		if prune(time.Now().Add(-time.Minute), 100) || span().Oldest != 1 {
			t.Fatalf("young events pruned: %+v", span())
		}
		// All old enough: the oldest go, a batch at a time, until only the
		// newest 10 stay.
		if !prune(time.Now().Add(time.Minute), 15) || span().Oldest != 16 {
			t.Fatalf("first batch of 15: %+v", span())
		}
		if prune(time.Now().Add(time.Minute), 15) {
			t.Fatal("a batch of 5 said more were left")
		}
		if got := span(); got.Oldest != 21 || got.Latest != 30 {
			t.Fatalf("span after prune %+v", got)
		}
	})
}

// TryLock lets one transaction at a time hold a key: on PostgreSQL a
// second store on the same database (another instance) is told no at
// once while the first holds it, and yes once it committed. On SQLite the
// one writer makes it always yes.
func TestTryLockOncePerDatabase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		first, second := storetest.Open(t, db), storetest.Open(t, db)
		ctx := context.Background()
		tryLock := func(s *store.Store) bool {
			t.Helper()
			var ok bool
			if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
				ok, err = tx.TryLock(ctx, store.RetentionLock)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if db.Driver == config.SQLite {
			if !tryLock(first) || !tryLock(second) {
				t.Fatal("SQLite's lock was not free")
			}
			return
		}
		held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- first.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				ok, err := tx.TryLock(ctx, store.RetentionLock)
				if err != nil || !ok {
					close(held)
					return fmt.Errorf("the free lock was not taken: %v %v", ok, err)
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		if tryLock(second) {
			t.Error("another instance took the lock while it was held")
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !tryLock(second) {
			t.Error("the lock stayed taken after the holder committed")
		}
	})
}

func waitForSeq(t *testing.T, s *store.Store, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		span, err := s.EventSpan(context.Background())
		if err == nil && span.Latest >= want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("events never reached seq %d", want)
}

// OnCommit hears of a write's events before the write returns, so a page
// cache can drop what the writer will look at next; EmitState's tallies
// are left to the outbox readers.
func TestOnCommitBeforeTheWriteReturns(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		var (
			mu    sync.Mutex
			heard []string
		)
		s.OnCommit(func(topics []string) {
			mu.Lock()
			heard = append(heard, topics...)
			mu.Unlock()
		})
		err := s.Write(t.Context(), func(ctx context.Context, tx *store.Tx) error {
			if err := tx.Emit(ctx, "comment.published", map[string]int{"id": 1}, "measure:1", "consultation:wir2"); err != nil {
				return err
			}
			return tx.EmitState(ctx, "tally:measure:1", "vote.tally", map[string]int{"for": 1}, "measure:1")
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(heard) != 1 || heard[0] != ",measure:1,consultation:wir2," {
			t.Fatalf("heard %q, want the comment's topics only", heard)
		}
	})
}

// A group whose writes fail, before changing anything or after, commits
// the others with their events and none of the failed writes' events.
func TestFailedWritesTakeTheirEventsAlong(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx := context.Background()
		if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error { return putSetting(ctx, tx, "taken", "v") }); err != nil {
			t.Fatal(err)
		}
		const n = 200
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
					key := fmt.Sprintf("k%03d", i)
					if err := tx.Emit(ctx, "setting.put", key, "settings"); err != nil {
						return err
					}
					switch i % 10 {
					case 3:
						return errors.New("refused before changing anything")
					case 7:
						key = "taken" // the statement fails
					}
					return putSetting(ctx, tx, key, "v")
				})
			})
		}
		wg.Wait()
		var committed int
		for i, err := range errs {
			if (i%10 == 3 || i%10 == 7) != (err != nil) {
				t.Errorf("write %d: err = %v", i, err)
			}
			if err == nil {
				committed++
			}
		}
		var rows int
		if err := s.DB.NewRaw("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'").Scan(ctx, &rows); err != nil || rows != committed {
			t.Fatalf("%d rows for %d acknowledged writes (%v)", rows, committed, err)
		}
		var events int
		if err := s.DB.NewRaw("SELECT COUNT(*) FROM events WHERE type = 'setting.put'").Scan(ctx, &events); err != nil || events != committed {
			t.Fatalf("%d events for %d acknowledged writes (%v)", events, committed, err)
		}
	})
}

// States with one key that commit together leave one event, the last,
// in the place of the first; other events keep their order.
func TestStatesCommittedTogetherMakeOneEvent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		s := storetest.Open(t, db)
		ctx := context.Background()
		err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			for i := 1; i <= 3; i++ {
				if err := tx.EmitState(ctx, "tally:measure:1", "vote.tally", map[string]int{"for": i}, "measure:1"); err != nil {
					return err
				}
				if i == 1 {
					if err := tx.Emit(ctx, "comment.published", map[string]int{"id": 1}, "measure:1"); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		deadline := time.Now().Add(5 * time.Second)
		for len(got) < 2 && time.Now().Before(deadline) {
			evs, err := s.EventsAfter(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, ev := range evs {
				got = append(got, string(ev.Type)+" "+string(ev.Data))
			}
			time.Sleep(10 * time.Millisecond)
		}
		want := []string{`vote.tally {"for":3}`, `comment.published {"id":1}`}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events %q, want %q", got, want)
		}
	})
}

// A SQLite path with characters a file: URI reads as query or fragment
// (Go names a test's second run "Test#01") opens that very file, not a
// shorter one shared with other runs.
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run#01?x=1%41")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mitreden.db")
	s, err := store.Open(context.Background(), config.Database{Driver: config.SQLite, Path: path}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not where it was asked for: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "run")); err == nil {
		t.Fatal("the path was cut at #")
	}
}
