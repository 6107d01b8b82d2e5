package main_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// call is apiCall with the default client, failing the test when no
// answer comes.
func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	status, m, err := apiCall(http.DefaultClient, method, url, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, m
}

// addResident registers a resident who votes against measure 1.
func addResident(t *testing.T, base, email string) {
	t.Helper()
	status, m := call(t, "POST", base+"/api/v1/auth/register", "", map[string]any{
		"email": email, "password": "a-good-password", "display_name": "Resident " + email[:4], "privacy_consent": true,
	})
	if status != 201 {
		t.Fatalf("register %s: %d %v", email, status, m)
	}
	if status, m := call(t, "PUT", base+"/api/v1/measures/1/vote", m["token"].(string), map[string]int{"value": -1}); status != 200 {
		t.Fatalf("vote of %s: %d %v", email, status, m)
	}
}

// hasResident reports whether the resident can sign in, and fails the
// test if their vote is not there with them.
func hasResident(t *testing.T, base, email string) bool {
	t.Helper()
	status, m := login(t, base, email, "a-good-password")
	if status != 200 {
		return false
	}
	if status, measure := call(t, "GET", base+"/api/v1/measures/1", m["token"].(string), nil); status != 200 || measure["my_vote"] != -1.0 {
		t.Errorf("%s: measure 1 answers %d, my_vote %v; want their vote -1", email, status, measure["my_vote"])
	}
	return true
}

// A way to back up a database while mitreden serves it and to restore
// the copy after mitreden stopped, as the README says.
type backupWay struct {
	backup  func(t *testing.T, db config.Database, dir string)
	restore func(t *testing.T, db config.Database, dir string) config.Database
}

var backupWays = map[config.Driver]backupWay{
	config.SQLite: {
		backup: func(t *testing.T, db config.Database, dir string) {
			if r := runCmd(t, dir, "", cleanEnv("MITREDEN_DB="+dbURL(db)), "backup", "-o", "backup.db"); r.code != 0 {
				t.Fatalf("mitreden backup: %d %s", r.code, r.stderr)
			}
		},
		// Stopped, the database file is replaced by the copy; a write-ahead
		// log left beside it belongs to the old file and must go.
		restore: func(t *testing.T, db config.Database, dir string) config.Database {
			if _, err := os.Stat(db.Path + "-wal"); err != nil {
				t.Fatalf("no write-ahead log after kill -9, the restore proves less: %v", err)
			}
			for _, f := range []string{db.Path + "-wal", db.Path + "-shm"} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
			copyFile(t, filepath.Join(dir, "backup.db"), db.Path)
			return db
		},
	},
	config.Postgres: {
		backup: func(t *testing.T, db config.Database, dir string) {
			pgTool(t, "pg_dump", "--format=custom", "--file="+filepath.Join(dir, "mitreden.dump"), "--dbname="+db.URL)
		},
		// The dump goes into a new, empty database.
		restore: func(t *testing.T, _ config.Database, dir string) config.Database {
			fresh := storetest.NewDatabase(t, config.Postgres)
			pgTool(t, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname="+fresh.URL, filepath.Join(dir, "mitreden.dump"))
			return fresh
		},
	},
}

// dbURL is MITREDEN_DB for db (String hides a PostgreSQL password).
func dbURL(db config.Database) string {
	if db.Driver == config.Postgres {
		return db.URL
	}
	return db.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// pgTool runs pg_dump or pg_restore: from PATH, else from Debian's
// PostgreSQL installation.
func pgTool(t *testing.T, name string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
		if len(found) == 0 {
			t.Skipf("%s is not installed (Debian's postgresql-client has it)", name)
		}
		slices.Sort(found)
		bin = found[len(found)-1]
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// A copy taken while mitreden serves and writes, restored after a crash,
// is what mitreden serves next: what was there at the copy is, what came
// after is not, and no migration is pending.
func TestBackupRestore(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		way, dir := backupWays[db.Driver], t.TempDir()
		env := func(db config.Database) []string {
			return cleanEnv("MITREDEN_DB="+dbURL(db), "MITREDEN_ADDR="+freeAddr(t), "MITREDEN_RATE_LIMITS=off", "MITREDEN_EMAIL_VERIFICATION=off",
				"MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=ops-password-1")
		}
		s := startServer(t, dir, env(db))
		addResident(t, s.url, "kept@example.org")
		way.backup(t, db, dir)
		addResident(t, s.url, "late@example.org")
		s.cmd.Process.Kill()
		s.cmd.Wait()

		restored := way.restore(t, db, dir)
		s = startServer(t, dir, env(restored))
		defer s.stop(t)
		if strings.Contains(s.stderr.String(), "migration applied") {
			t.Errorf("the restored database needed migrations:\n%s", s.stderr)
		}
		if r := runCmd(t, dir, "", env(restored), "migrate", "status"); r.code != 0 || strings.Contains(r.stdout, "pending") {
			t.Errorf("migrate status on the restored database: %d %s%s", r.code, r.stdout, r.stderr)
		}
		if code, _ := login(t, s.url, "ops@example.org", "ops-password-1"); code != 200 {
			t.Errorf("the administrator signs in to the restored database: %d", code)
		}
		if !hasResident(t, s.url, "kept@example.org") {
			t.Error("the resident registered before the backup is not in the restored database")
		}
		if hasResident(t, s.url, "late@example.org") {
			t.Error("the resident registered after the backup is in the restored database")
		}
		if status, m := call(t, "GET", s.url+"/api/v1/measures/1", "", nil); status != 200 || fmt.Sprint(m["tally"].(map[string]any)["against"]) != "1" {
			t.Errorf("measure 1 after the restore: %d, tally %v; want the one vote against from before the backup", status, m["tally"])
		}
	})
}
