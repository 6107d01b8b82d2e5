package store

/*
typedef struct sqlite3 sqlite3;
extern int sqlite3_db_config(sqlite3*, int op, ...);

// SQLITE_DBCONFIG_ENABLE_QPSG is 1007 in sqlite3.h.
static int mitreden_enable_qpsg(void *db) {
	int now = 0;
	return sqlite3_db_config((sqlite3*)db, 1007, 1, &now);
}

static int mitreden_qpsg(void *db) {
	int now = -1;
	sqlite3_db_config((sqlite3*)db, 1007, -1, &now);
	return now;
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// stablePlans turns on SQLite's query planner stability guarantee (QPSG)
// for a connection.
//
// Without it the planner may look at bound values, which marks the
// statement for re-preparing on rebinding; go-sqlite3 clears the bindings
// of every statement it reuses, so every cached statement was parsed and
// planned again on every run (about half the cost of a session lookup).
// Our queries never rely on a bound value to pick an index: the partial
// indexes are matched by literals in the SQL.
func stablePlans(conn *sqlite3.SQLiteConn) error {
	db, err := handle(conn)
	if err != nil {
		return err
	}
	if rc := C.mitreden_enable_qpsg(db); rc != 0 {
		return fmt.Errorf("sqlite3_db_config(ENABLE_QPSG): code %d", int(rc))
	}
	return nil
}

// hasStablePlans reports whether stablePlans took effect on conn.
func hasStablePlans(conn *sqlite3.SQLiteConn) (bool, error) {
	db, err := handle(conn)
	if err != nil {
		return false, err
	}
	return C.mitreden_qpsg(db) == 1, nil
}

// handle digs the sqlite3* out of go-sqlite3's connection, which does not
// export it (nor a way to call sqlite3_db_config).
func handle(conn *sqlite3.SQLiteConn) (unsafe.Pointer, error) {
	field := reflect.ValueOf(conn).Elem().FieldByName("db")
	if !field.IsValid() || field.Kind() != reflect.Pointer || field.IsNil() {
		return nil, fmt.Errorf("go-sqlite3 changed: no db handle to configure")
	}
	return unsafe.Pointer(field.Pointer()), nil
}
