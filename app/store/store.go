// Package store opens the database (SQLite or PostgreSQL), owns the single
// write path every domain package goes through, and keeps the events outbox
// with its sequencer.
//
// Reads use Store.DB. Writes use Store.Write: a writer groups the writes
// waiting at a moment into one transaction (group commit, see writer; one
// writer on SQLite, four side by side on PostgreSQL), and an event emitted
// inside a write commits with it. Where the two databases differ, the
// store says so (Tx.ForUpdate, Tx.QueryRowForShare, Store.UTCDay, …), so
// that domain packages never branch on the database.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
)

// Store is the open database.
type Store struct {
	Driver config.Driver
	// DB is for reads. On SQLite it is a pool of read-only connections; on
	// PostgreSQL it is the one shared pool.
	DB *bun.DB
	// write is the connection the write path uses: one connection on SQLite,
	// the shared pool on PostgreSQL.
	write  *bun.DB
	source config.Database

	// writers commit the writes: one on SQLite (one write connection),
	// several side by side on PostgreSQL (see For).
	writers    []*writer
	nextWriter atomic.Int64
	outbox     *outbox
	// statements are the raw reads prepared on PostgreSQL, by query text.
	statements    sync.Map
	preparing     sync.Map // queries being prepared in the background
	preparedCount atomic.Int64

	closeOnce sync.Once
	stop      context.CancelFunc
	done      sync.WaitGroup
}

// postgresWriters is how many writers commit side by side on PostgreSQL,
// where a write waits for round trips rather than for the processor: with
// one, 1,400–1,800 votes/s; with four, 2,000–2,600; with eight, no more
// (vote, PostgreSQL on the same two cores, interleaved runs).
const postgresWriters = 4

// Options tune Open; the zero value is right for production.
type Options struct {
	// ReadConns caps the SQLite read pool (default: the core count, at least 4).
	ReadConns int
	// MaxConns caps the PostgreSQL pool (default: 4 per core, at least 10).
	MaxConns int
	// QueryHooks see every query (tests count them).
	QueryHooks []bun.QueryHook
	// SQLiteDriver replaces go-sqlite3's driver (tests wrap it to take
	// the database away and give it back, see storetest.Outage).
	SQLiteDriver driver.Driver
}

// ErrCannotOpen matches (errors.Is) Open's failures: the database could
// not be opened or reached, which an operator must fix (a missing
// directory, an unreachable server). ErrBackupRefused matches a backup
// refused before it began. Each error keeps its own message.
var (
	ErrCannotOpen    = errors.New("cannot open the database")
	ErrBackupRefused = errors.New("backup refused")
)

// refusal is an error with a message of its own that matches kind.
type refusal struct {
	msg  string
	kind error
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }

func refused(kind error, format string, args ...any) error {
	return &refusal{fmt.Sprintf(format, args...), kind}
}

// Open connects to the database and checks that it answers; its failures
// match ErrCannotOpen.
func Open(ctx context.Context, db config.Database, opts Options) (*Store, error) {
	var (
		s   *Store
		err error
	)
	switch db.Driver {
	case config.SQLite:
		s, err = openSQLite(ctx, db, opts)
	case config.Postgres:
		s, err = openPostgres(ctx, db, opts)
	default:
		return nil, refused(ErrCannotOpen, "unknown database driver %q", db.Driver)
	}
	if err != nil {
		return nil, err
	}
	s.source = db
	s.outbox = newOutbox(s)
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	n := 1
	if s.Driver == config.Postgres {
		n = postgresWriters
	}
	for range n {
		w := newWriter(s)
		s.writers = append(s.writers, w)
		s.done.Add(1)
		go func() { defer s.done.Done(); w.run() }()
	}
	s.done.Add(1)
	go func() { defer s.done.Done(); s.outbox.run(runCtx) }()
	return s, nil
}

// uriPath escapes what a file: URI would read as its query or fragment:
// a path like /tmp/Test#01/m.db (Go names test directories so) must not
// open /tmp/Test.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func sqliteDSN(path string, extra string) string {
	return "file:" + uriPath.Replace(path) + "?_foreign_keys=on&_busy_timeout=10000&_stmt_cache_size=128" + extra
}

func openSQLite(ctx context.Context, db config.Database, opts Options) (*Store, error) {
	dir := filepath.Dir(db.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, refused(ErrCannotOpen, "cannot open database %s: directory %s does not exist", db, dir)
	}
	drv := opts.SQLiteDriver
	if drv == nil {
		drv = &sqlite3.SQLiteDriver{}
	}
	// synchronous=FULL: an acknowledged write survives power loss, not only a crash.
	w := sql.OpenDB(dsnConnector{drv, sqliteDSN(db.Path, "&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Turning a new file into WAL mode needs an exclusive lock that
	// busy_timeout does not wait for; processes opening together take turns.
	if err := withFileLock(db.Path, func() error { return pingWithin(ctx, w, 10*time.Second) }); err != nil {
		w.Close()
		return nil, refused(ErrCannotOpen, "cannot open database %s: %v", db, err)
	}
	r := sql.OpenDB(dsnConnector{drv, sqliteDSN(db.Path, "&_query_only=1")})
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	return &Store{
		Driver: config.SQLite,
		DB:     withHooks(bun.NewDB(r, sqlitedialect.New()), opts),
		write:  withHooks(bun.NewDB(w, sqlitedialect.New()), opts),
	}, nil
}

// dsnConnector opens connections of a driver with one data source name,
// as sql.Open does for a driver registered by name.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

func openPostgres(ctx context.Context, db config.Database, opts Options) (*Store, error) {
	connector := pgdriver.NewConnector(
		pgdriver.WithDSN(db.URL),
		pgdriver.WithApplicationName("mitreden"),
		pgdriver.WithDialTimeout(5*time.Second),
	)
	sqldb := sql.OpenDB(connector)
	n := opts.MaxConns
	if n <= 0 {
		n = max(10, 4*runtime.NumCPU())
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := pingWithin(ctx, sqldb, 10*time.Second); err != nil {
		sqldb.Close()
		return nil, refused(ErrCannotOpen, "cannot reach database %s: %v", db, firstLine(err))
	}
	bdb := withHooks(bun.NewDB(sqldb, pgdialect.New()), opts)
	return &Store{Driver: config.Postgres, DB: bdb, write: bdb}, nil
}

// withHooks adds Options.QueryHooks to db.
func withHooks(db *bun.DB, opts Options) *bun.DB {
	for _, h := range opts.QueryHooks {
		db = db.WithQueryHook(h)
	}
	return db
}

func pingWithin(ctx context.Context, db *sql.DB, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return db.PingContext(ctx)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// Source is the database this store was opened from.
func (s *Store) Source() config.Database { return s.source }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return s.DB.NewRaw("SELECT 1").Scan(ctx, &one)
}

// Close stops the writer and the sequencer, then closes the connections.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stop()
		for _, w := range s.writers {
			w.close()
		}
		s.done.Wait()
		err = errors.Join(s.DB.Close(), closeIfOther(s.write, s.DB))
	})
	return err
}

func closeIfOther(a, b *bun.DB) error {
	if a == b {
		return nil
	}
	return a.Close()
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	return violates(err, "23505", sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey)
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	return violates(err, "23503", sqlite3.ErrConstraintForeignKey)
}

// violates reports whether err is a failed constraint of one kind: on
// PostgreSQL by its SQLSTATE, on SQLite by its extended codes.
func violates(err error, sqlState string, sqliteCodes ...sqlite3.ErrNoExtended) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return slices.Contains(sqliteCodes, se.ExtendedCode)
	}
	var pe pgdriver.Error
	return errors.As(err, &pe) && pe.Field('C') == sqlState
}

// isRetryable reports a PostgreSQL serialization failure or deadlock, after
// which the whole transaction may simply run again.
func isRetryable(err error) bool {
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		code := pe.Field('C')
		return code == "40001" || code == "40P01"
	}
	return false
}

// Backup writes a consistent copy of a live SQLite database to path.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.Driver != config.SQLite {
		return refused(ErrBackupRefused, "backup copies SQLite databases; for PostgreSQL use pg_dump (for example: pg_dump --format=custom -f mitreden.dump %q)", s.source)
	}
	if _, err := os.Stat(path); err == nil {
		return refused(ErrBackupRefused, "backup: %s already exists; choose a new file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// VACUUM INTO reads one snapshot, so writers carry on while it copies.
	// The read pool is query_only, which forbids VACUUM; use a fresh connection.
	conn, err := sql.Open("sqlite3", sqliteDSN(s.source.Path, ""))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
