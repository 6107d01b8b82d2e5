package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/mitreden/mitreden/app/config"
)

func TestSQLiteConnectionsKeepTheirPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, config.Database{Driver: config.SQLite, Path: filepath.Join(t.TempDir(), "plans.db")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, db := range map[string]*sql.DB{"read pool": s.DB.DB, "writer": s.write.DB} {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Raw(func(driverConn any) error {
			c, ok := driverConn.(*sqlite3.SQLiteConn)
			if !ok {
				t.Fatalf("%s: driver connection is %T", name, driverConn)
			}
			stable, err := hasStablePlans(c)
			if err != nil {
				return err
			}
			if !stable {
				t.Errorf("%s: query planner stability is off, so every reused statement is planned again", name)
			}
			return nil
		})
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
