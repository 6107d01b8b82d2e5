// Package freshness tells caches whether what they keep is still current,
// from the outbox events that drive live updates.
//
// Each cached thing names the topics it shows (a measure page its
// measure:{id}) and keeps a Snapshot of their versions, taken before it
// read its data. An event on a topic counts that topic's version up; an
// event on topics.Pages (a consultation or field renamed, an account
// erased) or a lost read of the outbox makes every snapshot stale. A
// snapshot taken before an event is stale after it, so a slow reader can
// never keep what an event just invalidated.
//
// Events arrive two ways: the live hub hands every event to Observe
// before any socket gets it, and this instance's own commits reach
// Committed before the write answers (store.OnCommit).
package freshness

import (
	"sync"

	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Topics counts changes per topic.
type Topics struct {
	mu       sync.RWMutex
	versions map[string]uint64
	epoch    uint64
}

// New starts with nothing changed.
func New() *Topics { return &Topics{versions: map[string]uint64{}} }

// Snapshot is what a cached thing saw of its topics before reading.
type Snapshot struct {
	deps  []string
	vers  []uint64
	epoch uint64
}

// Observe counts the events' topics (live.Observer).
func (t *Topics) Observe(evs []store.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range evs {
		t.changedLocked(evs[i].Topics)
	}
}

// Committed counts the topics of this instance's own commit (each as
// ",a,b,"), for store.OnCommit.
func (t *Topics) Committed(lists []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ts := range lists {
		t.changedLocked(ts)
	}
}

// Lost makes every snapshot stale: the outbox could not be read.
func (t *Topics) Lost() {
	t.mu.Lock()
	t.everythingLocked()
	t.mu.Unlock()
}

func (t *Topics) changedLocked(list string) {
	ev := store.Event{Topics: list}
	if ev.HasTopic(topics.Pages) {
		t.everythingLocked()
		return
	}
	for _, topic := range ev.TopicList() {
		// Only topics something depends on are counted (Take adds them).
		if _, ok := t.versions[topic]; ok {
			t.versions[topic]++
		}
	}
}

func (t *Topics) everythingLocked() {
	t.epoch++
	// Versions matter only against snapshots of this epoch, and there are
	// none yet.
	clear(t.versions)
}

// maxTopics bounds the topics counted: requests for ever new pages
// (/m/1, /m/2, … /m/999999) cannot make the map grow without end; past it
// everything starts over.
const maxTopics = 100_000

// Take notes the versions of deps before the data they guard is read.
func (t *Topics) Take(deps []string) Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.versions)+len(deps) > maxTopics {
		t.everythingLocked()
	}
	s := Snapshot{deps: deps, vers: make([]uint64, len(deps)), epoch: t.epoch}
	for i, topic := range deps {
		v, ok := t.versions[topic]
		if !ok {
			t.versions[topic] = 0
		}
		s.vers[i] = v
	}
	return s
}

// Current reports whether nothing s depends on has changed since it was taken.
func (t *Topics) Current(s Snapshot) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if s.epoch != t.epoch {
		return false
	}
	for i, topic := range s.deps {
		if t.versions[topic] != s.vers[i] {
			return false
		}
	}
	return true
}
