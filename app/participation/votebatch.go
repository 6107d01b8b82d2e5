package participation

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/store"
)

// voteBatcher writes the votes on measures that arrive together on
// PostgreSQL in one transaction, a group commit like SQLite's writer.
//
// Written one per transaction, every vote on a measure waits for the
// previous vote's transaction to commit, because each holds the measure's
// tally row from its change until its commit (about 1,200 votes/s on two
// cores whatever the number of connections). A batch changes all its
// votes with one statement, reads the tallies with one and writes the
// tally events with one: six round trips and one commit for any number
// of votes. One batch runs at a time per instance; instances behind a
// load balancer wait for each other on the tally rows as before.
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
				query, args := voteChange(tx, r.userID, r.t, r.value, time.Now().UTC())
				return changeVotePostgres(ctx, tx, r.t, r.value, &out, query, args)
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
	// Rows are changed in (measure, person) order, so that the batches of
	// several instances take the tally rows' locks in the same order and
	// never wait for each other in a circle. (Two batches at once in one
	// instance were tried: no faster on two cores.)
	var users, measures, values, gone, goneFrom []int64
	for i, r := range batch {
		if err := phaseErr[r.t.ConsultationID]; err != nil {
			outcomes[i].err = err
			continue
		}
		if r.value == nil {
			gone, goneFrom = append(gone, r.userID), append(goneFrom, r.t.ID)
			continue
		}
		users, measures, values = append(users, r.userID), append(measures, r.t.ID), append(values, int64(*r.value))
	}
	changed := map[int64]bool{}
	collect := func(rows interface {
		Next() bool
		Scan(...any) error
		Close() error
		Err() error
	}, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			changed[id] = true
		}
		return rows.Err()
	}
	now := tx.Time(time.Now())
	if len(users) > 0 {
		if err := collect(tx.Query(ctx, `INSERT INTO votes (user_id, target_kind, target_id, value, created_at, updated_at)
SELECT u, 'measure', m, v, ?, ? FROM unnest(?::bigint[], ?::bigint[], ?::smallint[]) AS i(u, m, v) ORDER BY m, u
ON CONFLICT (user_id, target_kind, target_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
WHERE votes.value <> excluded.value
RETURNING target_id`, now, now, store.IntArray(users), store.IntArray(measures), store.IntArray(values))); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		if err := collect(tx.Query(ctx, `DELETE FROM votes v USING unnest(?::bigint[], ?::bigint[]) AS i(u, m)
WHERE v.user_id = i.u AND v.target_kind = 'measure' AND v.target_id = i.m
RETURNING v.target_id`, store.IntArray(gone), store.IntArray(goneFrom))); err != nil {
			return err
		}
	}
	// The tallies are read after the changes, while this transaction
	// holds the rows it changed: each is true at commit.
	ids := make([]int64, 0, len(batch))
	for _, r := range batch {
		ids = append(ids, r.t.ID)
	}
	tallies := map[int64]consultations.Tally{}
	rows, err := tx.Query(ctx, "SELECT target_id, votes_for, votes_against, votes_neutral FROM tallies WHERE target_kind = 'measure' AND target_id = ANY(?::bigint[])", store.IntArray(ids))
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
		tallies[id] = t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var events []store.Emission
	announced := map[int64]bool{}
	for i, r := range batch {
		if outcomes[i].err != nil {
			continue
		}
		tally := tallies[r.t.ID]
		outcomes[i].res = &VoteResult{Tally: tally, MyVote: r.value}
		if changed[r.t.ID] && !announced[r.t.ID] {
			announced[r.t.ID] = true
			events = append(events, store.Emission{
				Data:   TallyEvent{Target: KindMeasure, ID: r.t.ID, Tally: tally},
				Topics: r.t.public(r.t.Topic(), r.t.ConsultationTopic()),
			})
		}
	}
	return tx.EmitStates(ctx, "vote.tally", events)
}

// batched reports whether a vote goes through the batcher: votes on
// measures on PostgreSQL. Ideas are checked one by one (their own
// moderation state), and SQLite's writer groups every write already.
func (s *Service) batched(kind Kind) bool {
	return s.votes != nil && kind == KindMeasure
}
