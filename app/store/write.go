package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
)

// Tx is one write. It is a bun transaction plus Emit, which puts an event
// into the outbox so that it commits exactly when the change does.
type Tx struct {
	bun.Tx
	driver config.Driver
	store  *Store
	// events are this write's events, written when its group commits.
	events events
}

// WriteFunc does the work of one write. It must only touch the database
// through tx: it shares a transaction with the other writes of its group,
// and when it returns an error only its own changes are undone. It may run
// more than once (see writer), so it must not act outside the database.
type WriteFunc func(ctx context.Context, tx *Tx) error

// ErrClosed answers writes after Close.
var ErrClosed = errors.New("store: closed")

// Write runs fn in a transaction and returns once that transaction is
// durably committed (or fn's error once its changes are undone).
func (s *Store) Write(ctx context.Context, fn WriteFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := int64(len(s.writers))
	// A write without a key (lockKeys leaves it alone) takes the writers in turn.
	key, _ := ctx.Value(writeKey{}).(int64)
	w := key
	if w <= 0 {
		w = s.nextWriter.Add(1)
	}
	return s.writers[w%n].submit(ctx, key, fn)
}

type writeKey struct{}

// For marks the writes made with ctx as writes about key. On PostgreSQL
// several writers commit groups side by side (SQLite has one): writes
// about one key always go to the same writer, so two groups never hold
// the same rows against each other; other writes take the writers in
// turn. Votes and comments use their item's field as the key: the rows
// they share (the items' tallies, the field's inbox counts) are a field's,
// and with the item as the key two writers' groups locked one field's
// counts in opposite orders and waited out PostgreSQL's deadlock timeout
// (comments 26-35/s, p99 3-4 s; by field 866-892/s, p99 99-104 ms; votes
// 3,378-3,416/s by item, 2,885-3,074/s by field; bench comment and vote-64,
// two rounds each in turn, 7 December 2026).
//
// Instances sharing one PostgreSQL database each have their writers, so
// a group on PostgreSQL also takes a transaction advisory lock on each of
// its keys, in the order of the keys, before its first write: groups of
// different instances about one key then run one after the other instead
// of locking its rows in opposite orders. Without the locks, three
// instances answered 22 comments/s and 23 votes/s, with p99 7-8 s spent
// waiting out deadlocks (bench --instances 3, 7 December 2026).
func For(ctx context.Context, key int64) context.Context {
	return context.WithValue(ctx, writeKey{}, key)
}

// writer is the one write path, the same on both databases: a goroutine
// takes the writes waiting at a moment and commits them as one group, one
// transaction, so one commit (one fsync) serves them all and a hot row
// (an item's tally) is locked once per group rather than once per write.
// On SQLite, single-row inserts each committed on their own ran at
// 4,900–5,400/s (baseline-write), grouped votes at 6,000–6,800/s, each
// with its tally and event (docs/performance.md, 6 December 2026).
//
// A group first runs without savepoints: a savepoint is two more
// statements per write (two round trips on PostgreSQL) and writes rarely
// fail. When one does fail, the group is rolled back, that write is
// answered with its error, and the others run again, each in a savepoint
// of its own so that a second failure undoes only itself.
type writer struct {
	db       *bun.DB
	driver   config.Driver
	store    *Store
	requests chan *writeRequest
	maxGroup int

	mu     sync.RWMutex
	closed bool
}

type writeRequest struct {
	ctx context.Context
	// key is the write's key (For); one that is not positive is none.
	key  int64
	fn   WriteFunc
	done chan error
	err  error
	// failed marks a write answered with its error in an earlier run of
	// its group.
	failed bool
}

func newWriter(s *Store) *writer {
	return &writer{db: s.write, driver: s.Driver, store: s, requests: make(chan *writeRequest, 4096), maxGroup: 512}
}

func (w *writer) submit(ctx context.Context, key int64, fn WriteFunc) error {
	req := &writeRequest{ctx: ctx, key: key, fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.requests <- req:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	// Once queued, wait for the outcome even if the caller gives up: the
	// write may already be part of a committing group.
	return <-req.done
}

func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.requests)
	}
	w.mu.Unlock()
}

func (w *writer) run() {
	group := make([]*writeRequest, 0, w.maxGroup)
	for first := range w.requests {
		group = append(group[:0], first)
	collect:
		for len(group) < w.maxGroup {
			select {
			case req, ok := <-w.requests:
				if !ok {
					break collect
				}
				group = append(group, req)
			default:
				break collect
			}
		}
		w.commit(group)
	}
}

// commit runs one group until it commits or every write in it has its
// answer, then answers them.
func (w *writer) commit(group []*writeRequest) {
	savepoints := false
	for attempt := 0; ; attempt++ {
		for _, req := range group {
			if !req.failed {
				req.err = nil
			}
		}
		err := w.runGroup(group, savepoints)
		if err == errWriteFailed && !savepoints {
			savepoints = true
			continue
		}
		// A serialization failure or deadlock (between PostgreSQL writers
		// or instances) goes away when the group runs again.
		if err != nil && isRetryable(err) && attempt < 5 {
			continue
		}
		for _, req := range group {
			if err != nil && !req.failed {
				req.err = err
			}
			req.done <- req.err
		}
		return
	}
}

// errWriteFailed ends a run without savepoints in which a write failed.
var errWriteFailed = errors.New("store: a write of the group failed")

// runGroup runs the group's writes in one transaction and commits it. A
// write that fails is marked failed with its error; without savepoints
// the run then stops with errWriteFailed, having changed nothing.
func (w *writer) runGroup(group []*writeRequest, savepoints bool) error {
	ctx := context.Background()
	btx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: btx, driver: w.driver, store: w.store}
	if err := w.lockKeys(ctx, tx, group); err != nil {
		_ = btx.Rollback()
		return err
	}
	var all events
	succeeded := 0
	for _, req := range group {
		if req.failed {
			continue
		}
		if err := req.ctx.Err(); err != nil {
			req.err, req.failed = err, true
			continue
		}
		ok, err := w.runOne(ctx, tx, req, savepoints)
		if err != nil {
			_ = btx.Rollback()
			return err
		}
		if !ok {
			continue
		}
		succeeded++
		all.merge(&tx.events)
	}
	if succeeded == 0 {
		return btx.Rollback()
	}
	if err := all.write(ctx, tx); err != nil {
		_ = btx.Rollback()
		return err
	}
	if err := btx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if len(all.list) > 0 {
		w.store.outbox.committed(all.told())
	}
	return nil
}

// lockKeys takes, on PostgreSQL, the advisory lock of every key of the
// group's writes, in ascending order, so that two groups sharing keys wait
// for each other rather than deadlock (see For). Keys share the two-number lock space, apart from
// the one-number locks of the sequencer and of TryLock.
func (w *writer) lockKeys(ctx context.Context, tx *Tx, group []*writeRequest) error {
	if w.driver != config.Postgres {
		return nil
	}
	var keys []int64
	for _, req := range group {
		if req.key > 0 && !req.failed {
			keys = append(keys, req.key%keySpace)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?, CAST(? AS INTEGER))", writeKeyClass, k); err != nil {
			return err
		}
	}
	return nil
}

// writeKeyClass is the first number of the write keys' advisory locks;
// keySpace bounds the second, a PostgreSQL integer (keys past it share a
// lock, which only makes their writes wait for each other).
const (
	writeKeyClass = 7_246
	keySpace      = 1 << 31
)

// runOne runs one write of a group and answers whether it succeeded; an
// error means the whole run must stop.
func (w *writer) runOne(ctx context.Context, tx *Tx, req *writeRequest, savepoints bool) (bool, error) {
	// Savepoints go straight to database/sql: through bun each would pass
	// the query hooks and the formatter.
	if savepoints {
		if _, err := tx.Tx.Tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
			return false, err
		}
	}
	tx.events.reset()
	err := callWrite(context.WithoutCancel(req.ctx), req.fn, tx)
	if err == nil {
		if savepoints {
			_, err := tx.Tx.Tx.ExecContext(ctx, "RELEASE write")
			return err == nil, err
		}
		return true, nil
	}
	if isRetryable(err) {
		return false, err
	}
	req.err, req.failed = err, true
	if !savepoints {
		return false, errWriteFailed
	}
	_, rbErr := tx.Tx.Tx.ExecContext(ctx, "ROLLBACK TO write")
	_, relErr := tx.Tx.Tx.ExecContext(ctx, "RELEASE write")
	return false, errors.Join(rbErr, relErr)
}

func callWrite(ctx context.Context, fn WriteFunc, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicked{fmt.Sprint(r)}
		}
	}()
	return fn(ctx, tx)
}

type panicked struct{ value string }

func (p panicked) Error() string { return "write panicked: " + p.value }

// IsNoRows reports sql.ErrNoRows.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
