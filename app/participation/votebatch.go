package participation

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/store"
)

// voteBatcher writes the votes on measures that arrive together in one
// write, with one statement for all of them.
//
// On PostgreSQL, written one per transaction, every vote on a measure
// waits for the previous vote's transaction to commit, because each holds
// the measure's tally row from its change until its commit (about 1,200
// votes/s on two cores whatever the number of connections). A batch
// takes the phase lock, changes all its votes and reads their tallies
// with one call each, and writes the tally events with one statement:
// five round trips with BEGIN and COMMIT, and one commit, for any number
// of votes. One batch runs at a time per instance (two at once were no
// faster on two cores); instances behind a load balancer wait for each
// other on the tally rows as before.
//
// On SQLite the writer groups writes into one commit anyway, but each
// vote there was two statements in the one goroutine every write waits
// for; a batch is two statements for all its votes.
type voteBatcher struct {
	st       *store.Store
	requests chan *voteRequest

	mu      sync.Mutex
	running bool
}

type voteRequest struct {
	ctx    context.Context
	t      *target
	userID int64
	// value is the vote, nil to withdraw it.
	value *int
	done  chan voteOutcome
}

type voteOutcome struct {
	res *VoteResult
	err error
}

// maxVoteBatch caps one batch, so that a rush still commits every few
// milliseconds.
const maxVoteBatch = 512

func newVoteBatcher(st *store.Store) *voteBatcher {
	return &voteBatcher{st: st, requests: make(chan *voteRequest, 4096)}
}

// submit queues a vote and waits for its batch to commit. The goroutine
// that writes batches runs while votes come and ends after a second
// without any.
func (b *voteBatcher) submit(ctx context.Context, req *voteRequest) (*VoteResult, error) {
	req.ctx, req.done = ctx, make(chan voteOutcome, 1)
	// Queued under the lock: the writing goroutine decides to end under
	// it too, when the queue is empty, so no vote is left behind.
	b.mu.Lock()
	if !b.running {
		b.running = true
		go b.run()
	}
	select {
	case b.requests <- req:
		b.mu.Unlock()
	case <-ctx.Done():
		b.mu.Unlock()
		return nil, ctx.Err()
	}
	// Once queued, wait for the outcome even if the caller gives up: the
	// vote may already be part of a committing batch.
	out := <-req.done
	return out.res, out.err
}

func (b *voteBatcher) run() {
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	var next []*voteRequest
	for {
		if len(next) == 0 {
			select {
			case req := <-b.requests:
				next = append(next, req)
			case <-idle.C:
				b.mu.Lock()
				if len(b.requests) == 0 {
					b.running = false
					b.mu.Unlock()
					return
				}
				b.mu.Unlock()
				idle.Reset(time.Second)
				continue
			}
		}
	collect:
		for len(next) < maxVoteBatch {
			select {
			case req := <-b.requests:
				next = append(next, req)
			default:
				break collect
			}
		}
		next = b.write(next)
		idle.Reset(time.Second)
	}
}

type voteKey struct {
	user, measure int64
}

// write commits one batch and answers its votes; a second vote of the
// same person on the same measure waits for the next batch (one statement
// cannot change one row twice), and is returned.
func (b *voteBatcher) write(reqs []*voteRequest) (later []*voteRequest) {
	batch := make([]*voteRequest, 0, len(reqs))
	seen := make(map[voteKey]bool, len(reqs))
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			r.done <- voteOutcome{err: err}
			continue
		}
		k := voteKey{r.userID, r.t.ID}
		if seen[k] {
			later = append(later, r)
			continue
		}
		seen[k] = true
		batch = append(batch, r)
	}
	if len(batch) == 0 {
		return later
	}
	outcomes := make([]voteOutcome, len(batch))
	err := b.st.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		clear(outcomes)
		return writeVotes(ctx, tx, batch, outcomes)
	})
	if err != nil && len(batch) > 1 {
		// Something no single vote could cause by itself, or one vote
		// that fails the whole statement: each on its own, to find out.
		for _, r := range batch {
			var out *VoteResult
			err := b.st.WriteLast(context.WithoutCancel(r.ctx), func(ctx context.Context, tx *store.Tx) error {
				if err := consultations.GuardWrite(ctx, tx, r.t.ConsultationID, ""); err != nil {
					return err
				}
				var err error
				out, err = writeVote(ctx, tx, r.t, r.userID, r.value, time.Now().UTC())
				return err
			})
			r.done <- voteOutcome{res: out, err: err}
		}
		return later
	}
	for i, r := range batch {
		if err != nil {
			outcomes[i] = voteOutcome{err: err}
		}
		r.done <- outcomes[i]
	}
	return later
}

// writeVotes applies a batch of votes on measures inside one write and
// fills in each one's outcome. Votes refused by their consultation's
// phase get that refusal; the others are written together.
func writeVotes(ctx context.Context, tx *store.Tx, batch []*voteRequest, outcomes []voteOutcome) error {
	phaseErr := map[int64]error{}
	for _, r := range batch {
		if _, done := phaseErr[r.t.ConsultationID]; done {
			continue
		}
		err := consultations.GuardWrite(ctx, tx, r.t.ConsultationID, "")
		if err != nil && !errors.Is(err, consultations.ErrNotOpen) {
			return err
		}
		phaseErr[r.t.ConsultationID] = err
	}
	var rows batchRows
	for i, r := range batch {
		rows.asked = append(rows.asked, r.t.ID)
		if err := phaseErr[r.t.ConsultationID]; err != nil {
			outcomes[i].err = err
			continue
		}
		if r.value == nil {
			rows.gone, rows.goneFrom = append(rows.gone, r.userID), append(rows.goneFrom, r.t.ID)
			continue
		}
		rows.users, rows.measures, rows.values = append(rows.users, r.userID), append(rows.measures, r.t.ID), append(rows.values, int64(*r.value))
	}
	written := batchWritten{changed: map[int64]bool{}, tallies: map[int64]consultations.Tally{}}
	var err error
	if tx.Driver() == config.Postgres {
		err = writeBatchPostgres(ctx, tx, &rows, &written)
	} else {
		err = writeBatchSQLite(ctx, tx, &rows, &written)
	}
	if err != nil {
		return err
	}
	changed, tallies := written.changed, written.tallies
	var events []store.Emission
	announced := map[int64]bool{}
	for i, r := range batch {
		if outcomes[i].err != nil {
			continue
		}
		tally := tallies[r.t.ID]
		outcomes[i].res = &VoteResult{Tally: tally, MyVote: r.value}
		if !changed[r.t.ID] || announced[r.t.ID] {
			continue
		}
		announced[r.t.ID] = true
		if tx.Driver() == config.SQLite {
			// Held by the writer like every tally event, at most a few a second per item.
			if err := emitTally(ctx, tx, r.t, tally); err != nil {
				return err
			}
			continue
		}
		events = append(events, store.Emission{
			Data:   TallyEvent{Target: KindMeasure, ID: r.t.ID, Tally: tally},
			Topics: r.t.public(r.t.Topic(), r.t.ConsultationTopic()),
		})
	}
	return tx.EmitStates(ctx, "vote.tally", events)
}

// batchRows are a batch's votes by column: the votes to set (users,
// measures, values), the votes to withdraw (gone, goneFrom), and the
// measures whose tallies the batch answers (asked).
type batchRows struct {
	users, measures, values []int64
	gone, goneFrom          []int64
	asked                   []int64
}

// batchWritten is what a batch changed: the measures where a vote
// actually changed, and the tallies of the measures asked for, true at
// commit (read while the transaction holds the rows it changed).
type batchWritten struct {
	changed map[int64]bool
	tallies map[int64]consultations.Tally
}

// writeBatchPostgres is one round trip: vote_batch (migration 18) sets
// and withdraws the votes, then reads the tallies the triggers left.
func writeBatchPostgres(ctx context.Context, tx *store.Tx, b *batchRows, w *batchWritten) error {
	rows, err := tx.Query(ctx, "SELECT measure, changed, tally_for, tally_against, tally_neutral FROM vote_batch(?, ?, ?, ?, ?, ?, ?)",
		tx.Time(time.Now()), store.IntArray(b.users), store.IntArray(b.measures), store.IntArray(b.values),
		store.IntArray(b.gone), store.IntArray(b.goneFrom), store.IntArray(b.asked))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      int64
			changed bool
			t       consultations.Tally
		)
		if err := rows.Scan(&id, &changed, &t.For, &t.Against, &t.Neutral); err != nil {
			return err
		}
		w.tallies[id] = t
		if changed {
			w.changed[id] = true
		}
	}
	return rows.Err()
}

// SQLite runs statements in the process: three of them, each with one
// JSON array of rows (or of ids) as its one bound parameter, so one
// prepared statement serves every batch size.
const (
	sqliteSetVotes = `INSERT INTO votes (user_id, target_kind, target_id, value, created_at, updated_at)
SELECT i.value ->> 0, 'measure', i.value ->> 1, i.value ->> 2, ?, ? FROM json_each(?) AS i WHERE true
ON CONFLICT (user_id, target_kind, target_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
WHERE votes.value <> excluded.value
RETURNING target_id`
	sqliteWithdrawVotes = `DELETE FROM votes WHERE id IN (
  SELECT v.id FROM json_each(?) AS i JOIN votes v ON v.user_id = i.value ->> 0 AND v.target_kind = 'measure' AND v.target_id = i.value ->> 1)
RETURNING target_id`
	sqliteReadTallies = "SELECT target_id, votes_for, votes_against, votes_neutral FROM tallies WHERE target_kind = 'measure' AND target_id IN (SELECT value FROM json_each(?))"
)

func writeBatchSQLite(ctx context.Context, tx *store.Tx, b *batchRows, w *batchWritten) error {
	collect := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			w.changed[id] = true
		}
		return rows.Err()
	}
	now := tx.Time(time.Now())
	if len(b.users) > 0 {
		if err := collect(tx.Query(ctx, sqliteSetVotes, now, now, jsonRows(b.users, b.measures, b.values))); err != nil {
			return err
		}
	}
	if len(b.gone) > 0 {
		if err := collect(tx.Query(ctx, sqliteWithdrawVotes, jsonRows(b.gone, b.goneFrom))); err != nil {
			return err
		}
	}
	rows, err := tx.Query(ctx, sqliteReadTallies, jsonRows(b.asked))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			t  consultations.Tally
		)
		if err := rows.Scan(&id, &t.For, &t.Against, &t.Neutral); err != nil {
			return err
		}
		w.tallies[id] = t
	}
	return rows.Err()
}

// jsonRows passes the columns as one JSON array: of rows when there are
// several columns, of numbers when there is one.
func jsonRows(columns ...[]int64) string {
	b := make([]byte, 0, 16*len(columns)*len(columns[0]))
	b = append(b, '[')
	for i := range columns[0] {
		if i > 0 {
			b = append(b, ',')
		}
		if len(columns) > 1 {
			b = append(b, '[')
		}
		for j, col := range columns {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, col[i], 10)
		}
		if len(columns) > 1 {
			b = append(b, ']')
		}
	}
	return string(append(b, ']'))
}

// batched reports whether a vote goes through the batcher: votes on
// measures. Ideas are checked one by one, in the write, for their own
// moderation state.
func (s *Service) batched(kind Kind) bool { return kind == KindMeasure }
