package consultations

import (
	"context"
	"database/sql"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// phaseLockClass namespaces the advisory locks that order contributions
// against phase changes on PostgreSQL.
const phaseLockClass = 7246

// ErrNotOpen answers a contribution to a consultation that is not open.
var ErrNotOpen = problem.Conflict("error.not_open")

// GuardWrite is called inside every write that contributes to a
// consultation (votes, comments, ideas, reports). It answers the
// consultation's phase as committed, and refuses with 409 unless it is open.
//
// On PostgreSQL it takes a shared advisory lock that a phase change takes
// exclusively: a change to "closed" waits for contributions already in
// flight, and every contribution after it sees "closed". (SQLite has one
// writer, so its writes are ordered already.) A shared advisory lock is
// used rather than SELECT … FOR SHARE, which would write to the
// consultation's row on every vote.
//
// phaseSeen is the phase the caller read in this same write: on SQLite,
// where the single writer orders everything, it is already the committed
// phase and is used as it is.
func GuardWrite(ctx context.Context, tx *store.Tx, consultationID int64, phaseSeen string) error {
	phase := phaseSeen
	key := phaseKey(consultationID)
	if phase == "" && tx.Driver() == config.SQLite {
		if p, ok := tx.Recall(key); ok {
			phase = p.(string)
		}
	}
	switch {
	case tx.Driver() == config.Postgres:
		// The lock and the read in one round trip (migration 18).
		var found sql.NullString
		if err := tx.QueryRow(ctx, "SELECT consultation_phase_locked(?, ?, ?)", phaseLockClass, int32(consultationID), consultationID).Scan(&found); err != nil {
			return err
		}
		if !found.Valid {
			return problem.NotFound()
		}
		phase = found.String
	case phase == "":
		if err := tx.QueryRow(ctx, "SELECT phase FROM consultations WHERE id = ?", consultationID).Scan(&phase); err != nil {
			if store.IsNoRows(err) {
				return problem.NotFound()
			}
			return err
		}
		tx.Remember(key, phase)
	}
	if phase != PhaseOpen {
		return ErrNotOpen
	}
	return nil
}

// phaseKey is what GuardWrite remembers a consultation's phase under
// for the rest of a group commit.
type phaseKey int64

// lockPhase takes the exclusive side of GuardWrite's lock; every write
// that changes a phase calls it first.
func lockPhase(ctx context.Context, tx *store.Tx, consultationID int64) error {
	tx.Forget(phaseKey(consultationID))
	if tx.Driver() != config.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, ?)", phaseLockClass, int32(consultationID))
	return err
}
