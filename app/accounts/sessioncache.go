package accounts

import (
	"slices"
	"sync"
	"time"

	"github.com/mitreden/mitreden/app/access"
)

// sessionCache keeps what Authenticate read per session.
//
// Every signed-in request reads its session, for data that changes
// rarely. On SQLite each commit makes every read connection drop its page
// cache, so under a stream of votes that read cost a sixth of a vote's
// CPU; on PostgreSQL it was one of a signed-in page's two round trips.
// An entry is good while the store's accounts version is the one it was
// read under: every write that ends a session or changes an account or a
// group membership moves the version, on every process and instance,
// before that write is answered (see store.AccountsVersion). Recording a
// session's last use moves no version: an entry ends at the session's
// idle deadline as the cache knows it, which is never later than the
// stored one, and is then read again.
type sessionCache struct {
	mu      sync.RWMutex
	entries map[string]cachedSession
}

type cachedSession struct {
	viewer   access.Viewer
	expires  time.Time
	lastSeen time.Time
	version  uint64
}

const sessionCacheSize = 50_000

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[string]cachedSession{}}
}

// get answers a copy of the viewer cached for tokenHash and the
// session's last use, if still good.
func (c *sessionCache) get(tokenHash string, version uint64, now time.Time) (*access.Viewer, time.Time, bool) {
	c.mu.RLock()
	e, ok := c.entries[tokenHash]
	c.mu.RUnlock()
	if !ok || e.version != version || !alive(now, e.expires, e.lastSeen) {
		return nil, time.Time{}, false
	}
	v := e.viewer
	v.Groups = slices.Clone(v.Groups)
	return &v, e.lastSeen, true
}

// seen notes a recorded use of the session cached for tokenHash.
func (c *sessionCache) seen(tokenHash string, at time.Time) {
	c.mu.Lock()
	if e, ok := c.entries[tokenHash]; ok && e.lastSeen.Before(at) {
		e.lastSeen = at
		c.entries[tokenHash] = e
	}
	c.mu.Unlock()
}

// put keeps v, read under version. A full cache starts over: entries
// are cheap to read again.
func (c *sessionCache) put(tokenHash string, v *access.Viewer, expires, lastSeen time.Time, version uint64) {
	e := cachedSession{viewer: *v, expires: expires, lastSeen: lastSeen, version: version}
	e.viewer.Groups = slices.Clone(v.Groups)
	c.mu.Lock()
	if len(c.entries) >= sessionCacheSize {
		clear(c.entries)
	}
	c.entries[tokenHash] = e
	c.mu.Unlock()
}
