package participation

import (
	"context"
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
}

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog) *Service {
	return &Service{st: st, catalog: catalog, Screener: screening.NewScreener(st.DB), now: func() time.Time { return time.Now().UTC() }}
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

func delta(value int, sign int64) (dFor, dAgainst, dNeutral int64) {
	switch value {
	case 1:
		return sign, 0, 0
	case -1:
		return 0, sign, 0
	}
	return 0, 0, sign
}

// Vote records v's vote (1 for, 0 neutral, -1 against) on an item,
// replacing an earlier one. The unique (user, item) constraint makes one
// person one vote; the tally changes in the same transaction.
func (s *Service) Vote(ctx context.Context, v *access.Viewer, kind Kind, id int64, value int) (*VoteResult, error) {
	if err := mayWrite(v); err != nil {
		return nil, err
	}
	if value < -1 || value > 1 {
		return nil, problem.Invalid(problem.Field("value", "error.vote_value"))
	}
	pre, err := s.preloadTarget(ctx, v, kind, id)
	if err != nil {
		return nil, err
	}
	var out *VoteResult
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		t, err := recheckTarget(ctx, tx, v, pre)
		if err != nil {
			return err
		}
		now := s.now()
		// Read the vote, or insert it; when a request of the same person
		// inserts it between the two, read again.
		var (
			old   int
			found bool
		)
		for attempt := 0; ; attempt++ {
			if old, found, err = currentVote(ctx, tx, v.UserID, kind, id); err != nil || found {
				break
			}
			var inserted int64
			err = tx.QueryRow(ctx, `INSERT INTO votes (user_id, target_kind, target_id, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, target_kind, target_id) DO NOTHING RETURNING id`, v.UserID, string(kind), id, value, tx.Time(now), tx.Time(now)).Scan(&inserted)
			if err != nil && !store.IsNoRows(err) {
				return err
			}
			if err == nil {
				break
			}
			err = nil
			if attempt == 3 {
				return problem.Conflict("error.vote_busy")
			}
		}
		if err != nil {
			return err
		}
		var dF, dA, dN int64
		if found {
			if old == value {
				tally, err := addToTally(ctx, tx, kind, id, 0, 0, 0, 0)
				out = &VoteResult{Tally: tally, MyVote: &value}
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE votes SET value = ?, updated_at = ? WHERE user_id = ? AND target_kind = ? AND target_id = ?",
				value, tx.Time(now), v.UserID, string(kind), id); err != nil {
				return err
			}
			dF, dA, dN = delta(old, -1)
		}
		pF, pA, pN := delta(value, 1)
		tally, err := addToTally(ctx, tx, kind, id, dF+pF, dA+pA, dN+pN, 0)
		if err != nil {
			return err
		}
		out = &VoteResult{Tally: tally, MyVote: &value}
		return emitTally(ctx, tx, t, tally)
	})
	return out, err
}

// emitTally tells the item's and the consultation's subscribers the new
// tally; votes committed together make one event per item.
func emitTally(ctx context.Context, tx *store.Tx, t *target, tally consultations.Tally) error {
	return tx.EmitLatest(ctx, "tally:"+t.Topic(), "vote.tally", TallyEvent{Target: t.Kind, ID: t.ID, Tally: tally}, t.public(t.Topic(), t.ConsultationTopic())...)
}

// Unvote withdraws v's vote on an item; without one it answers the tally.
func (s *Service) Unvote(ctx context.Context, v *access.Viewer, kind Kind, id int64) (*VoteResult, error) {
	if err := mayWrite(v); err != nil {
		return nil, err
	}
	pre, err := s.preloadTarget(ctx, v, kind, id)
	if err != nil {
		return nil, err
	}
	var out *VoteResult
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		t, err := recheckTarget(ctx, tx, v, pre)
		if err != nil {
			return err
		}
		var removed int
		err = tx.QueryRow(ctx, "DELETE FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ? RETURNING value", v.UserID, string(kind), id).Scan(&removed)
		if store.IsNoRows(err) {
			tally, err := addToTally(ctx, tx, kind, id, 0, 0, 0, 0)
			out = &VoteResult{Tally: tally}
			return err
		}
		if err != nil {
			return err
		}
		dF, dA, dN := delta(removed, -1)
		tally, err := addToTally(ctx, tx, kind, id, dF, dA, dN, 0)
		if err != nil {
			return err
		}
		out = &VoteResult{Tally: tally}
		return emitTally(ctx, tx, t, tally)
	})
	return out, err
}

// currentVote reads a person's vote on an item, locking it on PostgreSQL
// so that two requests of the same person change it one after the other.
func currentVote(ctx context.Context, tx *store.Tx, userID int64, kind Kind, id int64) (int, bool, error) {
	q := "SELECT value FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ?"
	if tx.Driver() == config.Postgres {
		q += " FOR UPDATE"
	}
	var value int
	err := tx.QueryRow(ctx, q, userID, string(kind), id).Scan(&value)
	if store.IsNoRows(err) {
		return 0, false, nil
	}
	return value, err == nil, err
}

// MyVote reads v's vote on an item (nil when none or anonymous).
func (s *Service) MyVote(ctx context.Context, v *access.Viewer, kind Kind, id int64) (*int, error) {
	if !v.SignedIn() {
		return nil, nil
	}
	var values []int
	err := s.st.DB.NewRaw("SELECT value FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ?", v.UserID, kind, id).Scan(ctx, &values)
	if err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	if len(values) == 0 {
		return nil, nil
	}
	return &values[0], nil
}
