package participation

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/store"
)

// Service runs participation reads and writes.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
	// Screener flags contributions with listed terms for moderators.
	Screener *screening.Screener
	now      func() time.Time
	// votes writes the votes on measures that arrive together as one batch.
	votes *voteBatcher
}

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog) *Service {
	return &Service{st: st, catalog: catalog, Screener: screening.NewScreener(st.DB), now: func() time.Time { return time.Now().UTC() }, votes: newVoteBatcher(st)}
}

// flags answers the screening terms found in texts, as stored JSON.
func (s *Service) flags(ctx context.Context, texts ...string) (string, bool, error) {
	m, err := s.Screener.Matcher(ctx)
	if err != nil {
		return "", false, err
	}
	raw, flagged := flagsJSON(m.Find(texts...))
	return raw, flagged, nil
}

// flagsJSON stores found terms as a JSON array.
func flagsJSON(found []string) (string, bool) {
	if len(found) == 0 {
		return "[]", false
	}
	raw, _ := json.Marshal(found)
	return string(raw), true
}

// VoteResult is the answer to a vote: the item's tally and the caller's vote.
type VoteResult struct {
	Tally  consultations.Tally `json:"tally"`
	MyVote *int                `json:"my_vote"`
}

// TallyEvent is the data of a vote.tally event.
type TallyEvent struct {
	Target Kind                `json:"target"`
	ID     int64               `json:"id"`
	Tally  consultations.Tally `json:"tally"`
}

// Vote records v's vote (1 for, 0 neutral, -1 against) on an item,
// replacing an earlier one. The unique (user, item) constraint makes one
// person one vote; triggers change the tally in the same statement.
func (s *Service) Vote(ctx context.Context, v *access.Viewer, kind Kind, id int64, value int) (*VoteResult, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	if value < -1 || value > 1 {
		return nil, problem.Invalid(problem.Field("value", "error.vote_value"))
	}
	return s.changeVote(ctx, v, kind, id, &value)
}

// Unvote withdraws v's vote on an item; without one it answers the tally.
func (s *Service) Unvote(ctx context.Context, v *access.Viewer, kind Kind, id int64) (*VoteResult, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	return s.changeVote(ctx, v, kind, id, nil)
}

// changeVote sets v's vote on an item to value, or withdraws it (nil).
func (s *Service) changeVote(ctx context.Context, v *access.Viewer, kind Kind, id int64, value *int) (*VoteResult, error) {
	pre, err := s.preloadTarget(ctx, v, kind, id)
	if err != nil {
		return nil, err
	}
	if s.batched(kind) {
		return s.votes.submit(ctx, &voteRequest{t: pre, userID: v.UserID, value: value})
	}
	var out *VoteResult
	err = s.st.WriteLast(ctx, func(ctx context.Context, tx *store.Tx) error {
		t, err := recheckTarget(ctx, tx, v, pre)
		if err != nil {
			return err
		}
		out, err = writeVote(ctx, tx, t, v.UserID, value, s.now())
		return err
	})
	return out, err
}

// writeVote changes one vote as the last statement of a write (see
// Store.WriteLast) and answers the item's tally after it.
func writeVote(ctx context.Context, tx *store.Tx, t *target, userID int64, value *int, now time.Time) (*VoteResult, error) {
	query, args := voteChange(tx, userID, t, value, now)
	if tx.Driver() == config.Postgres {
		return changeVotePostgres(ctx, tx, t, value, query, args)
	}
	// One writer: what this reads stays true until the change below.
	tally, old, err := tallyAndVote(ctx, tx, userID, t.Kind, t.ID)
	if err != nil {
		return nil, err
	}
	out := &VoteResult{Tally: tally, MyVote: value}
	if sameVote(old, value) {
		return out, nil
	}
	if old != nil {
		tally.Add(*old, -1)
	}
	if value != nil {
		tally.Add(*value, 1)
	}
	out.Tally = tally
	if err := emitTally(ctx, tx, t, tally); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, query, args...); err != nil {
		return nil, err
	}
	return out, nil
}

func sameVote(a, b *int) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// upsertVote inserts or replaces a vote; the triggers on votes keep the
// tally (migration 20261124000016).
const upsertVote = `INSERT INTO votes (user_id, target_kind, target_id, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, target_kind, target_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
WHERE votes.value <> excluded.value`

const deleteVote = "DELETE FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ?"

// voteChange is the statement that sets a person's vote to value, or
// withdraws it (nil).
func voteChange(tx *store.Tx, userID int64, t *target, value *int, now time.Time) (string, []any) {
	if value == nil {
		return deleteVote, []any{userID, string(t.Kind), t.ID}
	}
	at := tx.Time(now)
	return upsertVote, []any{userID, string(t.Kind), t.ID, *value, at, at}
}

// changeVotePostgres runs a vote's change on PostgreSQL, where writes run
// side by side: the tally is read after the change, while this
// transaction holds the tally row's lock, so every event carries a tally
// that was true.
func changeVotePostgres(ctx context.Context, tx *store.Tx, t *target, value *int, query string, args []any) (*VoteResult, error) {
	res, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	changed, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	tally, _, err := tallyAndVote(ctx, tx, 0, t.Kind, t.ID)
	if err != nil {
		return nil, err
	}
	if changed > 0 {
		if err := emitTally(ctx, tx, t, tally); err != nil {
			return nil, err
		}
	}
	return &VoteResult{Tally: tally, MyVote: value}, nil
}

// tallyAndVote reads an item's tally and a person's vote on it.
func tallyAndVote(ctx context.Context, tx *store.Tx, userID int64, kind Kind, id int64) (consultations.Tally, *int, error) {
	var (
		t   consultations.Tally
		old sql.NullInt64
	)
	err := tx.QueryRow(ctx, `SELECT COALESCE(t.votes_for, 0), COALESCE(t.votes_against, 0), COALESCE(t.votes_neutral, 0), v.value
FROM (SELECT 1 AS one) AS one
LEFT JOIN tallies t ON t.target_kind = ? AND t.target_id = ?
LEFT JOIN votes v ON v.user_id = ? AND v.target_kind = ? AND v.target_id = ?`, string(kind), id, userID, string(kind), id).Scan(&t.For, &t.Against, &t.Neutral, &old)
	if err != nil || !old.Valid {
		return t, nil, err
	}
	value := int(old.Int64)
	return t, &value, nil
}

// emitTally tells the item's and the consultation's subscribers the new
// tally; votes committed together make one event per item.
func emitTally(ctx context.Context, tx *store.Tx, t *target, tally consultations.Tally) error {
	return tx.EmitLatest(ctx, "tally:"+t.Topic(), "vote.tally", TallyEvent{Target: t.Kind, ID: t.ID, Tally: tally}, t.public(t.Topic(), t.ConsultationTopic())...)
}

// MyVote reads v's vote on an item (nil when none or anonymous).
func (s *Service) MyVote(ctx context.Context, v *access.Viewer, kind Kind, id int64) (*int, error) {
	if !v.SignedIn() {
		return nil, nil
	}
	// Every signed-in reader of a measure page asks: a raw statement, so
	// that PostgreSQL keeps it prepared.
	var value int
	err := s.st.QueryRow(ctx, "SELECT value FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ?", v.UserID, string(kind), id).Scan(&value)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &value, nil
}
