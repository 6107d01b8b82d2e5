package store

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sqlite3 sqlite3;
typedef long long sqlite3_int64;
extern void *sqlite3_update_hook(sqlite3*, void(*)(void*, int, char const*, char const*, sqlite3_int64), void*);

// The operation codes of sqlite3.h.
#define MITREDEN_SQLITE_DELETE 9
#define MITREDEN_SQLITE_INSERT 18

// Counts the row changes that can make a signed-in request's account
// data out of date. New sessions and new accounts cannot: nobody has
// read them yet. A session row is only ever updated for its last use,
// which the session cache checks itself: only ending one counts.
static void mitreden_account_change(void *counter, int op, char const *db, char const *table, sqlite3_int64 rowid) {
	if (strcmp(table, "expert_group_members") == 0 ||
		(op == MITREDEN_SQLITE_DELETE && strcmp(table, "sessions") == 0) ||
		(op != MITREDEN_SQLITE_INSERT && strcmp(table, "users") == 0)) {
		__atomic_add_fetch((int64_t*)counter, 1, __ATOMIC_RELAXED);
	}
}

static void mitreden_watch_accounts(void *db, int64_t *counter) {
	sqlite3_update_hook((sqlite3*)db, mitreden_account_change, counter);
}

static int64_t mitreden_account_changes(int64_t *counter) {
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}
*/
import "C"

import (
	"context"
	"database/sql/driver"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// accountWatch tells, on SQLite, when a committed write may have changed
// what Authenticate reads: a session ended, an account changed (role,
// block, name, erasure), an expert group membership. SQLite calls a hook
// in C for every row the write connection changes; the hook counts the
// rows of those tables, and the writer turns a count that moved during a
// group into a new version once the group has committed.
//
// The version is a counter in a small file beside the database
// (<db>-accounts), mapped into memory by every mitreden process that
// opens the database, the way SQLite shares its own -shm file: a server
// sees at once a session that `mitreden user set-password` ended in
// another process, and reading the version costs no system call.
type accountWatch struct {
	// changes is C memory: SQLite keeps the pointer for the connection's life.
	changes *C.int64_t
	// seen is the count at the last commit.
	seen int64
	// shared is the mapped counter file.
	shared []byte
}

func openAccountWatch(dbPath string) (*accountWatch, error) {
	f, err := os.OpenFile(dbPath+"-accounts", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Growing to 8 bytes keeps a count another process already wrote.
	if err := f.Truncate(8); err != nil {
		return nil, err
	}
	shared, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &accountWatch{changes: (*C.int64_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int64_t(0))))), shared: shared}, nil
}

// counter is the shared version; the mapping is page-aligned.
func (w *accountWatch) counter() *uint64 { return (*uint64)(unsafe.Pointer(&w.shared[0])) }

// install sets the hook on the write connection.
func (w *accountWatch) install(conn *sqlite3.SQLiteConn) error {
	db, err := handle(conn)
	if err != nil {
		return err
	}
	C.mitreden_watch_accounts(db, w.changes)
	return nil
}

// committed is called by the writer after each commit (and after a
// rollback: rows undone were still counted, a needless new version).
func (w *accountWatch) committed() {
	if now := int64(C.mitreden_account_changes(w.changes)); now != w.seen {
		w.seen = now
		atomic.AddUint64(w.counter(), 1)
	}
}

func (w *accountWatch) close() error {
	C.free(unsafe.Pointer(w.changes))
	return syscall.Munmap(w.shared)
}

// writeConnector opens the SQLite write connection with the account
// watch installed, through a driver of its own: the hook needs this
// store's counter.
type writeConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func newWriteConnector(dsn string, watch *accountWatch) *writeConnector {
	return &writeConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		if err := stablePlans(conn); err != nil {
			return err
		}
		return watch.install(conn)
	}}}
}

func (c *writeConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }

func (c *writeConnector) Driver() driver.Driver { return c.driver }
