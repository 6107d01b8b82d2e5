package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/topics"
)

// Event is one row of the outbox as readers see it: numbered, committed.
type Event struct {
	Seq       int64           `bun:"seq"`
	Topics    string          `bun:"topics"` // ",topic1,topic2,": see Event.TopicList
	Type      topics.Type     `bun:"type"`
	Data      json.RawMessage `bun:"data,type:text"`
	CreatedAt time.Time       `bun:"created_at"`
}

// TopicList returns the topics the event was published to.
func (e Event) TopicList() []string {
	return strings.FieldsFunc(e.Topics, func(r rune) bool { return r == ',' })
}

// HasTopic reports whether the event went to topic.
func (e Event) HasTopic(topic topics.Topic) bool {
	return strings.Contains(e.Topics, ","+string(topic)+",")
}

// notifyChannel is the PostgreSQL channel the sequencer announces new
// high-water marks on. Payloads carry only a number: NOTIFY is at most once
// and capped at 8000 bytes, so listeners always read the rows themselves.
const notifyChannel = "mitreden_events"

// sequencerLock is the advisory lock that lets one instance at a time number events.
const sequencerLock = 7_246_118_001

type outbox struct {
	s     *Store
	pokes chan struct{}
	// onCommit is told the topics of each commit's events before the
	// write returns (see Store.OnCommit).
	onCommit atomic.Pointer[func(topics []string)]

	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func newOutbox(s *Store) *outbox {
	return &outbox{s: s, pokes: make(chan struct{}, 1), subs: map[chan struct{}]struct{}{}}
}

// OnCommit registers fn to be told, after each commit that wrote events
// and before the writes in it return, the topics of those events (each
// as its ",topic1,topic2," list), except EmitState's. Caches use it so
// that whoever changed something sees the change on the next page of
// this instance; other instances learn of it from the outbox, through the
// live hub.
func (s *Store) OnCommit(fn func(topics []string)) { s.outbox.onCommit.Store(&fn) }

// committed is called after a write that emitted events has committed.
func (o *outbox) committed(topics []string) {
	if fn := o.onCommit.Load(); fn != nil {
		(*fn)(topics)
	}
	if o.s.Driver == config.SQLite {
		o.broadcast()
		return
	}
	select {
	case o.pokes <- struct{}{}:
	default:
	}
}

func (o *outbox) broadcast() {
	o.mu.Lock()
	for ch := range o.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	o.mu.Unlock()
}

// Subscribe returns a channel that receives a signal whenever new events may
// have been numbered. Signals coalesce; the reader reads everything after the
// last seq it saw. cancel releases the subscription.
func (s *Store) Subscribe() (signals <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	o := s.outbox
	o.mu.Lock()
	o.subs[ch] = struct{}{}
	o.mu.Unlock()
	return ch, func() {
		o.mu.Lock()
		delete(o.subs, ch)
		o.mu.Unlock()
	}
}

func (o *outbox) run(ctx context.Context) {
	ctx = Background(ctx)
	// PostgreSQL: listen for other instances' announcements, number our own
	// commits, and catch up every second in case a NOTIFY was lost (they are
	// at most once, and pgdriver's Listener reconnects silently). SQLite's
	// writer numbers and announces its own events: there the nil channels
	// below never fire, and the loop only waits for the end. (Old events
	// are deleted by the server's retention round: Tx.PruneEvents.)
	var (
		notes <-chan pgdriver.Notification
		ticks <-chan time.Time
	)
	if o.s.Driver == config.Postgres {
		ln := pgdriver.NewListener(o.s.DB)
		defer ln.Close()
		if err := ln.Listen(ctx, notifyChannel); err != nil && ctx.Err() == nil {
			slog.Warn("events: listen failed; relying on polling", "err", err)
		}
		// A lost notification costs at most a second (the tick below), so
		// overflow is harmless; the buffer only keeps pgdriver from logging it.
		notes = ln.Channel(pgdriver.WithChannelSize(4096))
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		ticks = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.pokes:
			o.sequence(ctx)
		case <-notes:
			drain(notes)
			o.broadcast()
		case <-ticks:
			o.sequence(ctx)
			o.broadcast()
		}
	}
}

func (o *outbox) sequence(ctx context.Context) {
	for {
		n, err := o.s.SequenceEvents(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("events: sequencing failed", "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
		o.broadcast()
	}
}

// SequenceEvents numbers committed, unnumbered events in insertion order,
// one batch at a time under an advisory lock, and announces the new
// high-water mark with one NOTIFY. It answers how many it numbered. Only
// PostgreSQL has unnumbered events.
func (s *Store) SequenceEvents(ctx context.Context) (int, error) {
	if s.Driver != config.Postgres {
		return 0, nil
	}
	var numbered int
	err := s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?), "+sequencerSettings, sequencerLock); err != nil {
			return err
		}
		var top struct{ N, Max int64 }
		// Prepared (through Tx.QueryRow): planned anew each time it took
		// 379 µs to run and 223 µs to plan, prepared 276 µs and 16 µs
		// (pg_stat_statements with track_planning, vote-64, one run each).
		t := &Tx{Tx: tx, driver: s.Driver, store: s}
		if err := t.QueryRow(ctx, sequenceEvents).Scan(&top.N, &top.Max); err != nil {
			return err
		}
		numbered = int(top.N)
		if top.N == 0 {
			return nil
		}
		// Delivered at commit, so listeners never read a number before its rows.
		_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, strconv.FormatInt(top.Max, 10))
		return err
	})
	return numbered, err
}

// sequencerSettings make the sequencer find unnumbered events the way a
// queue must be read, walking an index that holds them (events_unnumbered,
// or the unique index on seq, where they are the NULLs). Numbering an
// event leaves its entry there until VACUUM. An index scan marks the
// entries it finds dead so that later scans skip them; a bitmap scan
// (which the planner chose for the few rows it expects) never does, and
// read every entry left since the last VACUUM on every run: 7,158 of them
// for 15 events after 6 s of comments. With these settings (for the
// sequencer's transaction only) its statement took 239 µs on average
// against 1,395-2,079 µs, and PostgreSQL's CPU per comment fell from
// 3.5 ms to 2.5 ms (pg_stat_statements and docs/wrk/pg-cpu.sh during bench
// comment, 7 December 2026).
const sequencerSettings = "set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)"

// sequenceEvents numbers up to 10,000 events in the order of their ids,
// after the highest number given so far.
const sequenceEvents = `WITH todo AS (
  SELECT id, row_number() OVER (ORDER BY id) AS rn FROM events WHERE seq IS NULL ORDER BY id LIMIT 10000
), base AS (
  SELECT COALESCE(MAX(seq), 0) AS m FROM events
), done AS (
  UPDATE events SET seq = base.m + todo.rn FROM todo, base WHERE events.id = todo.id RETURNING events.seq
)
SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM done`

// EventsAfter returns up to limit numbered events with seq > after, in order.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	var evs []Event
	err := s.DB.NewSelect().TableExpr("events").
		Column("seq", "topics", "type", "data", "created_at").
		Where("seq > ?", after).OrderExpr("seq").Limit(int64(limit)).Scan(ctx, &evs)
	return evs, err
}

// EventRange is the span of events the outbox still holds: Oldest is 0
// when it holds none.
type EventRange struct {
	Oldest int64 `bun:"oldest"`
	Latest int64 `bun:"latest"`
}

// EventSpan reports the oldest and newest numbered event held.
func (s *Store) EventSpan(ctx context.Context) (EventRange, error) {
	var r EventRange
	err := s.DB.NewRaw("SELECT COALESCE(MIN(seq), 0) AS oldest, COALESCE(MAX(seq), 0) AS latest FROM events WHERE seq IS NOT NULL").Scan(ctx, &r)
	return r, err
}

// OutboxLag is what the outbox has not handed on yet: events committed
// but not numbered (PostgreSQL numbers them after commit; SQLite as they
// commit, so none wait there), and the last seq numbered, which the live
// hubs deliver up to.
type OutboxLag struct {
	Unnumbered Backlog
	LastSeq    int64
}

// ReadOutboxLag reads the outbox's lag (two indexed reads).
func (s *Store) ReadOutboxLag(ctx context.Context) (OutboxLag, error) {
	b, err := s.ReadBacklog(ctx, "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM events WHERE seq IS NULL")
	if err != nil {
		return OutboxLag{}, err
	}
	span, err := s.EventSpan(ctx)
	return OutboxLag{Unnumbered: b, LastSeq: span.Latest}, err
}

// Event retention: a day, and never fewer than the last 10,000. The
// server's retention round deletes the rest (PruneEvents).
const (
	EventRetention = 24 * time.Hour
	EventKeepLast  = 10_000
)

// PruneEvents deletes up to limit numbered events older than before,
// oldest first, never one of the newest keepLast, and answers whether more
// may be left (see ExecBatch).
func (tx *Tx) PruneEvents(ctx context.Context, before time.Time, keepLast int64, limit int) (more bool, err error) {
	return tx.ExecBatch(ctx, limit, `DELETE FROM events WHERE id IN (
  SELECT id FROM events
  WHERE seq IS NOT NULL AND seq <= (SELECT COALESCE(MAX(seq), 0) FROM events) - ? AND created_at < ?
  ORDER BY seq LIMIT ?)`, keepLast, tx.Time(before))
}

// drain empties a channel of notifications: one broadcast serves them all.
func drain(ch <-chan pgdriver.Notification) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

type backgroundKey struct{}

// Background marks ctx as the platform's own housekeeping (numbering,
// pruning, fan-out), not work done for a request, so that tests counting
// the queries a request needs can leave it out.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
