package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

const day = 24 * time.Hour

// build starts an App on db without serving it.
func build(t *testing.T, db config.Database, pruneEvery time.Duration) *server.App {
	t.Helper()
	app, err := server.Build(context.Background(), apptest.Config(db), server.Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PruneEvery: pruneEvery,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// exec runs statements in one write; times are passed through tx.Time.
func exec(t *testing.T, app *server.App, stmts ...func(tx *store.Tx) (string, []any)) {
	t.Helper()
	if err := app.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		for _, stmt := range stmts {
			q, args := stmt(tx)
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, app *server.App, q string) int {
	t.Helper()
	var n int
	if err := app.Store.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// mail queues a mail to the administrator, subject naming it, made
// created before now; sent and failed are how long ago it was sent or
// given up (0: not).
func mail(subject string, created, sent, failed time.Duration, attempts int) func(tx *store.Tx) (string, []any) {
	return func(tx *store.Tx) (string, []any) {
		now := time.Now()
		at := func(ago time.Duration) any {
			if ago == 0 {
				return nil
			}
			return tx.Time(now.Add(-ago))
		}
		// Unsent mail is due only in a day, so that the worker leaves it.
		return `INSERT INTO mail_queue (user_id, recipient, subject, text_body, html_body, message_id, created_at, next_attempt_at, attempts, sent_at, failed_at)
SELECT id, email, ?, '', '', ?, ?, ?, ?, ?, ? FROM users WHERE role = 'admin'`,
			[]any{subject, subject + "@test", at(created), tx.Time(now.Add(day)), attempts, at(sent), at(failed)}
	}
}

// notice writes a notification for the administrator made created ago,
// read or not.
func notice(title string, created time.Duration, read bool) func(tx *store.Tx) (string, []any) {
	return func(tx *store.Tx) (string, []any) {
		var readAt any
		if read {
			readAt = tx.Time(time.Now())
		}
		return `INSERT INTO notifications (user_id, kind, title, body_key, body_args, url, created_at, read_at)
SELECT id, 'account', ?, 'x', '{}', '/', ?, ? FROM users WHERE role = 'admin'`,
			[]any{title, tx.Time(time.Now().Add(-created)), readAt}
	}
}

// The schedule deletes ended sessions, old sent mail and old read
// notifications by itself, and stops when the server is closed.
func TestRetentionRunsOnSchedule(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		app := build(t, db, 20*time.Millisecond)
		exec(t, app, func(tx *store.Tx) (string, []any) {
			long := time.Now().Add(-31 * day)
			return `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
SELECT 'ended', id, 'x', ?, ?, ? FROM users WHERE role = 'admin'`, []any{tx.Time(long), tx.Time(long.Add(30 * day)), tx.Time(long)}
		}, mail("old", 32*day, 31*day, 0, 1), notice("old", 400*day, true))
		deadline := time.Now().Add(10 * time.Second)
		for count(t, app, "SELECT COUNT(*) FROM sessions WHERE token_hash = 'ended'")+
			count(t, app, "SELECT COUNT(*) FROM mail_queue")+
			count(t, app, "SELECT COUNT(*) FROM notifications WHERE title = 'old'") > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the schedule left ended sessions, old sent mail or old read notifications")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// A round takes sent and given-up mail after 30 days and read
// notifications after a year, and leaves younger ones, mail not yet sent
// (retries included) and unread notifications, however old. Events go
// past a day, oldest first, in batches, but never the newest 10,000.
func TestRetentionKeepsWhatIsWithinItsLimits(t *testing.T) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		app := build(t, db, -1)
		ctx := context.Background()
		// The set-up's events, numbered (on PostgreSQL after commit).
		for {
			if n, err := app.Store.SequenceEvents(ctx); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				break
			}
		}
		span, err := app.Store.EventSpan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		others := count(t, app, "SELECT COUNT(*) FROM events")
		const oldEvents = store.EventKeepLast + 2500
		exec(t, app,
			mail("gone-sent", 32*day, 31*day, 0, 1),
			mail("gone-given-up", 33*day, 0, 31*day, 9),
			mail("kept-sent", 30*day, 29*day, 0, 1),
			mail("kept-waiting", 40*day, 0, 0, 0),
			mail("kept-retrying", 40*day, 0, 0, 5),
			notice("gone-read", 366*day, true),
			notice("kept-read", 300*day, true),
			notice("kept-unread", 400*day, false),
			func(tx *store.Tx) (string, []any) {
				return `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
INSERT INTO events (seq, topics, type, data, created_at) SELECT ? + i, ',test,', 'test.old', '{}', ? FROM n`,
					[]any{oldEvents, span.Latest, tx.Time(time.Now().Add(-2 * day))}
			})
		if ran, err := app.Prune(ctx); err != nil || !ran {
			t.Fatal(ran, err)
		}
		for q, want := range map[string]int{
			"SELECT COUNT(*) FROM mail_queue WHERE subject LIKE 'gone-%'":  0,
			"SELECT COUNT(*) FROM mail_queue WHERE subject LIKE 'kept-%'":  3,
			"SELECT COUNT(*) FROM notifications WHERE title LIKE 'gone-%'": 0,
			"SELECT COUNT(*) FROM notifications WHERE title LIKE 'kept-%'": 2,
			"SELECT COUNT(*) FROM events WHERE type = 'test.old'":          store.EventKeepLast,
			"SELECT MIN(seq) FROM events WHERE type = 'test.old'":          int(span.Latest) + 2501,
			"SELECT COUNT(*) FROM events WHERE type <> 'test.old'":         others,
		} {
			if got := count(t, app, q); got != want {
				t.Errorf("%s: %d, want %d", q, got, want)
			}
		}
	})
}

// Instances sharing a PostgreSQL database run the schedule each, but one
// at a time deletes: while one holds the round's lock, another's round
// deletes nothing and says so; once it is free, the other runs.
func TestOneInstancePrunesAtATime(t *testing.T) {
	db := storetest.NewMigratedDatabase(t, config.Postgres)
	first, second := build(t, db, -1), build(t, db, -1)
	exec(t, first, mail("old", 32*day, 31*day, 0, 1))
	ctx := context.Background()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- first.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			defer close(held)
			ok, err := tx.TryLock(ctx, store.RetentionLock)
			if err != nil || !ok {
				t.Errorf("the free lock was not taken: %v %v", ok, err)
				return err
			}
			held <- struct{}{}
			<-release
			return nil
		})
	}()
	<-held
	if ran, err := second.Prune(ctx); err != nil || ran {
		t.Errorf("a round while another instance held the lock: ran %v, %v", ran, err)
	}
	if n := count(t, second, "SELECT COUNT(*) FROM mail_queue"); n != 1 {
		t.Errorf("%d mails left, want 1: the round deleted while another held the lock", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran, err := second.Prune(ctx); err != nil || !ran {
		t.Fatalf("a round after the lock was free: ran %v, %v", ran, err)
	}
	if n := count(t, second, "SELECT COUNT(*) FROM mail_queue"); n != 0 {
		t.Errorf("%d mails left after the round", n)
	}
}
