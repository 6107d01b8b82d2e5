package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
)

// Tx is one write. It is a bun transaction plus Emit, which puts an event
// into the outbox so that it commits exactly when the change does.
type Tx struct {
	bun.Tx
	driver  config.Driver
	store   *Store
	emitted bool
	// topics lists the topics of the events written, for Store.OnCommit.
	topics []string
	// latest collects EmitLatest's events of the write running now; nil
	// outside a group commit, where they are written at once.
	latest *latestEvents
	// memo holds what writes of this transaction read and only writes
	// could change (see Recall); under group commit it lives as long as
	// the group.
	memo map[any]any
}

// Recall answers a value an earlier write of this transaction remembered.
//
// On SQLite every write of a group commit runs in one transaction on the
// one writer, one after the other, so a value read by one write stays
// true for the next ones unless a write changes it, and such a write must
// call Forget. Votes use it for the consultation's phase, which every
// contribution checks and almost nothing changes.
func (tx *Tx) Recall(key any) (any, bool) {
	v, ok := tx.memo[key]
	return v, ok
}

// Remember keeps value under key for the rest of the transaction.
func (tx *Tx) Remember(key, value any) {
	if tx.memo == nil {
		tx.memo = map[any]any{}
	}
	tx.memo[key] = value
}

// Forget drops what was remembered under key.
func (tx *Tx) Forget(key any) { delete(tx.memo, key) }

// Driver tells which database the transaction runs on, for the rare
// statement that differs (advisory locks exist only on PostgreSQL).
func (tx *Tx) Driver() config.Driver { return tx.driver }

// WriteFunc does the work of one write. It must only touch the database
// through tx: under group commit it shares a transaction with other writes,
// and when it returns an error only its own changes are rolled back.
type WriteFunc func(ctx context.Context, tx *Tx) error

// ErrClosed answers writes after Close.
var ErrClosed = errors.New("store: closed")

// Write runs fn in a transaction and returns once that transaction is
// durably committed (or fn's error once its changes are undone).
func (s *Store) Write(ctx context.Context, fn WriteFunc) error {
	return s.submitWrite(ctx, fn, false)
}

// WriteLast is Write for a write whose one change is its last statement:
// fn reads what it needs and then either returns an error without having
// changed anything, or changes the database with exactly one statement
// (its triggers included) and returns that statement's error. A statement
// that fails undoes itself, so under group commit such a write needs no
// savepoint of its own: two statements fewer in the one writer goroutine
// every write waits for. Votes are written this way.
func (s *Store) WriteLast(ctx context.Context, fn WriteFunc) error {
	return s.submitWrite(ctx, fn, true)
}

func (s *Store) submitWrite(ctx context.Context, fn WriteFunc, last bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.group != nil {
		return s.group.submit(ctx, fn, last)
	}
	for attempt := 0; ; attempt++ {
		tx := &Tx{driver: s.Driver, store: s}
		err := s.write.RunInTx(ctx, nil, func(ctx context.Context, btx bun.Tx) error {
			tx.Tx = btx
			return callWrite(ctx, fn, tx)
		})
		if err != nil && isRetryable(err) && attempt < 5 {
			continue
		}
		if err == nil && tx.emitted {
			s.outbox.committed(tx.topics)
		}
		return err
	}
}

// groupWriter owns SQLite's only write connection. Writes queue up while
// the previous group commits; each group is one BEGIN IMMEDIATE … COMMIT,
// so one fsync serves every write in it.
type groupWriter struct {
	db       *bun.DB
	outbox   *outbox
	accounts *accountWatch
	requests chan *writeRequest
	maxGroup int

	mu     sync.RWMutex
	closed bool

	// held keeps EmitLatest events whose key had an event written less
	// than latestSpacing ago, the newest per key, until a later group or
	// a flush writes them; written says when each key's last one was.
	// Without it a rush of votes on a few measures writes one tally event
	// per measure per group, about one outbox row per vote, while the
	// live hub sends each item's tally at most five times a second anyway.
	held    latestEvents
	written map[string]time.Time
}

// latestSpacing is how often at most an EmitLatest key gets an event
// under group commit; the last state is always written, at most this
// much later.
const latestSpacing = 100 * time.Millisecond

type writeRequest struct {
	ctx  context.Context
	fn   WriteFunc
	done chan error
	// last marks a WriteLast write, which needs no savepoint.
	last bool
}

func newGroupWriter(db *bun.DB, ob *outbox, accounts *accountWatch) *groupWriter {
	return &groupWriter{db: db, outbox: ob, accounts: accounts, requests: make(chan *writeRequest, 4096), maxGroup: 512, written: map[string]time.Time{}}
}

func (w *groupWriter) submit(ctx context.Context, fn WriteFunc, last bool) error {
	req := &writeRequest{ctx: ctx, fn: fn, done: make(chan error, 1), last: last}
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

func (w *groupWriter) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.requests)
	}
	w.mu.Unlock()
}

func (w *groupWriter) run() {
	group := make([]*writeRequest, 0, w.maxGroup)
	flush := time.NewTimer(time.Hour)
	defer flush.Stop()
	for {
		var first *writeRequest
		if due, ok := w.nextDue(); ok {
			flush.Reset(time.Until(due))
		}
		select {
		case req, ok := <-w.requests:
			if !ok {
				w.commit(nil, true)
				return
			}
			first = req
		case <-flush.C:
			w.commit(nil, false)
			continue
		}
		flush.Stop()
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
		w.commit(group, false)
	}
}

// nextDue answers when the earliest held event may be written.
func (w *groupWriter) nextDue() (time.Time, bool) {
	var first time.Time
	for _, key := range w.held.order {
		if due := w.written[key].Add(latestSpacing); first.IsZero() || due.Before(first) {
			first = due
		}
	}
	return first, !first.IsZero()
}

// commit runs one group of writes and writes the held events that are
// due (all of them when final).
func (w *groupWriter) commit(group []*writeRequest, final bool) {
	results := make([]error, len(group))
	finish := func() {
		// Before anyone is answered: a request after a sign-out must
		// find its session gone.
		w.accounts.committed()
		for i, req := range group {
			req.done <- results[i]
		}
	}
	ctx := context.Background()
	btx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("begin: %w", err)
		}
		finish()
		return
	}
	tx := &Tx{Tx: btx, driver: config.SQLite, latest: &latestEvents{}}
	var groupLatest latestEvents
	succeeded, emitted := 0, false
	single := len(group) == 1
	// Savepoints go straight to database/sql: through bun each one would
	// pass the query hooks and the formatter, per write, in the one
	// goroutine every write waits for.
	for i, req := range group {
		if err := req.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		savepoint := !single && !req.last
		if savepoint {
			if _, err := btx.Tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
				results[i] = err
				continue
			}
		}
		tx.emitted = false
		tx.latest.reset()
		err := callWrite(context.WithoutCancel(req.ctx), req.fn, tx)
		if err != nil && !savepoint && !single && errors.As(err, new(panicked)) {
			// A write without a savepoint that panicked may have changed
			// something: nobody in this group commits.
			results[i] = err
			w.abort(btx, group, results, err)
			finish()
			return
		}
		if err != nil {
			results[i] = err
			if savepoint {
				_, rbErr := btx.Tx.ExecContext(ctx, "ROLLBACK TO write")
				_, relErr := btx.Tx.ExecContext(ctx, "RELEASE write")
				if rbErr != nil || relErr != nil {
					// The transaction is unusable; nobody in this group commits.
					w.abort(btx, group, results, errors.Join(rbErr, relErr))
					finish()
					return
				}
			}
			continue
		}
		if savepoint {
			if _, err := btx.Tx.ExecContext(ctx, "RELEASE write"); err != nil {
				results[i] = err
				w.abort(btx, group, results, err)
				finish()
				return
			}
		}
		succeeded++
		emitted = emitted || tx.emitted
		tx.latest.mergeInto(&groupLatest)
	}
	if succeeded == 0 && len(group) > 0 {
		_ = btx.Rollback()
		finish()
		return
	}
	tx.latest = nil
	// Held until this commits: a group that fails takes its events along.
	held := w.held.clone()
	groupLatest.mergeInto(&held)
	now := time.Now()
	var due []string
	for _, key := range held.order {
		if final || now.Sub(w.written[key]) >= latestSpacing {
			if err := tx.insertEvent(ctx, held.byKey[key]); err != nil {
				w.abort(btx, group, results, err)
				finish()
				return
			}
			due = append(due, key)
			emitted = true
		}
	}
	if len(group) == 0 && len(due) == 0 {
		_ = btx.Rollback()
		return
	}
	if err := btx.Commit(); err != nil {
		w.abort(bun.Tx{}, group, results, fmt.Errorf("commit: %w", err))
		finish()
		return
	}
	for _, key := range due {
		held.remove(key)
		w.written[key] = now
	}
	w.held = held
	if len(w.written) > 4096 {
		for key, at := range w.written {
			if now.Sub(at) >= latestSpacing {
				delete(w.written, key)
			}
		}
	}
	if emitted {
		// Topics of writes rolled back to their savepoint are included:
		// telling too much only costs a page render.
		w.outbox.committed(tx.topics)
	}
	finish()
}

// abort fails every write of the group that had not failed already.
func (w *groupWriter) abort(btx bun.Tx, group []*writeRequest, results []error, cause error) {
	if btx.Tx != nil {
		_ = btx.Rollback()
	}
	for i := range group {
		if results[i] == nil {
			results[i] = cause
		}
	}
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

// Dialect tells domain packages which SQL flavour they talk to, for the
// rare statement that differs.
func (s *Store) Dialect() config.Driver { return s.Driver }

// IsNoRows reports sql.ErrNoRows.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
