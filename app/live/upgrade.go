package live

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/websocket/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/topics"
)

// What happens before a socket is upgraded: the request is checked
// (origin, topics, since, the right to private topics) and slimmed.

// request is what the HTTP handler learned before the upgrade: the
// pooled websocket.Conn must not be kept, and fiber's strings must be
// copied, so everything the socket needs travels in here.
type request struct {
	topics    []string
	private   bool
	since     int64
	hasSince  bool
	addr      string
	token     string
	closeCode int
	closeText string
	// latest is the newest seq committed, read before the upgrade when
	// the socket needs the outbox (haveLatest).
	latest     int64
	haveLatest bool
}

const requestKey = "mitreden.live.request"

// Handler answers GET /api/v1/live: it checks the request, then upgrades.
func (h *Hub) Handler() fiber.Handler {
	upgrade := websocket.New(h.serve, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   512,
		WriteBufferSize:  2048,
		// Idle sockets hold no write buffer.
		WriteBufferPool: &sync.Pool{},
	})
	return func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		if !sameOrigin(c) {
			return problem.Forbidden()
		}
		req := h.check(c)
		if err := h.readLatest(c, req); err != nil {
			return err
		}
		slim(c)
		c.Locals(requestKey, req)
		return upgrade(c)
	}
}

// readLatest reads the newest seq before the upgrade when the socket
// will need the outbox: an idle hub has not read it, and a replay (since)
// reads it. While the database does not answer, the client so gets 503
// with Retry-After, as every request that needs it does, rather than a
// socket closed at once.
func (h *Hub) readLatest(c *fiber.Ctx, req *request) error {
	if req.closeCode != 0 || (!req.hasSince && !h.idle()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	span, err := h.st.EventSpan(ctx)
	if err != nil {
		return err
	}
	req.latest, req.haveLatest = span.Latest, true
	return nil
}

// upgradeHeaders are the request headers the upgrade itself reads.
var upgradeHeaders = map[string]bool{
	"Host": true, "Upgrade": true, "Connection": true, "Origin": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true, "Sec-Websocket-Protocol": true,
}

// slim drops what the socket no longer needs before the upgrade, which
// copies every header, cookie, query argument and local into maps kept
// for the socket's life: an idle socket should hold a few KiB, not the
// whole request. The token leaves memory with the query, too.
func slim(c *fiber.Ctx) {
	var drop []string
	c.Request().Header.VisitAll(func(k, _ []byte) {
		if !upgradeHeaders[string(k)] {
			drop = append(drop, string(k))
		}
	})
	for _, k := range drop {
		c.Request().Header.Del(k)
	}
	c.Request().Header.DelAllCookies()
	c.Context().QueryArgs().Reset()
	c.Context().ResetUserValues()
}

// sameOrigin refuses browsers on other sites (cross-site WebSocket
// hijacking would ride on the session cookie). Clients without an Origin
// header are not browsers and authenticate with a token.
func sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, string(c.Request().Host()))
}

// check parses topics and since and decides, before the upgrade, whether
// the socket may have them.
func (h *Hub) check(c *fiber.Ctx) *request {
	v := access.From(c)
	req := &request{addr: access.ClientIP(c)}
	raw := strings.Clone(c.Query("topics"))
	seen := map[string]bool{}
	for _, t := range strings.Split(raw, ",") {
		if t = strings.TrimSpace(t); t == topics.Me && v.SignedIn() {
			t = string(topics.User(v.UserID))
		}
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		private, ok := allowed(v, t)
		if !ok {
			if private {
				req.closeCode, req.closeText = CloseForbidden, "forbidden topic"
				return req
			}
			req.closeCode, req.closeText = CloseBadRequest, "unknown topic"
			return req
		}
		req.private = req.private || private
		req.topics = append(req.topics, t)
	}
	if len(req.topics) == 0 || len(req.topics) > maxTopics {
		req.closeCode, req.closeText = CloseBadRequest, "topics: 1 to 50"
		return req
	}
	if s := c.Query("since"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			req.closeCode, req.closeText = CloseBadRequest, "bad since"
			return req
		}
		req.since, req.hasSince = n, true
	}
	if req.private {
		req.token = strings.Clone(sessionToken(c, h.o.SessionCookie))
	}
	return req
}

// sessionToken is the token the request authenticated with, kept to
// recheck access to private topics.
func sessionToken(c *fiber.Ctx, cookie string) string {
	if a := c.Get(fiber.HeaderAuthorization); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if t := c.Query("token"); t != "" {
		return t
	}
	return c.Cookies(cookie)
}

// allowed reports whether topic is known and whether v may have it;
// private says it is a topic that needs a role.
func allowed(v *access.Viewer, topic string) (private, ok bool) {
	if topic == topics.Me { // asked for without signing in
		return true, false
	}
	p, ok := topics.Parse(topic)
	switch {
	case !ok:
		return false, false
	case !p.Private:
		return false, true
	case p.Group > 0:
		return true, mayServe(v, p.Group)
	case p.User > 0:
		// One's own notifications, blocked or not.
		return true, v.SignedIn() && v.UserID == p.User
	}
	return true, mayModerate(v)
}

func mayModerate(v *access.Viewer) bool {
	return v.CanModerate() && !v.Blocked(time.Now())
}

func mayServe(v *access.Viewer, group int64) bool {
	return v.CanServeGroup(group) && !v.Blocked(time.Now())
}
