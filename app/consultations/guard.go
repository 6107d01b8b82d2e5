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
// The read keeps the consultation's row from changing until the write
// commits (store.QueryRowForShare), so a phase change to "closed" on
// another instance waits for contributions already in flight, and every
// contribution after it sees "closed". It answers the consultation's
// moderation mode as read under that lock: a contribution read before it
// could otherwise be published after a switch to pre-moderation.
func GuardWrite(ctx context.Context, tx *store.Tx, v *access.Viewer, consultationID int64) (moderation string, err error) {
	if err := v.MayContributeIn(consultationID); err != nil {
		return "", err
	}
	// A closing date that has passed ends participation at once, even
	// before the schedule (AdvancePhases) has closed the consultation.
	var phase string
	var closed bool
	if err := tx.QueryRowForShare(ctx, "SELECT phase, moderation, COALESCE(closes_at <= ?, FALSE) FROM consultations WHERE id = ?",
		tx.Time(time.Now()), consultationID).Scan(&phase, &moderation, &closed); err != nil {
		if store.IsNoRows(err) {
			return "", problem.NotFound()
		}
		return "", err
	}
	switch {
	case HasEnded(phase) || (phase == PhaseOpen && closed):
		return "", ErrEnded
	case phase != PhaseOpen:
		return "", ErrNotOpen
	}
	return moderation, nil
}
