package participation

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A batch that fails as a whole (here one vote names no account) is
// written vote by vote: the good votes count, the bad one alone fails.
func TestVoteBatchFallsBackToSingleVotes(t *testing.T) {
	storetest.ForEach(t, testVoteBatchFallback)
}

func testVoteBatchFallback(t *testing.T, db config.Database) {
	st := storetest.Open(t, db)
	ctx := context.Background()
	now := time.Now().UTC()
	err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, q := range []string{
			`INSERT INTO consultations (id, slug, title, description, phase, moderation, created_at, updated_at) VALUES (1, 'c', '{"de":"C"}', '{"de":""}', 'open', 'post', ?0, ?0)`,
			`INSERT INTO fields (id, consultation_id, slug, title, description, position, created_at, updated_at) VALUES (1, 1, 'f', '{"de":"F"}', '{"de":""}', 1, ?0, ?0)`,
			`INSERT INTO measures (id, field_id, title, summary, description, themes, created_at, updated_at) VALUES (1, 1, '{"de":"M"}', '{"de":""}', '{"de":""}', '[]', ?0, ?0)`,
			`INSERT INTO users (id, email, display_name, created_at, updated_at) VALUES (1, 'a@example.org', 'A', ?0, ?0), (2, 'b@example.org', 'B', ?0, ?0)`,
		} {
			if _, err := tx.NewRaw(q, now).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newVoteBatcher(st)
	target := &target{Kind: KindMeasure, ID: 1, FieldID: 1, ConsultationID: 1, Slug: "c", Phase: "open", Status: StatusPublished}
	// Hold the batcher busy so the three votes below meet in one batch.
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
	var wg sync.WaitGroup
	results := make([]error, 3)
	for i, user := range []int64{1, 999, 2} {
		wg.Go(func() {
			value := 1
			_, results[i] = b.submit(ctx, &voteRequest{t: target, userID: user, value: &value})
		})
	}
	for len(b.requests) < 3 {
		time.Sleep(time.Millisecond)
	}
	go b.run()
	wg.Wait()
	if results[0] != nil || results[2] != nil || results[1] == nil {
		t.Fatalf("outcomes %v: want the votes of accounts 1 and 2 counted and 999's refused", results)
	}
	var tally int
	if err := st.DB.NewRaw("SELECT votes_for FROM tallies WHERE target_kind = 'measure' AND target_id = 1").Scan(ctx, &tally); err != nil || tally != 2 {
		t.Fatalf("tally %d (%v), want 2", tally, err)
	}
}

func TestPostgresArrayLiterals(t *testing.T) {
	if got := store.IntArray([]int64{1, -2, 30}); got != "{1,-2,30}" {
		t.Errorf("IntArray: %s", got)
	}
	if got := store.TextArray([]string{`a`, `"b"`, `c\d`, `{,}`}); got != `{"a","\"b\"","c\\d","{,}"}` {
		t.Errorf("TextArray: %s", got)
	}
}
