package store

import (
	"context"

	"github.com/mitreden/mitreden/app/config"
)

// SkipLocked is the clause that ends a select of this write claiming
// queued work (mails): on PostgreSQL it locks the rows it answers and
// passes over rows another instance holds, so two instances claiming at
// once take different rows instead of waiting for each other. SQLite's one
// writer orders every claim already.
func (tx *Tx) SkipLocked() string {
	if tx.driver == config.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// RetentionLock is the advisory lock of the retention round (server's
// prune.go), taken with TryLock. The other keys are setupLock and
// sequencerLock; a new one takes the next number.
const RetentionLock = 7_246_118_002

// TryLock takes the advisory lock key until this write's transaction ends
// and answers true, or answers false at once when another transaction
// holds it: on PostgreSQL, where instances share the database, work that
// one instance at a time is to do asks first, and the others leave it. It
// never waits. On SQLite it is always true: the one writer runs one
// transaction at a time already.
func (tx *Tx) TryLock(ctx context.Context, key int64) (bool, error) {
	if tx.driver != config.Postgres {
		return true, nil
	}
	var ok bool
	err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(?)", key).Scan(&ok)
	return ok, err
}
