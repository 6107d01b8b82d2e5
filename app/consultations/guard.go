package consultations

import (
	"context"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// ErrNotOpen answers a contribution to a consultation that is not open.
var ErrNotOpen = problem.Conflict("error.not_open")

// GuardWrite is called inside every write that contributes to a
// consultation (votes, comments, ideas). It refuses a code account's
// contribution to another consultation than its own (403), reads the
// consultation's phase as committed, and refuses with 409 unless it is open.
//
// The read keeps the consultation's row from changing until the write
// commits (store.QueryRowForShare), so a phase change to "closed" on
// another instance waits for contributions already in flight, and every
// contribution after it sees "closed".
func GuardWrite(ctx context.Context, tx *store.Tx, v *access.Viewer, consultationID int64) error {
	if err := v.MayContributeIn(consultationID); err != nil {
		return err
	}
	var phase string
	if err := tx.QueryRowForShare(ctx, "SELECT phase FROM consultations WHERE id = ?", consultationID).Scan(&phase); err != nil {
		if store.IsNoRows(err) {
			return problem.NotFound()
		}
		return err
	}
	if phase != PhaseOpen {
		return ErrNotOpen
	}
	return nil
}
