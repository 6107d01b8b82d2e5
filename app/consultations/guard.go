package consultations

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// ErrNotOpen answers a contribution to a consultation that is not open
// yet; ErrEnded one to a consultation that has ended.
var (
	ErrNotOpen = problem.Conflict("error.not_open")
	ErrEnded   = problem.Conflict("error.ended")
)

// HasEnded reports a phase after participation: closed or evaluated.
func HasEnded(phase string) bool { return phase == PhaseClosed || phase == PhaseEvaluated }

// GuardWrite is called inside every write that contributes to a
// consultation (votes, comments, ideas). It refuses a code account's
// contribution to another consultation than its own (403), reads the
// consultation's phase as committed, and refuses with 409 unless it is open.
//
// Every contribution that starts after a phase change has committed sees
// it. The row is not locked: a write that read "open" just before a manual
// close on another instance still commits, a moment after it. Locking it
// (FOR SHARE) made every contribution to a consultation take a row lock on
// one row, shared between PostgreSQL writers as a MultiXact: votes ran at
// 2,111/s with it against 3,455/s without (bench vote-64, PostgreSQL, one
// run, 7 December 2026). A closing date is exact either way, since the
// date is compared here, not only the phase the schedule sets.
func GuardWrite(ctx context.Context, tx *store.Tx, v *access.Viewer, consultationID int64) error {
	if err := v.MayContributeIn(consultationID); err != nil {
		return err
	}
	// A closing date that has passed ends participation at once, even
	// before the schedule (AdvancePhases) has closed the consultation.
	var phase string
	var closed bool
	if err := tx.QueryRow(ctx, "SELECT phase, COALESCE(closes_at <= ?, FALSE) FROM consultations WHERE id = ?",
		tx.Time(time.Now()), consultationID).Scan(&phase, &closed); err != nil {
		if store.IsNoRows(err) {
			return problem.NotFound()
		}
		return err
	}
	switch {
	case HasEnded(phase) || (phase == PhaseOpen && closed):
		return ErrEnded
	case phase != PhaseOpen:
		return ErrNotOpen
	}
	return nil
}
