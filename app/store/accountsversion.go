package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// AccountsVersion answers a number that changes after every committed
// write, by any mitreden process or instance, that may have changed a
// session, an account or a group membership. A cache of what a session
// lookup read is good while the version it was read under is current:
// take the version before reading.
//
// On SQLite the version is a shared counter in memory. On PostgreSQL it
// is a row that triggers move in the changing transaction; reading it is
// a round trip, but one read serves every request that arrived before it
// began (see versionReads).
func (s *Store) AccountsVersion(ctx context.Context) (uint64, error) {
	if s.accounts != nil {
		return atomic.LoadUint64(s.accounts.counter()), nil
	}
	return s.versions.read(ctx)
}

// versionReads reads PostgreSQL's accounts version for many requests at
// once. A request may only use a read that began after it asked: a read
// already under way may have started before a sign-out that the request
// was sent after. So a request joins the next read, which one goroutine
// starts as soon as the one under way has answered. It runs on a
// connection of its own, so it never queues behind the pool it serves.
type versionReads struct {
	db   *sql.DB
	wake chan struct{}

	mu     sync.Mutex
	next   *versionRead
	closed bool

	// conn and stmt are the goroutine's own.
	conn *sql.Conn
	stmt *sql.Stmt
}

type versionRead struct {
	done    chan struct{}
	version uint64
	err     error
}

const readAccountsVersion = "SELECT version FROM accounts_version"

func newVersionReads(db *sql.DB) *versionReads {
	return &versionReads{db: db, wake: make(chan struct{}, 1)}
}

func (r *versionReads) read(ctx context.Context) (uint64, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return 0, ErrClosed
	}
	if r.next == nil {
		r.next = &versionRead{done: make(chan struct{})}
	}
	read := r.next
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // the goroutine is already told
	}
	select {
	case <-read.done:
		return read.version, read.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (r *versionReads) run(ctx context.Context) {
	defer r.release()
	for {
		select {
		case <-ctx.Done():
			r.mu.Lock()
			r.closed = true
			if r.next != nil {
				r.next.err = ErrClosed
				close(r.next.done)
				r.next = nil
			}
			r.mu.Unlock()
			return
		case <-r.wake:
		}
		r.mu.Lock()
		read := r.next
		r.next = nil
		r.mu.Unlock()
		if read == nil {
			continue
		}
		read.version, read.err = r.query(ctx)
		close(read.done)
	}
}

func (r *versionReads) query(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if r.stmt == nil {
		conn, err := r.db.Conn(ctx)
		if err != nil {
			return 0, err
		}
		stmt, err := conn.PrepareContext(ctx, readAccountsVersion)
		if err != nil {
			conn.Close()
			return 0, err
		}
		r.conn, r.stmt = conn, stmt
	}
	var version int64
	if err := r.stmt.QueryRowContext(ctx).Scan(&version); err != nil {
		// The next read starts on a fresh connection.
		r.release()
		return 0, err
	}
	return uint64(version), nil
}

func (r *versionReads) release() {
	if r.stmt != nil {
		r.stmt.Close()
		r.conn.Close()
		r.conn, r.stmt = nil, nil
	}
}
