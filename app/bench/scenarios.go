package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/store"
)

func numCPU() int { return runtime.NumCPU() }

var voteBodies = [][]byte{[]byte(`{"value":-1}`), []byte(`{"value":0}`), []byte(`{"value":1}`)}

func scenarios() map[string]Scenario {
	return map[string]Scenario{
		"baseline-http": {Do: func(w *worker) bool { return w.do("GET", "/ping", nil, "", 200) }},
		"measure-json": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.do("GET", "/api/v1/measures/"+w.measure(), nil, "", 200)
		}},
		// Readers who are not signed in get the page from the page cache.
		"measure-html": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.do("GET", "/m/"+w.measure(), nil, "", 200)
		}},
		// Signed-in readers get a page kept for readers like them, filled
		// in for each.
		"measure-html-member": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.do("GET", "/m/"+w.measure(), nil, w.token(), 200)
		}},
		// The same, compressed as browsers ask for it.
		"measure-html-member-gzip": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.doEncoded("GET", "/m/"+w.measure(), nil, w.token(), "gzip, deflate, br", 200)
		}},
		"comments": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.do("GET", "/api/v1/measures/1/comments", nil, "", 200)
		}},
		// The same list read by signed-in residents, whom the page cache
		// does not serve: every request reads the database.
		"comments-member": {Baseline: "baseline-http", Do: func(w *worker) bool {
			return w.do("GET", "/api/v1/measures/1/comments", nil, w.token(), 200)
		}},
		"baseline-write": {Run: func(ctx context.Context, e *env) (Result, error) { return e.rawInserts(ctx) }},
		"vote": {Baseline: "baseline-write", Do: func(w *worker) bool {
			return w.do("PUT", "/api/v1/measures/"+w.measure()+"/vote", voteBodies[w.rng.IntN(3)], w.token(), 200)
		}},
		// Issue 17's floor: votes by 256 residents in turn from 64 clients
		// (wrk -t2 -c64), against the bare handler sent the same requests
		// by as many clients, as docs/wrk/votes.sh measures it.
		"baseline-http-64": {Clients: 64, Do: voteInTurn},
		"vote-64":          {Baseline: "baseline-http-64", Clients: 64, Do: voteInTurn},
		"live":             {Run: func(ctx context.Context, e *env) (Result, error) { return e.liveFanout(ctx) }},
		"export-raw":       {Run: func(ctx context.Context, e *env) (Result, error) { return e.exportRaw(ctx) }},
		"export-csv":       {Baseline: "export-raw", Run: func(ctx context.Context, e *env) (Result, error) { return e.exportHTTP(ctx, "csv") }},
		"export-xlsx":      {Baseline: "export-raw", Run: func(ctx context.Context, e *env) (Result, error) { return e.exportHTTP(ctx, "xlsx") }},
		"comment": {Baseline: "baseline-write", Do: func(w *worker) bool {
			body := []byte(`{"body":"Ein Kommentar aus dem Lasttest, Nummer ` + strconv.Itoa(w.rng.IntN(1_000_000)) + `."}`)
			return w.do("POST", "/api/v1/measures/"+w.measure()+"/comments", body, w.token(), 201)
		}},
	}
}

func (w *worker) measure() string {
	return strconv.FormatInt(w.e.measures[w.rng.IntN(len(w.e.measures))], 10)
}

func (w *worker) token() string { return w.e.tokens[w.rng.IntN(len(w.e.tokens))] }

// voteInTurn puts the next resident's vote on a measure.
func voteInTurn(w *worker) bool {
	return w.do("PUT", "/api/v1/measures/"+w.measure()+"/vote", voteBodies[w.rng.IntN(3)], w.nextResident(), 200)
}

// inTurn is how many residents vote in turn in vote-64.
const inTurn = 256

// nextResident answers the next of the first 256 residents, in turn
// across all workers.
func (w *worker) nextResident() string {
	n := min(inTurn, len(w.e.tokens))
	return w.e.tokens[int(w.e.turn.Add(1))%n]
}

// startBaseline serves the bare Fiber handlers the scenarios are compared
// with: the same framework and client, no application. The vote route
// decodes the vote's body and answers JSON of the same shape, like the
// bare app of docs/performance.md that wrk measures against: compared
// with a GET of /ping instead, the floor read 0.14-0.18 × where wrk read
// 0.22-0.24 × (vote-64, SQLite, 7 December 2026): the bare GET answered
// 84,000-92,000/s, the bare vote 69,500-77,800/s (under wrk 68,400-77,700/s).
func startBaseline() (string, func(), error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ping", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })
	app.Put("/api/v1/measures/:id/vote", func(c *fiber.Ctx) error {
		var b struct {
			Value int `json:"value"`
		}
		if err := c.BodyParser(&b); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"tally": fiber.Map{"for": 1, "against": 2, "neutral": 3}, "my_vote": b.Value})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go app.Listener(ln)
	return ln.Addr().String(), func() { app.Shutdown() }, nil
}

// seed makes the accounts that vote and comment, signs them in, opens the
// demo to post-moderation (comments publish and fan out) and writes the
// comments the list scenario reads.
func (e *env) seed(ctx context.Context) error {
	a := e.app
	slug, post := "wir2", consultations.ModerationPost
	if _, err := a.Consultations.Update(ctx, 0, slug, consultations.Input{Moderation: &post}); err != nil {
		return err
	}
	if err := a.Store.DB.NewRaw("SELECT id FROM measures ORDER BY id").Scan(ctx, &e.measures); err != nil {
		return err
	}
	e.tokens = make([]string, e.opts.Users)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make(chan error, 1)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(e.tokens) {
					return
				}
				email := fmt.Sprintf("bench%05d@example.org", i)
				if _, err := a.Accounts.Create(ctx, accounts.NewAccount{Email: email, Password: "bench-password", DisplayName: fmt.Sprintf("Person %d", i), Role: access.Resident}); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				_, s, err := a.Accounts.Login(ctx, email, "bench-password", accounts.Client{})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				e.tokens[i] = s.Token
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	// Accounts older than a day, so no per-account limit would treat them as new.
	return a.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET created_at = ?", time.Now().Add(-48*time.Hour).UTC()); err != nil {
			return err
		}
		var author int64
		if err := tx.NewRaw("SELECT id FROM users WHERE email = ?", "bench00000@example.org").Scan(ctx, &author); err != nil {
			return err
		}
		// Published comments to read; a trigger counts them (migration 33).
		now := time.Now().UTC()
		for i := range e.opts.Comments {
			if _, err := tx.ExecContext(ctx, `INSERT INTO comments (target_kind, target_id, field_id, author_id, body, stance, lang, status, created_at, updated_at, published_at)
VALUES ('measure', 1, 1, ?, ?, 'pro', 'de', ?, ?, ?, ?)`, author, fmt.Sprintf("Kommentar %d zum Lesen", i), access.Published, now, now, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// rawInserts is the write baseline: single-row inserts, each its own
// transaction, with the durability the application runs with (SQLite: WAL
// and synchronous=FULL; PostgreSQL: its defaults), from Concurrency workers.
func (e *env) rawInserts(ctx context.Context) (Result, error) {
	var db *sql.DB
	if e.opts.DB.Driver == config.Postgres {
		db = e.app.Store.DB.DB
	} else {
		var err error
		db, err = sql.Open("sqlite3", "file:"+e.scratch+"/baseline.db?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate")
		if err != nil {
			return Result{}, err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_baseline (id BIGINT, value INTEGER)"); err != nil {
		return Result{}, err
	}
	defer db.ExecContext(context.Background(), "DROP TABLE IF EXISTS bench_baseline")
	r := drive(ctx, e.opts.Concurrency, e.opts.Duration, func(i int, _ time.Time) (func() bool, func()) {
		n := 0
		return func() bool {
			n++
			_, err := db.ExecContext(ctx, "INSERT INTO bench_baseline (id, value) VALUES ($1, $2)", i, n)
			return err == nil
		}, func() {}
	})
	r.Unit = "writes/s"
	return r, nil
}

// scratchPostgres makes a fresh database on the server of db for the
// run, dropped afterwards, so a benchmark never touches real data.
func scratchPostgres(ctx context.Context, db config.Database) (config.Database, func(), error) {
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.URL)))
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mitreden_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return config.Database{}, nil, config.Usagef("bench: cannot create a scratch database on %s: %v", db, strings.SplitN(err.Error(), "\n", 2)[0])
	}
	u, err := url.Parse(db.URL)
	if err != nil {
		admin.Close()
		return config.Database{}, nil, err
	}
	u.Path = "/" + name
	drop := func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	return config.Database{Driver: config.Postgres, URL: u.String()}, drop, nil
}
