package accounts

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/freshness"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Every signed-in request starts with Authenticate, a join of sessions,
// users and group memberships. What it answers is kept for a moment.
// Measured in one run, old and new builds in turn (docs/performance.md,
// 6 December 2026, "Sessions kept for a moment"): vote-64 on SQLite
// 10,600 votes/s against 7,100 without; signed-in measure pages 26,400
// against 12,300 on SQLite and 7,800 against 5,800 on PostgreSQL.
//
// A change to a session, an account or a membership is an
// accounts.changed event, written by Changed in the change's own write.
// This instance forgets every kept session before that write answers
// (store.OnCommit reaches freshness), other instances as soon as their
// live hub reads the event. Another process on the same SQLite file (the
// command line) announces nothing to the server: its changes show within
// KeepSessions.
const (
	// KeepSessions is the longest a session is kept in memory.
	KeepSessions = 5 * time.Second
	// maxSessions bounds the memory kept: past it, everything starts over.
	maxSessions = 50_000
)

// Changed announces, in the write that makes the change, that a session,
// an account or a group membership changed. Every such write calls it.
func Changed(ctx context.Context, tx *store.Tx) error {
	return tx.Emit(ctx, topics.AccountsChanged, nil, topics.Accounts)
}

// sessionCache keeps what Authenticate answered, per token hash.
type sessionCache struct {
	fresh *freshness.Topics
	mu    sync.Mutex
	kept  map[string]keptSession
}

type keptSession struct {
	v     access.Viewer
	until time.Time
	seen  freshness.Snapshot
}

// CacheSessions keeps what Authenticate answers, for KeepSessions or until
// fresh hears of a change to accounts. Without it nothing is kept.
func (s *Service) CacheSessions(fresh *freshness.Topics) {
	s.sessions = &sessionCache{fresh: fresh, kept: map[string]keptSession{}}
}

var accountTopics = []string{string(topics.Accounts)}

// snapshot is taken before the session is read, so that a change
// committed while it is read makes what was read stale.
func (c *sessionCache) snapshot() freshness.Snapshot {
	if c == nil {
		return freshness.Snapshot{}
	}
	return c.fresh.Take(accountTopics)
}

// get answers a copy of the kept viewer, or nil.
func (c *sessionCache) get(tokenHash string, now time.Time) *access.Viewer {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	k, ok := c.kept[tokenHash]
	if ok && (!now.Before(k.until) || !c.fresh.Current(k.seen)) {
		delete(c.kept, tokenHash)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	v := k.v
	v.Groups = slices.Clone(k.v.Groups)
	return &v
}

// put keeps v until KeepSessions has passed or the session ends, whichever
// comes first.
func (c *sessionCache) put(tokenHash string, v *access.Viewer, seen freshness.Snapshot, now, ends time.Time) {
	if c == nil {
		return
	}
	until := now.Add(KeepSessions)
	if ends.Before(until) {
		until = ends
	}
	k := keptSession{v: *v, until: until, seen: seen}
	k.v.Groups = slices.Clone(v.Groups)
	c.mu.Lock()
	if len(c.kept) >= maxSessions {
		clear(c.kept)
	}
	c.kept[tokenHash] = k
	c.mu.Unlock()
}
