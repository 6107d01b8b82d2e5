package pages

import (
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/freshness"
	"github.com/mitreden/mitreden/app/locale"
)

// PageCache keeps pages (and JSON answers) as readers who are not signed
// in see them, per path and language. Everyone without an account sees
// the same page, and during a rush most readers are such people. Pages
// wrapped in CachedPersonal are also kept for signed-in readers, one per
// kind of reader, and filled in per reader (see personal.go); answers
// wrapped in CachedShared are served to every reader as kept.
//
// Pages are kept with a freshness.Snapshot of the topics they show and
// served only while it is current: the outbox events that drive live
// updates invalidate them, the live hub's before any socket gets them, so
// a reader who was sent an event and reloads never gets a page older than
// that event (see package freshness).
type PageCache struct {
	topics *freshness.Topics

	mu      sync.RWMutex
	entries map[string]*cachedPage
	size    int

	maxBytes int
	maxAge   time.Duration
	now      func() time.Time

	hits, misses atomic.Int64
	// off turns the cache off, for comparing cached pages with rendered ones.
	off atomic.Bool
}

type cachedPage struct {
	body []byte
	// contentType and cacheControl are the rendered response's.
	contentType, cacheControl string

	// parts fill in a page kept for signed-in readers; nil for pages
	// kept for everyone else.
	parts Parts

	seen   freshness.Snapshot
	stored time.Time

	// Compressed forms are made on first request, once per page.
	gzipOnce, brOnce sync.Once
	gzip, br         []byte
}

// Default cache limits.
const (
	defaultCacheBytes = 64 << 20
	// defaultCacheAge bounds how long a page is kept even without
	// events: a safety net for a change that forgot to announce itself,
	// not the mechanism that keeps pages current.
	defaultCacheAge = time.Minute
)

// NewPageCache makes an empty cache that follows topics.
func NewPageCache(topics *freshness.Topics) *PageCache {
	return &PageCache{
		topics: topics, entries: map[string]*cachedPage{},
		maxBytes: defaultCacheBytes, maxAge: defaultCacheAge, now: time.Now,
	}
}

// SetEnabled turns the cache on or off; off, every request is rendered.
func (pc *PageCache) SetEnabled(on bool) { pc.off.Store(!on) }

func (pc *PageCache) enabled() bool { return !pc.off.Load() }

// Stats answers hits and misses, for tests and metrics.
func (pc *PageCache) Stats() (hits, misses int64) { return pc.hits.Load(), pc.misses.Load() }

func (pc *PageCache) lookup(key string) *cachedPage {
	pc.mu.RLock()
	p := pc.entries[key]
	pc.mu.RUnlock()
	if p == nil || pc.now().Sub(p.stored) > pc.maxAge || !pc.topics.Current(p.seen) {
		return nil
	}
	return p
}

// store keeps page, seen as seen before its data was read; a page that
// is stale already is not kept.
func (pc *PageCache) store(key string, page *cachedPage, seen freshness.Snapshot) {
	if !pc.topics.Current(seen) {
		return
	}
	weight := page.weight()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if old := pc.entries[key]; old != nil {
		pc.size -= old.weight()
		delete(pc.entries, key)
	}
	if weight > pc.maxBytes {
		return
	}
	// A full cache drops pages at random (map order) until this one fits:
	// pages read often come back at once, and nothing needs bookkeeping
	// on every hit.
	for k, p := range pc.entries {
		if pc.size+weight <= pc.maxBytes {
			break
		}
		delete(pc.entries, k)
		pc.size -= p.weight()
	}
	page.seen, page.stored = seen, pc.now()
	pc.entries[key] = page
	pc.size += weight
}

// cacheableQuery lists the query parameters a cached page may have; any
// other makes the request bypass the cache, so that made-up parameters
// cannot fill it.
var cacheableQuery = map[string]bool{"lang": true, "cursor": true}

// Cached serves next's page from the cache for readers who are not
// signed in. topics names the topics the page shows, from the request;
// nil means "do not cache this request" (a path that is not canonical).
func (r *Renderer) Cached(topics func(c *fiber.Ctx) []string, next fiber.Handler) fiber.Handler {
	return r.cached(topics, next, forAnonymous)
}

// CachedPersonal is Cached that also keeps next's page for signed-in
// readers, one per kind of reader, rendered with markers and filled in
// for each reader (see personal.go). next must honour Stenciling.
func (r *Renderer) CachedPersonal(topics func(c *fiber.Ctx) []string, next fiber.Handler) fiber.Handler {
	return r.cached(topics, next, forKinds)
}

// CachedShared is Cached for an answer that is the same for every reader
// who may read it at all, such as an item's comments (published ones
// only, whoever asks). Whatever readers who are not signed in may read,
// every reader may (access.Viewer.SeesItem), so their answer is kept once
// and served to signed-in readers too. A signed-in reader's miss is
// rendered as readers who are not signed in see it, and kept; only when
// they could not read it (a draft's measure an admin reads, a hidden idea
// its author reads) is it rendered for the reader, and not kept.
// Signed-in residents read a measure's comments at 2,343-2,587/s rendered
// and 32,347-33,111/s kept on PostgreSQL, at 5,130-5,325/s and
// 28,949-33,532/s on SQLite (bench comments-member, two rounds each in
// turn, 7 December 2026).
func (r *Renderer) CachedShared(topics func(c *fiber.Ctx) []string, next fiber.Handler) fiber.Handler {
	return r.cached(topics, next, forEveryone)
}

// keeping is who gets a page kept by the cache.
type keeping int

const (
	// forAnonymous keeps pages for readers who are not signed in.
	forAnonymous keeping = iota
	// forKinds also keeps a page per kind of signed-in reader.
	forKinds
	// forEveryone keeps one answer for every reader.
	forEveryone
)

func (r *Renderer) cached(topics func(c *fiber.Ctx) []string, next fiber.Handler, keeps keeping) fiber.Handler {
	return func(c *fiber.Ctx) error {
		pc := r.Cache
		viewer := access.From(c)
		if !pc.mayKeep(c, viewer, keeps) {
			return next(c)
		}
		deps := topics(c)
		if deps == nil {
			return next(c)
		}
		// personal: the reader gets a page kept for their kind of reader.
		personal := viewer.SignedIn() && keeps == forKinds
		key := pageKey(c)
		if personal {
			key = "member " + shape(viewer) + " " + key
		}
		if p := pc.lookup(key); p != nil {
			pc.hits.Add(1)
			if personal {
				return p.servePersonal(c, viewer, r.unreadBadge(c, viewer))
			}
			p.serve(c)
			return nil
		}
		pc.misses.Add(1)
		seen := pc.topics.Take(deps)
		if personal {
			return pc.renderPersonal(c, key, seen, viewer, r.unreadBadge(c, viewer), next)
		}
		return pc.renderShared(c, key, seen, viewer, next)
	}
}

// mayKeep reports whether the request's answer may come from the cache
// and go into it: a GET without a flash message, by a reader the cache
// keeps pages for, with no query parameters but those a kept page may have.
func (pc *PageCache) mayKeep(c *fiber.Ctx, viewer *access.Viewer, keeps keeping) bool {
	if pc == nil || !pc.enabled() || c.Method() != fiber.MethodGet || c.Cookies(flashCookie) != "" {
		return false
	}
	if viewer.SignedIn() && (keeps == forAnonymous || keeps == forKinds && !sharesPages(viewer)) {
		return false
	}
	query := c.Request().URI().QueryString()
	if len(query) == 0 {
		return true
	}
	values, err := url.ParseQuery(string(query))
	if err != nil {
		return false
	}
	for k := range values {
		if !cacheableQuery[k] {
			return false
		}
	}
	return true
}

// pageKey names a page in the cache by its language, path and query.
func pageKey(c *fiber.Ctx) string {
	lang := locale.Default
	if l := locale.From(c); l != nil {
		lang = l.Lang.Code
	}
	uri := c.Request().URI()
	return lang + " " + string(uri.Path()) + "?" + string(uri.QueryString())
}

// renderShared renders next's answer as readers who are not signed in
// see it (From answers the anonymous viewer when none is set) and keeps
// it when it is a page. When it is not and the reader is signed in, the
// reader may read what others may not (a draft's measure an admin reads,
// a hidden idea its author reads): it is rendered again for them and not
// kept. Only the body is reset: a full reset would also drop the security
// and no-store headers that middleware set before next ran.
func (pc *PageCache) renderShared(c *fiber.Ctx, key string, seen freshness.Snapshot, viewer *access.Viewer, next fiber.Handler) error {
	access.Set(c, nil)
	err := next(c)
	access.Set(c, viewer)
	if resp := c.Response(); err == nil && resp.StatusCode() == fiber.StatusOK {
		pc.store(key, keep(resp, nil), seen)
		return nil
	}
	if !viewer.SignedIn() {
		return err
	}
	c.Response().ResetBody()
	c.Status(fiber.StatusOK)
	return next(c)
}

// sharesPages reports whether a signed-in reader may get a page kept for
// readers of the same role and groups: not while their pages differ from
// everyone else's, for a block (the banner, no staff links) or a second
// factor or new password they must first set, or an address to confirm.
func sharesPages(v *access.Viewer) bool {
	return !v.Blocked(time.Now()) && !v.NeedsTwoFactor && !v.MustChangePassword && !v.Unverified
}

// renderPersonal renders next's page with markers, keeps it when next
// named its parts, and answers it filled in for viewer.
func (pc *PageCache) renderPersonal(c *fiber.Ctx, key string, seen freshness.Snapshot, viewer *access.Viewer, badge string, next fiber.Handler) error {
	c.Locals(stencilLocal, true)
	err := next(c)
	c.Locals(stencilLocal, nil)
	parts, _ := c.Locals(partsLocal).(Parts)
	c.Locals(partsLocal, nil)
	if err != nil {
		return err
	}
	resp := c.Response()
	if resp.StatusCode() != fiber.StatusOK || parts == nil {
		// Not a page to keep (an answer other than the page, or a
		// handler that names no parts): it still carries the CSRF marker.
		resp.SetBody(personalize(nil, string(resp.Body()), escapedCSRF(viewer), withBadge(nil, badge)))
		return nil
	}
	page := keep(resp, parts)
	pc.store(key, page, seen)
	return page.servePersonal(c, viewer, badge)
}

// keep copies a rendered page out of the response, whose memory Fiber
// reuses.
func keep(resp *fasthttp.Response, parts Parts) *cachedPage {
	return &cachedPage{
		body:         append([]byte(nil), resp.Body()...),
		contentType:  string(resp.Header.ContentType()),
		cacheControl: string(resp.Header.Peek(fiber.HeaderCacheControl)),
		parts:        parts,
	}
}

// writeHeader answers 200 with the stored page's headers.
func (p *cachedPage) writeHeader(c *fiber.Ctx) {
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, p.contentType)
	if p.cacheControl != "" {
		c.Set(fiber.HeaderCacheControl, p.cacheControl)
	}
}

// servePersonal answers the stored page filled in for viewer. It is
// never compressed here: that is the compress middleware's, as for any
// page rendered per reader.
func (p *cachedPage) servePersonal(c *fiber.Ctx, viewer *access.Viewer, badge string) error {
	fill, err := p.parts.Personal(c, viewer)
	if err != nil {
		return err
	}
	fill = withBadge(fill, badge)
	buf := personalBuffers.Get().(*[]byte)
	out := personalize((*buf)[:0], unsafe.String(unsafe.SliceData(p.body), len(p.body)), escapedCSRF(viewer), fill)
	p.writeHeader(c)
	c.Response().SetBody(out)
	*buf = out
	personalBuffers.Put(buf)
	return nil
}

var personalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// weight is what the page counts against the cache's size.
func (p *cachedPage) weight() int {
	if p.parts != nil {
		return len(p.body) + p.parts.Size()
	}
	return len(p.body)
}

// serve answers with the stored page, compressed when the client takes it.
func (p *cachedPage) serve(c *fiber.Ctx) {
	p.writeHeader(c)
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
