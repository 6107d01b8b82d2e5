package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// A database that does not answer is told apart from a failing query, also
// through the wrapping the write path and the handlers add. (PostgreSQL's
// own errors are covered by the outage test in app/web.)
func TestIsUnavailable(t *testing.T) {
	wrap := func(err error) error { return problem.Internal(fmt.Errorf("read: %w", err)) }
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"a plain error", errors.New("syntax error at or near"), false},
		{"cancelled", context.Canceled, false},
		{"bad connection", driver.ErrBadConn, true},
		{"EOF on a connection", io.EOF, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"closed store", store.ErrClosed, true},
		{"SQLite busy", sqlite3.Error{Code: sqlite3.ErrBusy}, true},
		{"SQLite locked", sqlite3.Error{Code: sqlite3.ErrLocked}, true},
		{"SQLite disk I/O", sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync}, true},
		{"SQLite constraint", sqlite3.Error{Code: sqlite3.ErrConstraint}, false},
	} {
		if got := store.IsUnavailable(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if c.err != nil {
			if got := store.IsUnavailable(wrap(c.err)); got != c.want {
				t.Errorf("%s, wrapped: %v, want %v", c.name, got, c.want)
			}
		}
	}
}
