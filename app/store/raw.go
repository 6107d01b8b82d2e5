package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
)

// The hot paths (votes, session lookups) bypass bun's query builder: bun
// writes every argument into the SQL text, so SQLite would parse each
// statement anew. With real placeholders the driver's statement cache
// (_stmt_cache_size) reuses the prepared statement. Queries are written
// with ? placeholders; on PostgreSQL they become $1, $2, …
//
// In a join, a hot statement passes its key as CAST(? AS TEXT) or
// CAST(? AS BIGINT), not as a bare ?. SQLite's planner looks at the value
// bound to a bare ? compared in a join, and marks the statement to be
// planned again whenever a new value is bound; go-sqlite3 binds anew on
// every run, so every run was parsed and planned again. The session
// lookup took 42 µs with a bare ? and 12 µs with the CAST
// (BenchmarkBoundKeyInJoin). Single-table statements are not affected.

// rebind turns ? placeholders into PostgreSQL's $n. Raw statements
// contain no ? inside string literals.
func rebind(driver config.Driver, query string) string {
	if driver != config.Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Placeholders is "?, ?, …" for n arguments, for an IN list of a raw
// statement (n ≥ 1).
func Placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Time is how a point in time is passed to a raw statement: on SQLite in
// the text form bun writes, so every row of a column sorts the same way.
func (s *Store) Time(t time.Time) any { return timeArg(s.Driver, t) }

func timeArg(driver config.Driver, t time.Time) any {
	if driver == config.SQLite {
		return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
	}
	return t.UTC()
}

// QueryRow runs a read on the read pool with real placeholders.
func (s *Store) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := s.prepared(ctx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return s.DB.DB.QueryRowContext(ctx, rebind(s.Driver, query), args...)
}

// prepared answers a statement prepared once on PostgreSQL (pgdriver sends
// unprepared queries with their arguments inlined, so the server parses
// and plans each anew), nil on SQLite, whose driver keeps its own cache.
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if s.Driver != config.Postgres {
		return nil
	}
	if stmt, ok := s.statements.Load(query); ok {
		return stmt.(*sql.Stmt)
	}
	// A few queries are built per scope (an export's field list); past
	// the cap they run unprepared rather than pile up on every connection.
	if s.preparedCount.Load() >= maxPrepared {
		return nil
	}
	stmt, err := s.DB.DB.PrepareContext(ctx, rebind(s.Driver, query))
	if err != nil {
		return nil
	}
	if prev, loaded := s.statements.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		return prev.(*sql.Stmt)
	}
	s.preparedCount.Add(1)
	return stmt
}

// maxPrepared caps the statements prepared per store.
const maxPrepared = 256

// Select runs a list read on the read pool and scans its rows into dest
// as bun's Scan does (a slice of structs with bun tags). On PostgreSQL it
// is prepared (see Query): through bun, which writes the arguments into
// the text, a measure's comments were planned on every request (255 µs to
// run, 212 µs to plan; prepared 161 µs, planned once), and the list went
// from 2,277-2,349/s to 3,123-3,535/s. On SQLite bun's text is kept, since
// go-sqlite3 keeps a statement per text and finds a page asked for again:
// bound arguments measured slower there (4,727-4,935/s against
// 6,116-6,411/s); kept, 5,070-5,778/s against 5,474-5,616/s before (bench
// comments, two rounds each, in turn).
func (s *Store) Select(ctx context.Context, dest any, query string, args ...any) error {
	if s.Driver != config.Postgres {
		return s.DB.NewRaw(query, args...).Scan(ctx, dest)
	}
	rows, err := s.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	return s.DB.ScanRows(ctx, rows, dest)
}

// Query runs a read on the read pool with real placeholders.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := s.prepared(ctx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return s.DB.DB.QueryContext(ctx, rebind(s.Driver, query), args...)
}

// Exec runs a statement of this write with real placeholders; on
// PostgreSQL prepared, once per connection.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := tx.prepared(ctx, query); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return tx.Tx.Tx.ExecContext(ctx, rebind(tx.driver, query), args...)
}

// ExecBatch runs a statement of this write that changes at most limit
// rows, passed as its last placeholder (a LIMIT), and answers whether it
// changed that many: then more rows may wait for the next batch.
func (tx *Tx) ExecBatch(ctx context.Context, limit int, query string, args ...any) (more bool, err error) {
	res, err := tx.Exec(ctx, query, append(args, limit)...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n >= int64(limit), err
}

// QueryRow runs a query of this write with real placeholders; on
// PostgreSQL prepared, once per connection.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := tx.prepared(ctx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return tx.Tx.Tx.QueryRowContext(ctx, rebind(tx.driver, query), args...)
}

// Query runs a query of this write that answers rows; on PostgreSQL
// prepared, once per connection.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := tx.prepared(ctx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return tx.Tx.Tx.QueryContext(ctx, rebind(tx.driver, query), args...)
}

// prepared binds the store's prepared statement to this transaction's
// connection (database/sql prepares it there the first time). A query
// not prepared yet runs unprepared this once: preparing takes a second
// connection from the pool, and transactions holding every connection
// while each waits for one more would wait forever. It is prepared in
// the background for the next time.
func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	s := tx.store
	if s == nil || s.Driver != config.Postgres {
		return nil
	}
	stmt, ok := s.statements.Load(query)
	if !ok {
		if s.preparedCount.Load() >= maxPrepared {
			return nil
		}
		if _, busy := s.preparing.LoadOrStore(query, true); !busy {
			go func() {
				ctx, cancel := context.WithTimeout(Background(context.Background()), 10*time.Second)
				defer cancel()
				s.prepared(ctx, query)
				s.preparing.Delete(query)
			}()
		}
		return nil
	}
	return tx.Tx.Tx.StmtContext(ctx, stmt.(*sql.Stmt))
}

// Time is a point in time for a raw statement of this write.
func (tx *Tx) Time(t time.Time) any { return timeArg(tx.driver, t) }

// TextArray is a PostgreSQL array literal of strings, for a ?::text[]
// parameter: every element quoted, with " and \ escaped.
func TextArray(values []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(v); j++ {
			if v[j] == '"' || v[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// QueryRowForShare is QueryRow for a row this write relies on staying as
// read until it commits: on PostgreSQL, where writes of other instances
// run side by side, the row is locked against changes (FOR SHARE); on
// SQLite the one writer orders every write already.
func (tx *Tx) QueryRowForShare(ctx context.Context, query string, args ...any) *sql.Row {
	if tx.driver == config.Postgres {
		query += " FOR SHARE"
	}
	return tx.QueryRow(ctx, query, args...)
}

// ForUpdate is the clause that locks the rows a select of this write
// reads (of alias, when it joins; "" for all): on PostgreSQL, where writes
// of other writers and instances run side by side, a second write changing
// the same contribution waits, then reads the new version. SQLite's one
// writer orders every write already, and it has no such clause.
func (tx *Tx) ForUpdate(alias string) string {
	switch {
	case tx.driver != config.Postgres:
		return ""
	case alias == "":
		return " FOR UPDATE"
	}
	return " FOR UPDATE OF " + alias
}

// Locked is ForUpdate for a select built with bun.
func (tx *Tx) Locked(q *bun.SelectQuery) *bun.SelectQuery {
	if tx.driver == config.Postgres {
		return q.For("UPDATE")
	}
	return q
}

// UTCHour is the SQL for the UTC hour of a timestamp column, as
// "YYYY-MM-DD HH" (SQLite may have a "T" where the space is). Grouped by
// hour, counts can be summed into the days of any zone with whole-hour
// offsets, such as the city's (Europe/Berlin).
func (s *Store) UTCHour(col string) string {
	if s.Driver == config.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
	}
	return "substr(" + col + ", 1, 13)"
}

// UTCDay is the SQL for the UTC calendar day of a timestamp column, as
// YYYY-MM-DD (SQLite keeps timestamps as text in that order).
func (s *Store) UTCDay(col string) string {
	if s.Driver == config.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// ReadSnapshot runs fn in a read-only transaction that sees one snapshot
// of the database for all its reads (on SQLite every transaction does).
func (s *Store) ReadSnapshot(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var opts *sql.TxOptions
	if s.Driver == config.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return s.DB.RunInTx(ctx, opts, fn)
}

// Each runs a read on the read pool and calls row for every row it
// answers (row scans it); the first error ends it.
func (s *Store) Each(ctx context.Context, query string, args []any, row func(*sql.Rows) error) error {
	rows, err := s.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
