package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/store"
)

// exportSetup seeds the comments the export scenarios read, once, and
// signs in an administrator to download them.
type exportSetup struct {
	once  sync.Once
	err   error
	token string
	rows  int64
}

func (e *env) prepareExport(ctx context.Context) error {
	e.export.once.Do(func() { e.export.err = e.seedExport(ctx) })
	return e.export.err
}

func (e *env) seedExport(ctx context.Context) error {
	a := e.app
	_, s, err := a.Accounts.Login(ctx, a.Config.AdminEmail, a.Config.AdminPassword, accounts.Client{})
	if err != nil {
		return err
	}
	e.export.token = s.Token
	// The bench's residents write them, so pseudonyms and the small-group
	// merging have real work to do.
	var authors []int64
	if err := a.Store.DB.NewRaw("SELECT id FROM users WHERE email LIKE 'bench0%' ORDER BY id LIMIT 200").Scan(ctx, &authors); err != nil {
		return err
	}
	stances := []string{"pro", "contra", "neutral"}
	langs := []string{"de", "de", "de", "en", "tr", "ar", "ru", "uk"}
	const perWrite = 2_000
	for done := 0; done < e.opts.ExportComments; done += perWrite {
		err := a.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			now := time.Now().UTC()
			for i := done; i < min(done+perWrite, e.opts.ExportComments); i++ {
				m := e.measures[i%len(e.measures)]
				if _, err := tx.ExecContext(ctx, `INSERT INTO comments (target_kind, target_id, field_id, author_id, body, stance, lang, status, created_at, updated_at, published_at)
SELECT 'measure', id, field_id, ?, ?, ?, ?, ?, ?, ?, ? FROM measures WHERE id = ?`,
					authors[i%len(authors)], fmt.Sprintf("Rückmeldung %d: ein Kommentar mit Umlauten – Grüße, und einem Komma; für die Auswertung.", i),
					stances[i%len(stances)], langs[i%len(langs)], access.Published, now, now, now, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return a.Store.DB.NewRaw("SELECT COUNT(*) FROM comments c WHERE "+access.PublicSQL("c")).Scan(ctx, &e.export.rows)
}

// exportRaw is the export baseline: the published comments read with one
// plain query and written through encoding/csv, nothing else.
func (e *env) exportRaw(ctx context.Context) (Result, error) {
	if err := e.prepareExport(ctx); err != nil {
		return Result{}, err
	}
	return e.repeat(ctx, func() error {
		rows, err := e.app.Store.Query(ctx, "SELECT c.id, c.target_id, c.stance, c.lang, c.body, c.created_at FROM comments c WHERE "+access.PublicSQL("c")+" ORDER BY c.id")
		if err != nil {
			return err
		}
		defer rows.Close()
		w := csv.NewWriter(io.Discard)
		var (
			id, target         int64
			stance, lang, body string
			created            time.Time
		)
		for rows.Next() {
			if err := rows.Scan(&id, &target, &stance, &lang, &body, &created); err != nil {
				return err
			}
			if err := w.Write([]string{strconv.FormatInt(id, 10), strconv.FormatInt(target, 10), stance, lang, body, created.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		w.Flush()
		return rows.Err()
	})
}

// exportHTTP downloads the whole demo consultation's feedback summary in
// format as an administrator would, one download after the other.
func (e *env) exportHTTP(ctx context.Context, format string) (Result, error) {
	if err := e.prepareExport(ctx); err != nil {
		return Result{}, err
	}
	client := &fasthttp.HostClient{Addr: e.addrs[0], ReadTimeout: 5 * time.Minute, StreamResponseBody: true}
	var size int
	r, err := e.repeat(ctx, func() error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + e.addrs[0] + "/api/v1/consultations/wir2/export?format=" + format)
		req.Header.Set("Authorization", "Bearer "+e.export.token)
		if err := client.Do(req, resp); err != nil {
			return err
		}
		if resp.StatusCode() != 200 {
			return fmt.Errorf("export %s: status %d", format, resp.StatusCode())
		}
		n, err := io.Copy(io.Discard, resp.BodyStream())
		size = int(n)
		return err
	})
	r.Note = fmt.Sprintf("%d comments, %.1f MiB", e.export.rows, float64(size)/(1<<20))
	return r, err
}

// repeat runs one export after another for the scenario's duration (at
// least once) and times each.
func (e *env) repeat(ctx context.Context, once func() error) (Result, error) {
	var r Result
	start := time.Now()
	deadline := start.Add(e.opts.Duration)
	for n := 0; n == 0 || (time.Now().Before(deadline) && ctx.Err() == nil); n++ {
		t0 := time.Now()
		if err := once(); err != nil {
			return r, err
		}
		r.Latencies = append(r.Latencies, time.Since(t0))
		r.Requests++
	}
	r.Elapsed, r.Unit = time.Since(start), "exports/s"
	return r, nil
}
