package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/topics"
)

// Emit puts an event into the outbox as part of this write: it is written
// when the write's group commits, and only if the write succeeds. data is
// encoded as JSON; topics must not contain commas. An event for no topic
// is not written.
func (tx *Tx) Emit(ctx context.Context, eventType topics.Type, data any, to ...topics.Topic) error {
	return tx.emit("", eventType, data, to)
}

// EmitState is Emit for an event that states the latest value of
// something, such as an item's tally: of the events with one key that
// commit together, only the last is written, so a group of votes on one
// item makes one event. The caches told by OnCommit are not told of it:
// states change in bursts, and the live hub passes them on itself.
func (tx *Tx) EmitState(ctx context.Context, key string, eventType topics.Type, data any, to ...topics.Topic) error {
	return tx.emit(key, eventType, data, to)
}

func (tx *Tx) emit(key string, eventType topics.Type, data any, to []topics.Topic) error {
	if len(to) == 0 {
		return nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("emit %s: %w", eventType, err)
	}
	var list strings.Builder
	list.WriteByte(',')
	for _, t := range to {
		if t == "" || strings.ContainsRune(string(t), ',') {
			return fmt.Errorf("emit %s: bad topic %q", eventType, t)
		}
		list.WriteString(string(t))
		list.WriteByte(',')
	}
	tx.events.add(pendingEvent{key: key, typ: string(eventType), data: string(raw), topics: list.String()})
	return nil
}

type pendingEvent struct {
	// key is EmitState's key, empty for Emit.
	key    string
	typ    string
	data   string
	topics string
}

// events are the events of a write or of a group, in order; a state
// replaces the earlier one with its key in place.
type events struct {
	list  []pendingEvent
	byKey map[string]int
}

func (e *events) add(ev pendingEvent) {
	if ev.key != "" {
		if i, ok := e.byKey[ev.key]; ok {
			e.list[i] = ev
			return
		}
		if e.byKey == nil {
			e.byKey = map[string]int{}
		}
		e.byKey[ev.key] = len(e.list)
	}
	e.list = append(e.list, ev)
}

func (e *events) reset() {
	e.list = e.list[:0]
	clear(e.byKey)
}

func (e *events) merge(from *events) {
	for _, ev := range from.list {
		e.add(ev)
	}
}

// told answers the topics of the events that are not states, for OnCommit.
func (e *events) told() []string {
	var topics []string
	for _, ev := range e.list {
		if ev.key == "" {
			topics = append(topics, ev.topics)
		}
	}
	return topics
}

// write inserts the events at the end of their group's transaction.
func (e *events) write(ctx context.Context, tx *Tx) error {
	if len(e.list) == 0 {
		return nil
	}
	now := tx.Time(time.Now())
	if tx.driver == config.Postgres {
		// One statement for any number of events. They are numbered after
		// commit by the sequencer: on PostgreSQL an id taken first may
		// commit last.
		topics, types, data := make([]string, len(e.list)), make([]string, len(e.list)), make([]string, len(e.list))
		for i, ev := range e.list {
			topics[i], types[i], data[i] = ev.topics, ev.typ, ev.data
		}
		_, err := tx.Exec(ctx, `INSERT INTO events (topics, type, data, created_at)
SELECT t, y, d, ? FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS e(t, y, d, n) ORDER BY n`,
			now, TextArray(topics), TextArray(types), TextArray(data))
		if err != nil {
			return fmt.Errorf("emit: %w", err)
		}
		return nil
	}
	// SQLite has one writer: insertion order is commit order, so the
	// numbers can be given right away.
	var seq int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq); err != nil {
		return fmt.Errorf("emit: %w", err)
	}
	for _, ev := range e.list {
		seq++
		if _, err := tx.Exec(ctx, "INSERT INTO events (seq, topics, type, data, created_at) VALUES (?, ?, ?, ?, ?)", seq, ev.topics, ev.typ, ev.data, now); err != nil {
			return fmt.Errorf("emit %s: %w", ev.typ, err)
		}
	}
	return nil
}
