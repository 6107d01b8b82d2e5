package live

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/websocket/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/store"
)

// maxTopics is how many topics one socket may ask for.
const maxTopics = 50

// readLimit caps a message from a client: clients have nothing to say
// beyond control frames.
const readLimit = 512

// replayPage is how many outbox rows a replay reads at a time.
const replayPage = 500

// client is one socket as the hub sees it.
type client struct {
	topics  []string
	addr    string
	private bool
	token   string // to recheck access, for sockets on private topics only

	// lastSeq is the last seq queued for the socket; the hub's lock guards it.
	lastSeq int64

	// The send queue: frames waiting for the writer, at most max. It is
	// empty (nil) on an idle socket, so idle sockets hold no buffer.
	qmu   sync.Mutex
	queue []outFrame
	max   int
	wake  chan struct{} // one signal: the queue has frames

	kickOnce sync.Once
	kicked   chan struct{} // closed when the socket must go
	kickCode int
}

// outFrame is a prepared frame, shared by every socket that gets it.
type outFrame struct {
	pm  *fws.PreparedMessage
	seq int64
}

// offer queues a frame without waiting; a socket whose queue is full has
// fallen behind and is closed with 1008 (it resumes with since).
// It reports whether that frame kicked the socket out.
func (c *client) offer(f outFrame) (kicked bool) {
	c.qmu.Lock()
	if len(c.queue) >= c.max {
		c.qmu.Unlock()
		return c.kick(fws.ClosePolicyViolation)
	}
	c.queue = append(c.queue, f)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return false
}

// take empties the queue, answering what it held.
func (c *client) take() []outFrame {
	c.qmu.Lock()
	q := c.queue
	c.queue = nil
	c.qmu.Unlock()
	return q
}

// kick tells the writer to close the socket with code; only the first
// kick counts, and it answers true.
func (c *client) kick(code int) (first bool) {
	c.kickOnce.Do(func() {
		c.kickCode = code
		close(c.kicked)
		first = true
	})
	return first
}

// serve runs one socket: this goroutine reads, a second one writes.
func (h *Hub) serve(conn *websocket.Conn) {
	defer func() {
		if p := recover(); p != nil {
			h.o.Log.Error("live: socket panicked", "panic", p)
		}
	}()
	req, _ := conn.Locals(requestKey).(*request)
	if req == nil {
		req = &request{closeCode: fws.CloseInternalServerErr, closeText: "internal error"}
	}
	ws := conn.Conn
	if req.closeCode != 0 {
		closeNow(ws, req.closeCode, req.closeText, h.o.WriteTimeout)
		return
	}
	c := &client{
		topics: req.topics, addr: req.addr, private: req.private, token: req.token,
		max: h.o.QueueSize, wake: make(chan struct{}, 1), kicked: make(chan struct{}),
	}
	latest := req.latest
	if h.idle() && !req.haveLatest {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		span, err := h.st.EventSpan(ctx)
		cancel()
		if err != nil {
			closeNow(ws, fws.CloseTryAgainLater, "try again later", h.o.WriteTimeout)
			return
		}
		latest = span.Latest
	}
	from, ok, tooMany := h.register(c, latest)
	switch {
	case !ok:
		closeNow(ws, fws.CloseGoingAway, "shutting down", h.o.WriteTimeout)
		return
	case tooMany:
		closeNow(ws, CloseTooMany, "too many sockets", h.o.WriteTimeout)
		return
	}
	defer h.unregister(c)

	ws.SetReadLimit(readLimit)
	wait := 2*h.o.PingInterval + h.o.PingInterval/2
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(wait)) })

	readerDone := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer func() {
			if p := recover(); p != nil {
				h.o.Log.Error("live: socket writer panicked", "panic", p)
			}
		}()
		h.write(ws, c, req, from, readerDone)
	}()
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			break
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			break
		}
	}
	close(readerDone)
	<-writerDone
}

// write is the socket's only writer: the replay, then queued frames and
// pings, and finally the close.
func (h *Hub) write(ws *fws.Conn, c *client, req *request, from int64, readerDone <-chan struct{}) {
	// After the writer ends, the reader gets a moment to read the
	// client's answer to our close, then gives up.
	defer ws.SetReadDeadline(time.Now().Add(time.Second))

	sent, ok := h.start(ws, c, req, from)
	if !ok {
		return
	}
	period := h.o.PingInterval
	if c.private && h.o.Reauthorize != nil && h.o.RecheckInterval < period {
		period = h.o.RecheckInterval
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	k := keepAlive{lastPing: time.Now(), lastCheck: time.Now(), period: period}
	for {
		select {
		case <-c.wake:
			if !h.flush(ws, c, sent) {
				return
			}
		case <-c.kicked:
			h.closeFor(ws, c)
			return
		case <-h.stop:
			closeNow(ws, fws.CloseGoingAway, "server shutting down", h.o.WriteTimeout)
			return
		case <-readerDone:
			return
		case now := <-tick.C:
			if !h.keepAlive(ws, c, &k, now) {
				return
			}
		}
	}
}

// start sends what a new socket gets first: the replay of what it missed
// (answering the last seq sent), or "ready".
func (h *Hub) start(ws *fws.Conn, c *client, req *request, from int64) (int64, bool) {
	if !req.hasSince {
		return 0, h.writeJSON(ws, control{Type: "ready", Seq: from})
	}
	sent, err := h.replay(ws, c, req.since, from)
	if err != nil {
		switch {
		case errors.Is(err, errWrite):
		case store.IsUnavailable(err):
			closeNow(ws, fws.CloseTryAgainLater, "try again later", h.o.WriteTimeout)
		default:
			h.o.Log.Warn("live: replay failed", "err", err)
			closeNow(ws, fws.CloseInternalServerErr, "replay failed", h.o.WriteTimeout)
		}
		return 0, false
	}
	return sent, true
}

// flush writes the frames queued for the socket, except those the replay
// already sent (up to sent); false ends the socket.
func (h *Hub) flush(ws *fws.Conn, c *client, sent int64) bool {
	for _, f := range c.take() {
		if isKicked(c) {
			h.closeFor(ws, c)
			return false
		}
		if f.seq <= sent {
			continue
		}
		_ = ws.SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
		if err := ws.WritePreparedMessage(f.pm); err != nil {
			return false
		}
	}
	return true
}

// keepAlive is when a socket was last pinged and last rechecked.
type keepAlive struct {
	lastPing, lastCheck time.Time
	period              time.Duration
}

// keepAlive rechecks a private socket's access and pings, each when due;
// false ends the socket.
func (h *Hub) keepAlive(ws *fws.Conn, c *client, k *keepAlive, now time.Time) bool {
	// Ticks come a little early or late: half a period of slack.
	if c.private && h.o.Reauthorize != nil && now.Sub(k.lastCheck) >= h.o.RecheckInterval-k.period/2 {
		k.lastCheck = now
		if !h.stillAllowed(c) {
			closeNow(ws, CloseForbidden, "access ended", h.o.WriteTimeout)
			return false
		}
	}
	if now.Sub(k.lastPing) >= h.o.PingInterval-k.period/2 {
		k.lastPing = now
		if err := ws.WriteControl(fws.PingMessage, nil, now.Add(h.o.WriteTimeout)); err != nil {
			return false
		}
	}
	return true
}

func isKicked(c *client) bool {
	select {
	case <-c.kicked:
		return true
	default:
		return false
	}
}

func (h *Hub) closeFor(ws *fws.Conn, c *client) {
	if !isKicked(c) {
		return
	}
	if c.kickCode == fws.ClosePolicyViolation {
		closeNow(ws, c.kickCode, "too slow: reconnect with since", h.o.WriteTimeout)
		return
	}
	closeNow(ws, c.kickCode, "", h.o.WriteTimeout)
}

// stillAllowed reads the socket's viewer again: a role taken away, a block
// or an ended session ends private topics.
func (h *Hub) stillAllowed(c *client) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := h.o.Reauthorize(ctx, c.token)
	if err != nil {
		// The database is briefly away: keep the socket, check next time.
		return true
	}
	if v == nil {
		v = &access.Viewer{}
	}
	for _, t := range c.topics {
		if private, ok := allowed(v, t); private && !ok {
			return false
		}
	}
	return true
}

var errWrite = errors.New("live: write failed")

// replay sends the held events of the socket's topics after since up to
// the latest committed one (the hub may not have read them all yet: from
// is where it stands), then ready with that seq; or reset when since is
// older than the outbox holds. It answers the seq up to which frames
// were sent, which the queue must then skip.
func (h *Hub) replay(ws *fws.Conn, c *client, since, from int64) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	span, err := h.st.EventSpan(ctx)
	if err != nil {
		return 0, err
	}
	upTo := max(from, span.Latest)
	if since > upTo || (span.Oldest > 0 && since < span.Oldest-1) || (span.Oldest == 0 && since > 0 && since < upTo) {
		if !h.writeJSON(ws, control{Type: "reset", Seq: from}) {
			return 0, errWrite
		}
		return 0, nil
	}
	after := since
	for after < upTo {
		evs, err := h.st.EventsAfter(ctx, after, replayPage)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			break
		}
		skip := supersededTallies(evs)
		for i := range evs {
			e := &evs[i]
			if e.Seq > upTo {
				break
			}
			after = e.Seq
			if skip[i] {
				continue
			}
			topic := firstMatch(e, c.topics)
			if topic == "" {
				continue
			}
			_ = ws.SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
			if err := ws.WriteMessage(fws.TextMessage, encodeEvent(e, topic)); err != nil {
				return 0, errWrite
			}
		}
		if len(evs) < replayPage {
			break
		}
	}
	if !h.writeJSON(ws, control{Type: "ready", Seq: upTo}) {
		return 0, errWrite
	}
	return upTo, nil
}

// firstMatch is the first of the event's topics the socket asked for.
func firstMatch(e *store.Event, topics []string) string {
	for _, t := range e.TopicList() {
		for _, mine := range topics {
			if t == mine {
				return t
			}
		}
	}
	return ""
}

type control struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
}

func (h *Hub) writeJSON(ws *fws.Conn, v any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	_ = ws.SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
	return ws.WriteMessage(fws.TextMessage, data) == nil
}

func closeNow(ws *fws.Conn, code int, text string, timeout time.Duration) {
	_ = ws.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(code, text), time.Now().Add(timeout))
}
