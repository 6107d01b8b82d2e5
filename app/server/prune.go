package server

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/store"
)

// PruneEvery is how often ended sessions and expired sign-in challenges
// are deleted.
const PruneEvery = time.Hour

// startPruning deletes ended sessions and expired sign-in challenges now
// and every interval, until Close. Deleting is idempotent, so every
// instance on a shared database may do it.
func (a *App) startPruning(every time.Duration) {
	a.stopPruning = repeat(every, PruneEvery, func(ctx context.Context) {
		if err := a.Accounts.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning ended sessions failed", "err", err)
		}
	})
}

// repeat runs job now and every interval (fallback when interval is not
// positive) in a goroutine of its own; the function it answers stops it
// and waits for a running job to end.
func repeat(every, fallback time.Duration, job func(ctx context.Context)) (stop func()) {
	if every <= 0 {
		every = fallback
	}
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			job(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
