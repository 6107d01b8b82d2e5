package storetest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store"
)

// Outage takes a test database away from the stores using it and gives
// it back, without touching the shared PostgreSQL server:
//
//   - PostgreSQL: the test database refuses new connections and loses the
//     ones it had, as in a restart of the server (ALLOW_CONNECTIONS false
//     and pg_terminate_backend).
//   - SQLite: a file does not go away while it is open, so the store's
//     driver is wrapped (Hook): while the outage lasts, every connection
//     the store takes from its pools fails with a disk I/O error, as on a
//     failing disk or a lost network volume. Statements already running
//     finish.
type Outage struct {
	db    config.Database
	down  atomic.Bool // SQLite
	admin *sql.DB     // PostgreSQL: what takes the database away
}

// NewOutage prepares an outage of db; a store opened with Hook feels it.
func NewOutage(db config.Database) *Outage { return &Outage{db: db} }

// Hook makes a store opened with opts feel the outage (SQLite; PostgreSQL
// needs nothing).
func (o *Outage) Hook(opts *store.Options) {
	if o.db.Driver == config.SQLite {
		opts.SQLiteDriver = outageDriver{o}
	}
}

// Begin takes the database away; it is given back by End, or when the
// test ends.
func (o *Outage) Begin(t testing.TB) {
	t.Helper()
	if o.db.Driver == config.SQLite {
		o.down.Store(true)
		t.Cleanup(func() { o.down.Store(false) })
		return
	}
	// The server's maintenance database, which the outage leaves alone.
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(os.Getenv(PostgresEnv)), pgdriver.WithDialTimeout(5*time.Second)))
	t.Cleanup(func() { admin.Close() })
	o.admin = admin
	o.allowConnections(t, false)
	t.Cleanup(func() { o.allowConnections(t, true) })
	if _, err := admin.ExecContext(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", o.postgresName(t)); err != nil {
		t.Fatal(err)
	}
}

// End gives the database back.
func (o *Outage) End(t testing.TB) {
	t.Helper()
	if o.db.Driver == config.SQLite {
		o.down.Store(false)
		return
	}
	o.allowConnections(t, true)
}

func (o *Outage) allowConnections(t testing.TB, on bool) {
	t.Helper()
	value := "false"
	if on {
		value = "true"
	}
	if _, err := o.admin.ExecContext(context.Background(), "ALTER DATABASE "+o.postgresName(t)+" ALLOW_CONNECTIONS "+value); err != nil {
		t.Fatal(err)
	}
}

func (o *Outage) postgresName(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(o.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// errDiskGone is what SQLite answers when its file cannot be read.
var errDiskGone = sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrRead, SystemErrno: syscall.EIO}

// outageDriver is go-sqlite3's driver, failing while the outage lasts.
type outageDriver struct{ o *Outage }

func (d outageDriver) Open(dsn string) (driver.Conn, error) {
	if d.o.down.Load() {
		return nil, errDiskGone
	}
	c, err := (&sqlite3.SQLiteDriver{}).Open(dsn)
	if err != nil {
		return nil, err
	}
	return &outageConn{SQLiteConn: c.(*sqlite3.SQLiteConn), o: d.o}, nil
}

// outageConn is a connection that the pool drops during the outage: it
// asks ResetSession before it uses a pooled connection again, and
// IsValid before it pools one, and then opens a new one, which fails.
type outageConn struct {
	*sqlite3.SQLiteConn
	o *Outage
}

func (c *outageConn) ResetSession(context.Context) error {
	if c.o.down.Load() {
		return driver.ErrBadConn
	}
	return nil
}

func (c *outageConn) IsValid() bool { return !c.o.down.Load() }
