package server

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/store"
)

// PhaseEvery is how often due consultation dates are fired: a phase
// changes within this long (well within a minute) of its date.
const PhaseEvery = 20 * time.Second

// startSchedule fires due consultation dates now and every interval,
// until Close. Every instance runs it; a date fires once across them
// (consultations.Service.AdvancePhases).
func (a *App) startSchedule(every time.Duration) {
	if every <= 0 {
		every = PhaseEvery
	}
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	done := make(chan struct{})
	a.stopSchedule = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			n, err := a.Consultations.AdvancePhases(ctx, time.Now().UTC())
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Warn("changing scheduled consultation phases failed", "err", err)
			case n > 0:
				a.log.Info("consultation phases changed by their schedule", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}
