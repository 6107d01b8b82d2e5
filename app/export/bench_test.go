package export_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/export"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/i18n"
)

// Benchmark sizes: the targets of DESIGN.md are for 100,000 comments and
// 1,000,000 votes (CSV ≤ 2 s, XLSX ≤ 10 s, ≤ 64 MiB above idle).
const (
	benchUsers    = 20000
	benchMeasures = 50 // × benchUsers = 1,000,000 votes
	benchIdeas    = 2000
	benchComments = 100000
)

// BenchmarkExport seeds one field with 100,000 comments, 2,000 ideas and
// 1,000,000 votes on SQLite and writes the group's export in every
// format, reporting the time per export and the peak memory above idle:
//
//	go test -run '^$' -bench BenchmarkExport -benchtime 3x ./app/export/
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b, storetest.NewDatabase(b, config.SQLite))
	start := time.Now()
	seedLarge(b, ctx, st)
	b.Logf("seeded %d comments, %d ideas, %d votes in %s", benchComments, benchIdeas, benchUsers*benchMeasures, time.Since(start).Round(time.Millisecond))
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		b.Fatal(err)
	}
	l := catalog.Get("de")
	ex := export.New(st)
	sc, err := ex.GroupScope(ctx, 1, l)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range export.Formats {
		b.Run(format, func(b *testing.B) {
			var peakRSS, peakHeap, size int64
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				debug.FreeOSMemory()
				resetPeakRSS()
				idleRSS, idleHeap := rss("VmRSS"), heapBytes()
				stop := sampleHeap()
				b.StartTimer()
				w := &countingWriter{}
				if err := ex.Write(ctx, w, sc, format, l, nil); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peakRSS = max(peakRSS, rss("VmHWM")-idleRSS)
				peakHeap = max(peakHeap, stop()-idleHeap)
				size = w.n
				b.StartTimer()
			}
			b.ReportMetric(float64(peakRSS)/(1<<20), "MiB-rss-above-idle")
			b.ReportMetric(float64(peakHeap)/(1<<20), "MiB-heap-above-idle")
			b.ReportMetric(float64(size)/(1<<20), "MiB-file")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// rss reads a memory line of /proc/self/status (VmRSS now, VmHWM the peak)
// in bytes; 0 where there is no /proc.
func rss(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, v, ok := strings.Cut(sc.Text(), ":"); ok && name == field {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() int64 {
	s := make([]metrics.Sample, 1)
	s[0].Name = heapSample[0].Name
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// sampleHeap watches the live heap every few milliseconds until stopped
// and answers its peak.
func sampleHeap() func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if h := heapBytes(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// seedLarge writes the data set with multi-row inserts in one transaction.
func seedLarge(b *testing.B, ctx context.Context, st *store.Store) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	day0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	ts := func(i int) string {
		return "'" + day0.Add(time.Duration(i)*37*time.Second).Format("2006-01-02 15:04:05.999999-07:00") + "'"
	}
	err := st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		exec := func(q string) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		}
		// rows inserts n rows of table, 500 to a statement.
		rows := func(table, cols string, n int, row func(i int) string) error {
			var sb strings.Builder
			for i := 0; i < n; {
				sb.Reset()
				sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
				for j := 0; j < 500 && i < n; j, i = j+1, i+1 {
					if j > 0 {
						sb.WriteByte(',')
					}
					sb.WriteString("(" + row(i) + ")")
				}
				if err := exec(sb.String()); err != nil {
					return err
				}
			}
			return nil
		}
		now := ts(0)
		if err := exec(`INSERT INTO consultations (id, slug, title, description, phase, moderation, created_at, updated_at)
VALUES (1, 'bench', '{"de":"Benchmark"}', '{"de":""}', 'open', 'post', ` + now + `, ` + now + `)`); err != nil {
			return err
		}
		if err := exec(`INSERT INTO themes (consultation_id, key, title, position) VALUES (1, 'gleichbehandlung', '{"de":"Gleichbehandlung"}', 1), (1, 'diversitaet', '{"de":"Diversität"}', 2)`); err != nil {
			return err
		}
		if err := exec(`INSERT INTO fields (id, consultation_id, slug, title, description, position, created_at, updated_at)
VALUES (1, 1, 'bildung', '{"de":"Bildung"}', '{"de":""}', 1, ` + now + `, ` + now + `)`); err != nil {
			return err
		}
		if err := exec(`INSERT INTO expert_groups (id, name, created_at, updated_at) VALUES (1, '{"de":"AG Bildung"}', ` + now + `, ` + now + `)`); err != nil {
			return err
		}
		if err := exec(`INSERT INTO expert_group_fields (group_id, field_id) VALUES (1, 1)`); err != nil {
			return err
		}
		langs := []string{"de", "de", "de", "en", "tr", "ar", "ru", "uk"}
		if err := rows("users", "id, email, display_name, created_at, updated_at", benchUsers, func(i int) string {
			return fmt.Sprintf("%d, 'user%d@example.org', 'User %d', %s, %s", i+1, i, i, now, now)
		}); err != nil {
			return err
		}
		if err := rows("measures", "id, field_id, title, summary, description, themes, created_at, updated_at", benchMeasures, func(i int) string {
			themes := `["gleichbehandlung"]`
			if i%2 == 1 {
				themes = `["diversitaet"]`
			}
			return fmt.Sprintf(`%d, 1, '{"de":"Maßnahme %d"}', '{"de":""}', '{"de":""}', '%s', %s, %s`, i+1, i, themes, now, now)
		}); err != nil {
			return err
		}
		if err := rows("ideas", "id, field_id, author_id, title, body, lang, themes, status, created_at, updated_at, published_at", benchIdeas, func(i int) string {
			return fmt.Sprintf(`%d, 1, %d, 'Idee %d', 'Eine Idee mit etwas Text, Umlauten (äöü) und mehr.', '%s', '["diversitaet"]', 'published', %s, %s, %s`,
				i+1, rng.IntN(benchUsers)+1, i, langs[i%len(langs)], ts(i*50), ts(i*50), ts(i*50))
		}); err != nil {
			return err
		}
		body := strings.Repeat("Ein Kommentar mit Begründung, Umlauten (äöü) und Kyrillisch (привет). ", 4)
		stances := []string{"pro", "contra", "neutral"}
		if err := rows("comments", "target_kind, target_id, field_id, author_id, body, stance, lang, status, created_at, updated_at, published_at", benchComments, func(i int) string {
			kind, target := "measure", i%benchMeasures+1
			if i%10 == 0 {
				kind, target = "idea", i%benchIdeas+1
			}
			return fmt.Sprintf("'%s', %d, 1, %d, '%s', '%s', '%s', 'published', %s, %s, %s",
				kind, target, rng.IntN(benchUsers)+1, body, stances[i%3], langs[i%len(langs)], ts(i), ts(i), ts(i))
		}); err != nil {
			return err
		}
		// The triggers on votes count the tallies, as those on comments
		// count the comments.
		return rows("votes", "user_id, target_kind, target_id, value, created_at, updated_at", benchUsers*benchMeasures, func(i int) string {
			return fmt.Sprintf("%d, 'measure', %d, %d, %s, %s", i/benchMeasures+1, i%benchMeasures+1, rng.IntN(3)-1, ts(i/20), ts(i/20))
		})
	})
	if err != nil {
		b.Fatal(err)
	}
}
