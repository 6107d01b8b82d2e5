package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

// metricValue is the value of one series (its name with labels, as the
// text format writes it) in a scrape; ok is false when it is absent.
func metricValue(scrape, series string) (v float64, ok bool) {
	for _, line := range strings.Split(scrape, "\n") {
		if rest, found := strings.CutPrefix(line, series+" "); found {
			v, err := strconv.ParseFloat(rest, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// The backlogs an operator watches are read when /metrics is scraped:
// mail not sent yet and contributions waiting for moderation, each with
// the age of the oldest; the outbox's lag and the live hub's position.
func TestOperatorMetrics(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		scrape := func() string {
			t.Helper()
			r := s.Client().Get("/metrics")
			if r.Status != http.StatusOK {
				t.Fatalf("/metrics: %d", r.Status)
			}
			return r.Text()
		}
		want := func(m, series string, lo, hi float64) {
			t.Helper()
			if v, ok := metricValue(m, series); !ok || v < lo || v > hi {
				t.Errorf("%s = %v (present: %v), want %v to %v", series, v, ok, lo, hi)
			}
		}
		m := scrape()
		for _, series := range []string{"mitreden_mail_queue_length", "mitreden_mail_queue_oldest_seconds",
			"mitreden_moderation_pending", "mitreden_moderation_oldest_pending_seconds",
			"mitreden_outbox_unnumbered_events", "mitreden_outbox_oldest_unnumbered_seconds"} {
			want(m, series, 0, 0)
		}
		want(m, "mitreden_live_sockets", 0, 0)
		want(m, "mitreden_outbox_last_seq", 0, 1e9)

		// A comment waits for pre-moderation, and a mail for its retry;
		// both were written an hour ago.
		resident := s.Register("res@example.org", "Resident")
		if r := resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Bitte prüfen."}); r.Status != http.StatusCreated {
			t.Fatalf("comment: %d %s", r.Status, r.Body)
		}
		hourAgo := time.Now().Add(-time.Hour)
		err := s.App.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE comments SET created_at = ? WHERE status = 'pending'", tx.Time(hourAgo)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO mail_queue (recipient, subject, text_body, html_body, message_id, created_at, next_attempt_at, attempts)
VALUES ('res@example.org', 'Betreff', 'Text', '', '<1@mitreden.test>', ?, ?, 1)`, tx.Time(hourAgo), tx.Time(time.Now().Add(time.Hour)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m = scrape()
		want(m, "mitreden_moderation_pending", 1, 1)
		want(m, "mitreden_moderation_oldest_pending_seconds", 3600, 3660)
		want(m, "mitreden_mail_queue_length", 1, 1)
		want(m, "mitreden_mail_queue_oldest_seconds", 3600, 3660)

		// The vote's events are numbered and handed to the live hub.
		last, _ := metricValue(m, "mitreden_outbox_last_seq")
		if r := resident.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != http.StatusOK {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			m = scrape()
			seq, _ := metricValue(m, "mitreden_outbox_last_seq")
			delivered, _ := metricValue(m, "mitreden_live_delivered_seq")
			// Other writes of the test (the sign-in's) may commit events
			// after the vote's: wait until none is left unnumbered.
			unnumbered, _ := metricValue(m, "mitreden_outbox_unnumbered_events")
			if seq > last && delivered == seq && unnumbered == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after a vote: last seq %v (before %v), delivered %v, unnumbered %v", seq, last, delivered, unnumbered)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// Latency and counts are labelled by the route's pattern, never by the
// path asked for: one series for every measure, none for unknown paths.
func TestRequestMetricsByRoute(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		for _, path := range []string{"/f/1", "/f/2", "/api/v1/measures/1", "/api/v1/measures/2", "/no-such-page-4711", "/api/v1/measures/987654321"} {
			c.Get(path)
		}
		m := c.Get("/metrics").Text()
		for _, series := range []string{
			`mitreden_http_request_duration_seconds_count{method="GET",route="/f/:id"}`,
			`mitreden_http_request_duration_seconds_count{method="GET",route="/api/v1/measures/:id"}`,
		} {
			if v, ok := metricValue(m, series); !ok || v < 2 {
				t.Errorf("%s = %v (present: %v), want 2 or more", series, v, ok)
			}
		}
		// Quoted, as a label value stands: a bare number could be a count.
		for _, raw := range []string{`"/f/1"`, `"/f/2"`, `"/no-such-page-4711"`, `"/api/v1/measures/987654321"`, `"/api/v1/measures/1"`} {
			if strings.Contains(m, raw) {
				t.Errorf("a raw path is a label: %s", raw)
			}
		}
	})
}
