package server

import (
	"context"
	"time"
)

// PhaseEvery is how often due consultation dates are fired: a phase
// changes within this long (well within a minute) of its date.
const PhaseEvery = 20 * time.Second

// startSchedule fires due consultation dates now and every interval,
// until Close. Every instance runs it; a date fires once across them
// (consultations.Service.AdvancePhases).
func (a *App) startSchedule(every time.Duration) {
	a.stopSchedule = repeat(every, PhaseEvery, func(ctx context.Context) {
		n, err := a.Consultations.AdvancePhases(ctx, time.Now().UTC())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("changing scheduled consultation phases failed", "err", err)
		case n > 0:
			a.log.Info("consultation phases changed by their schedule", "count", n)
		}
	})
}
