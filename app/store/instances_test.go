package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/topics"
)

// The sequencer reads unnumbered events by walking an index
// (events_unnumbered, or the unique index on seq, which holds them too),
// never by a bitmap or a sequential scan: only an index scan marks the
// entries of numbered events dead, and without it every run read all
// entries left since the last VACUUM (see sequencerSettings). Checked on a
// table that has numbered thousands of events, holds a hundred not yet
// numbered and has been analysed.
func TestSequencerWalksAnIndex(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("SQLite numbers events as they commit")
		}
		ctx := context.Background()
		s := storetest.Open(t, db)
		for i := 0; i < 20; i++ {
			if err := s.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
				for j := 0; j < 100; j++ {
					if err := tx.Emit(ctx, topics.PagesChanged, map[string]int{"n": j}, topics.Topic("bench")); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// The last write waits unnumbered, as writes do while the
			// sequencer runs under load.
			if i == 19 {
				break
			}
			if _, err := s.SequenceEvents(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DB.ExecContext(ctx, "ANALYZE events"); err != nil {
			t.Fatal(err)
		}
		var plan []string
		if err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT "+store.SequencerSettings); err != nil {
				return err
			}
			return tx.NewRaw("EXPLAIN "+store.SequenceEventsSQL).Scan(ctx, &plan)
		}); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Bitmap") || strings.Contains(text, "Seq Scan") {
			t.Fatalf("the sequencer's plan does not walk an index:\n%s", text)
		}
	})
}

// Writes about one key (store.For) never run side by side, on any
// instance: two stores on one PostgreSQL database stand for two
// instances, each with its own writers. A write about another key runs at
// once.
func TestWritesAboutOneKeyWaitAcrossInstances(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("SQLite has one writer for every process")
		}
		ctx := context.Background()
		a, b := storetest.Open(t, db), storetest.Open(t, db)
		inside, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		first := make(chan error, 1)
		go func() {
			first <- a.Write(store.For(ctx, 5), func(ctx context.Context, tx *store.Tx) error {
				once.Do(func() { close(inside) })
				<-release
				return nil
			})
		}()
		<-inside
		other, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := b.Write(store.For(other, 6), func(ctx context.Context, tx *store.Tx) error { return nil }); err != nil {
			t.Fatalf("a write about another key: %v", err)
		}
		ran := make(chan struct{})
		second := make(chan error, 1)
		go func() {
			second <- b.Write(store.For(ctx, 5), func(ctx context.Context, tx *store.Tx) error {
				select {
				case <-release:
				default:
					t.Error("the second instance's write about key 5 ran while the first one's was open")
				}
				close(ran)
				return nil
			})
		}()
		select {
		case <-ran:
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		for _, done := range []chan error{first, second} {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	})
}
