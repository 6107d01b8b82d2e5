package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mitreden/mitreden/app/metrics"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/store"
)

// newMetrics is the Prometheus registry with the live hub's and the page
// cache's counters (cache may be nil), and the backlogs an operator
// watches, read from the database when /metrics is scraped.
func (a *App) newMetrics(cache *pages.PageCache) *metrics.Metrics {
	m := metrics.New()
	hub := a.Live
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mitreden_live_sockets", Help: "Open live sockets."},
			func() float64 { return float64(hub.Stats().Open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mitreden_live_delivered_seq", Help: "The last event seq this instance's live hub handed to its sockets; behind mitreden_outbox_last_seq while it catches up."},
			func() float64 { return float64(hub.Stats().Last) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mitreden_live_frames_total", Help: "Frames queued to live sockets."},
			func() float64 { return float64(hub.Stats().Delivered) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mitreden_live_slow_closed_total", Help: "Live sockets closed with 1008 for falling behind."},
			func() float64 { return float64(hub.Stats().Kicked) }),
	)
	if cache != nil {
		m.Registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mitreden_page_cache_hits_total", Help: "Pages served from the page cache."},
				func() float64 { hits, _ := cache.Stats(); return float64(hits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mitreden_page_cache_misses_total", Help: "Cacheable pages rendered because the cache had none current."},
				func() float64 { _, misses := cache.Stats(); return float64(misses) }),
		)
	}
	m.ReadOnScrape(
		metrics.Reading{
			Gauges: []metrics.Gauge{
				{Name: "mitreden_outbox_unnumbered_events", Help: "Events committed but not yet numbered, so not yet delivered (PostgreSQL; always 0 on SQLite)."},
				{Name: "mitreden_outbox_oldest_unnumbered_seconds", Help: "Age of the oldest event not yet numbered; 0 when none waits."},
				{Name: "mitreden_outbox_last_seq", Help: "The last event seq numbered."},
			},
			Read: func(ctx context.Context) ([]float64, error) {
				lag, err := a.Store.ReadOutboxLag(store.Background(ctx))
				return append(backlogValues(lag.Unnumbered), float64(lag.LastSeq)), err
			},
		},
		backlogReading("mitreden_mail_queue_length", "Mails not sent yet: due, waiting for a retry or being sent.",
			"mitreden_mail_queue_oldest_seconds", "Age of the oldest mail not sent yet; 0 when none waits.", a.Mail.Backlog),
		backlogReading("mitreden_moderation_pending", "Contributions waiting for a moderator's decision before they are published.",
			"mitreden_moderation_oldest_pending_seconds", "Age of the oldest contribution waiting for a decision; 0 when none waits.", a.Moderation.PendingBacklog),
	)
	return m
}

// backlogReading reads a backlog as two gauges: its length and its age.
func backlogReading(count, countHelp, age, ageHelp string, read func(context.Context) (store.Backlog, error)) metrics.Reading {
	return metrics.Reading{
		Gauges: []metrics.Gauge{{Name: count, Help: countHelp}, {Name: age, Help: ageHelp}},
		Read: func(ctx context.Context) ([]float64, error) {
			b, err := read(store.Background(ctx))
			return backlogValues(b), err
		},
	}
}

func backlogValues(b store.Backlog) []float64 {
	return []float64{float64(b.Count), b.Age(time.Now()).Seconds()}
}
