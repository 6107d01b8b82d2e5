package pages

import (
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
)

// PageCache keeps pages (and JSON answers) as readers who are not signed
// in see them, per path and language. Everyone without an account sees the same page, and
// during a rush most readers are such people.
//
// It is invalidated by the outbox events that drive live updates: the
// live hub hands each event to Observe before any socket gets it, so a
// reader who was sent an event and reloads never gets a page older than
// that event. Each page names the topics it shows (a measure page its
// measure:{id}); an event on a topic makes the pages of that topic stale,
// and an event on store.PagesTopic (a consultation or field renamed, an
// account erased) makes every page stale.
//
// A page rendered while an event came in is stored with the topic
// versions read before its data, so it is already stale when stored: a
// slow render can never put back what an event just invalidated.
type PageCache struct {
	mu       sync.RWMutex
	versions map[string]uint64
	epoch    uint64
	entries  map[string]*cachedPage
	size     int

	maxBytes int
	maxAge   time.Duration
	now      func() time.Time

	hits, misses atomic.Int64
}

type cachedPage struct {
	body []byte
	// contentType and cacheControl are the rendered response's.
	contentType, cacheControl string
	deps                      []string
	vers                      []uint64
	epoch                     uint64
	stored                    time.Time

	// Compressed forms are made on first request, once per page.
	gzipOnce, brOnce sync.Once
	gzip, br         []byte
}

// snapshot is what a render saw of the versions before reading its data.
type snapshot struct {
	deps  []string
	vers  []uint64
	epoch uint64
}

// Default cache limits.
const (
	defaultCacheBytes = 64 << 20
	// defaultCacheAge bounds how long a page is kept even without
	// events: a safety net for a change that forgot to announce itself,
	// not the mechanism that keeps pages current.
	defaultCacheAge = time.Minute
)

// NewPageCache makes an empty cache.
func NewPageCache() *PageCache {
	return &PageCache{
		versions: map[string]uint64{}, entries: map[string]*cachedPage{},
		maxBytes: defaultCacheBytes, maxAge: defaultCacheAge, now: time.Now,
	}
}

// Observe makes the pages of the events' topics stale.
func (pc *PageCache) Observe(evs []store.Event) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for i := range evs {
		pc.staleLocked(evs[i].Topics)
	}
}

// Committed is Observe for this instance's own commits, told before the
// write returns (store.OnCommit), so that whoever changed something sees
// it on their next page at once.
func (pc *PageCache) Committed(topics []string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, t := range topics {
		pc.staleLocked(t)
	}
}

// staleLocked makes the pages of one event's topics (",a,b,") stale.
func (pc *PageCache) staleLocked(topics string) {
	ev := store.Event{Topics: topics}
	if ev.HasTopic(store.PagesTopic) {
		pc.clearLocked()
		return
	}
	for _, t := range ev.TopicList() {
		if _, ok := pc.versions[t]; ok {
			pc.versions[t]++
		}
	}
}

// Lost empties the cache: events may have been missed.
func (pc *PageCache) Lost() {
	pc.mu.Lock()
	pc.clearLocked()
	pc.mu.Unlock()
}

func (pc *PageCache) clearLocked() {
	pc.epoch++
	clear(pc.entries)
	// Versions only matter against entries, and there are none now.
	clear(pc.versions)
	pc.size = 0
}

// Stats answers hits and misses, for tests and metrics.
func (pc *PageCache) Stats() (hits, misses int64) { return pc.hits.Load(), pc.misses.Load() }

func (pc *PageCache) lookup(key string) *cachedPage {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	p := pc.entries[key]
	if p == nil || p.epoch != pc.epoch || pc.now().Sub(p.stored) > pc.maxAge {
		return nil
	}
	for i, t := range p.deps {
		if pc.versions[t] != p.vers[i] {
			return nil
		}
	}
	return p
}

// take notes the versions of deps before the page's data is read. A
// topic gets a version the first time a page depends on it; events on
// topics no page shows are not counted.
func (pc *PageCache) take(deps []string) snapshot {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	s := snapshot{deps: deps, vers: make([]uint64, len(deps)), epoch: pc.epoch}
	for i, t := range deps {
		v, ok := pc.versions[t]
		if !ok {
			pc.versions[t] = 0
		}
		s.vers[i] = v
	}
	return s
}

func (pc *PageCache) store(key string, page *cachedPage, s snapshot) {
	body := page.body
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if s.epoch != pc.epoch {
		return
	}
	if old := pc.entries[key]; old != nil {
		pc.size -= len(old.body)
		delete(pc.entries, key)
	}
	if len(body) > pc.maxBytes {
		return
	}
	// A full cache drops pages at random (map order) until this one fits:
	// pages read often come back at once, and nothing needs bookkeeping
	// on every hit.
	for k, p := range pc.entries {
		if pc.size+len(body) <= pc.maxBytes {
			break
		}
		delete(pc.entries, k)
		pc.size -= len(p.body)
	}
	page.deps, page.vers, page.epoch, page.stored = s.deps, s.vers, s.epoch, pc.now()
	pc.entries[key] = page
	pc.size += len(body)
}

// cacheableQuery lists the query parameters a cached page may have; any
// other makes the request bypass the cache, so that made-up parameters
// cannot fill it.
var cacheableQuery = map[string]bool{"lang": true, "cursor": true}

// Cached serves next's page from the cache for readers who are not
// signed in. topics names the topics the page shows, from the request;
// nil means "do not cache this request" (a path that is not canonical).
func (r *Renderer) Cached(topics func(c *fiber.Ctx) []string, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		pc := r.Cache
		if pc == nil || c.Method() != fiber.MethodGet || access.From(c).SignedIn() || c.Cookies(flashCookie) != "" {
			return next(c)
		}
		query := c.Request().URI().QueryString()
		if len(query) > 0 {
			values, err := url.ParseQuery(string(query))
			if err != nil {
				return next(c)
			}
			for k := range values {
				if !cacheableQuery[k] {
					return next(c)
				}
			}
		}
		deps := topics(c)
		if deps == nil {
			return next(c)
		}
		lang := locale.Default
		if l := locale.From(c); l != nil {
			lang = l.Lang.Code
		}
		key := lang + " " + string(c.Request().URI().Path()) + "?" + string(query)
		if p := pc.lookup(key); p != nil {
			pc.hits.Add(1)
			p.serve(c)
			return nil
		}
		pc.misses.Add(1)
		s := pc.take(deps)
		if err := next(c); err != nil {
			return err
		}
		if resp := c.Response(); resp.StatusCode() == fiber.StatusOK {
			pc.store(key, &cachedPage{
				body:         append([]byte(nil), resp.Body()...),
				contentType:  string(resp.Header.ContentType()),
				cacheControl: string(resp.Header.Peek(fiber.HeaderCacheControl)),
			}, s)
		}
		return nil
	}
}

// serve answers with the stored page, compressed when the client takes it.
func (p *cachedPage) serve(c *fiber.Ctx) {
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, p.contentType)
	if p.cacheControl != "" {
		c.Set(fiber.HeaderCacheControl, p.cacheControl)
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	body := p.body
	req := &c.Request().Header
	switch {
	case req.HasAcceptEncoding("br"):
		p.brOnce.Do(func() { p.br = fasthttp.AppendBrotliBytesLevel(nil, p.body, fasthttp.CompressBrotliDefaultCompression) })
		body = p.br
		c.Set(fiber.HeaderContentEncoding, "br")
	case req.HasAcceptEncoding("gzip"):
		p.gzipOnce.Do(func() { p.gzip = fasthttp.AppendGzipBytesLevel(nil, p.body, fasthttp.CompressDefaultCompression) })
		body = p.gzip
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	// The stored bytes are never written to again, so they can be sent
	// without a copy.
	c.Response().SetBodyRaw(body)
}
