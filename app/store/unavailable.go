package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun/driver/pgdriver"
)

// IsUnavailable reports whether err says the database cannot be reached
// or does not answer now (a restart, a network break, too many
// connections, a lock held past the busy timeout), as opposed to a
// mistake in a query or in the data. Requests that fail so answer 503
// with Retry-After: trying again later can succeed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgUnavailable(pgErr)
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrIoErr:
			return true
		}
	}
	return false
}

// pgUnavailable: connection exceptions (class 08), the server shutting
// down or starting (57P01–57P03), too many connections (53300), and any
// error of severity FATAL or PANIC, which ends the session: among them
// "the database is not currently accepting connections" (55000).
func pgUnavailable(e pgdriver.Error) bool {
	code := e.Field('C')
	switch {
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300":
		return true
	}
	severity := e.Field('V') // not localised; PostgreSQL 9.6 and later
	if severity == "" {
		severity = e.Field('S')
	}
	return severity == "FATAL" || severity == "PANIC"
}
