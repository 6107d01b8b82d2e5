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
	if every <= 0 {
		every = PruneEvery
	}
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	done := make(chan struct{})
	a.stopPruning = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if err := a.Accounts.PruneSessions(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("pruning ended sessions failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}
