package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/topics"
)

// The sequencer reads unnumbered events by walking events_unnumbered in id
// order, never by a bitmap or a sequential scan: only an index scan marks
// the entries of numbered events dead, and without it every run read all
// entries left since the last VACUUM (see sequencerSettings). Checked on a
// table that has numbered thousands of events, holds a hundred not yet
// numbered and has been analysed.
func TestSequencerWalksTheUnnumberedIndex(t *testing.T) {
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
		if !strings.Contains(text, "events_unnumbered") || strings.Contains(text, "Bitmap") || strings.Contains(text, "Seq Scan on events") {
			t.Fatalf("the sequencer's plan does not walk events_unnumbered:\n%s", text)
		}
	})
}
