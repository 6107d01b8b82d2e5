package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/store"
)

// PruneEvery is how often the retention round runs (see Prune).
const PruneEvery = time.Hour

// pruneBatch is how many rows one statement of a round changes at most: a
// backlog goes in many short writes, so the writer (SQLite's only one) is
// never held long, and other writes pass between the batches.
const pruneBatch = 1000

// pruneJob is one part of the retention round. Each domain package deletes
// its own rows: step deletes, in tx, at most limit rows per statement of
// what is kept no longer, and answers whether more may be left.
type pruneJob struct {
	name string
	step func(ctx context.Context, tx *store.Tx, limit int) (more bool, err error)
}

// pruneJobs is what the round deletes, each by the rules of its owner.
func (a *App) pruneJobs(notes *notifications.Service) []pruneJob {
	return []pruneJob{
		{"ended sessions", a.Accounts.PruneSessions},
		{"events", func(ctx context.Context, tx *store.Tx, limit int) (bool, error) {
			return tx.PruneEvents(ctx, time.Now().Add(-store.EventRetention), store.EventKeepLast, limit)
		}},
		{"sent mail", a.Mail.PruneDone},
		{"read notifications", notes.PruneRead},
	}
}

// startPruning runs the retention round now and every interval (never
// when it is negative: tests run rounds themselves), until Close.
func (a *App) startPruning(every time.Duration, jobs []pruneJob) {
	a.prune = jobs
	if every < 0 {
		a.stopPruning = func() {}
		return
	}
	a.stopPruning = repeat(every, PruneEvery, func(ctx context.Context) {
		if _, err := a.Prune(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("retention round failed", "err", err)
		}
	})
}

// Prune runs one retention round: it deletes what is kept no longer, one
// batch per write, each write under the advisory lock store.RetentionLock.
// Every instance sharing a database runs the schedule, and one at a time
// deletes: an instance that finds the lock taken leaves the rest of its
// round to the instance holding it, and answers false. A part that fails
// is reported and the round goes on with the next.
func (a *App) Prune(ctx context.Context) (ran bool, err error) {
	var errs []error
	for _, job := range a.prune {
		locked, err := a.pruneAll(ctx, job)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("pruning %s: %w", job.name, err))
			if ctx.Err() != nil {
				return true, errors.Join(errs...)
			}
		case !locked:
			return false, errors.Join(errs...)
		}
	}
	return true, errors.Join(errs...)
}

// pruneAll runs job's step batch after batch until nothing is left, and
// answers false when another instance holds the lock.
func (a *App) pruneAll(ctx context.Context, job pruneJob) (locked bool, err error) {
	for more := true; more; {
		err := a.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
			more = false // a write may run more than once
			if locked, err = tx.TryLock(ctx, store.RetentionLock); err != nil || !locked {
				return err
			}
			more, err = job.step(ctx, tx, pruneBatch)
			return err
		})
		if err != nil || !locked {
			return locked, err
		}
	}
	return true, nil
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
