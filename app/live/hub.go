// Package live is the WebSocket endpoint /api/v1/live: sockets subscribe
// to topics, and a hub reads newly numbered rows of the events outbox and
// fans them out. It never imports a domain package: everything it sends
// comes from the outbox, written in the transaction of the change.
//
// Per socket there are exactly two goroutines: the handler's, which only
// reads (and so answers pings and notices a closed connection), and a
// writer, the only one that writes (frames, pings, the close). The hub
// never blocks on a socket: it puts prepared frames into a bounded queue,
// and a socket whose queue is full is closed with 1008; the client
// resumes with since.
//
// gofiber/websocket is frozen upstream; it is used only in socket.go, so
// moving to gofiber/contrib/websocket is one import.
package live

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Close codes beyond RFC 6455's.
const (
	// CloseForbidden refuses a private topic to someone without its role,
	// also when the role is lost while connected.
	CloseForbidden = 4403
	// CloseBadRequest answers malformed topics or since.
	CloseBadRequest = 4400
	// CloseTooMany refuses a socket beyond the per-address cap.
	CloseTooMany = 4429
)

// Options tune the hub; the zero value is right for production.
type Options struct {
	// Reauthorize reads the viewer a session token belongs to now (nil
	// when it is no longer valid). Sockets on private topics are checked
	// with it every RecheckInterval; without it they are never rechecked.
	Reauthorize func(ctx context.Context, token string) (*access.Viewer, error)
	// QueueSize is how many frames may wait for one socket (default 64).
	QueueSize int
	// MaxPerAddr caps concurrent sockets per client address (0: no cap).
	MaxPerAddr int
	// PingInterval is how often the writer pings (default 25 s); a socket
	// that answers nothing for twice as long is closed.
	PingInterval time.Duration
	// RecheckInterval is how often a socket on a private topic has its
	// access checked again (default 10 s).
	RecheckInterval time.Duration
	// MinReadInterval spaces the hub's reads of the outbox while votes
	// come in (default 200 ms): tallies of one item read together are
	// coalesced to the last, so an item's tally goes out at most 5 times a
	// second. A read that found no tally lets the next one come at once.
	MinReadInterval time.Duration
	// WriteTimeout bounds one write to a socket (default 10 s).
	WriteTimeout time.Duration
	// Observer, when set, sees every event before any socket is sent it,
	// and the hub reads the outbox even while no socket is open.
	Observer Observer
	Log      *slog.Logger
	// SessionCookie names the cookie a browser's session token is in
	// (default mitreden_session; behind TLS it has the __Host- prefix).
	SessionCookie string
}

// Observer learns of events before the sockets do. The page cache's
// freshness.Topics is one: a reader who got an event over a socket and
// reloads must not get a page older than that event.
type Observer interface {
	Observe(evs []store.Event)
	// Lost says the outbox could not be read: what changed is unknown.
	Lost()
}

func (o *Options) defaults() {
	if o.QueueSize <= 0 {
		o.QueueSize = 64
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = 10 * time.Second
	}
	if o.MinReadInterval <= 0 {
		o.MinReadInterval = 200 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SessionCookie == "" {
		o.SessionCookie = "mitreden_session"
	}
}

// Hub fans the outbox out to the sockets of one instance.
type Hub struct {
	st *store.Store
	o  Options

	mu      sync.Mutex
	topics  map[string]map[*client]struct{}
	last    int64 // every event up to here has been handed to the sockets
	perAddr map[string]int
	open    int
	closed  bool

	sockets sync.WaitGroup // socket handlers still running
	stop    chan struct{}  // closed on Shutdown
	done    chan struct{}  // the read loop ended

	kicked    atomic.Int64
	delivered atomic.Int64
}

// New starts a hub reading st's outbox; Shutdown ends it.
func New(ctx context.Context, st *store.Store, o Options) (*Hub, error) {
	o.defaults()
	span, err := st.EventSpan(ctx)
	if err != nil {
		return nil, err
	}
	h := &Hub{
		st: st, o: o, last: span.Latest,
		topics: map[string]map[*client]struct{}{}, perAddr: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go h.run()
	return h, nil
}

// Stats are counters for tests, benchmarks and metrics.
type Stats struct {
	Open      int   // sockets connected now
	Last      int64 // the last seq handed out
	Kicked    int64 // sockets closed for falling behind
	Delivered int64 // frames queued
	Waiting   int   // frames in the sockets' queues now
}

// Stats reads the counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	waiting := 0
	seen := map[*client]bool{}
	for _, subs := range h.topics {
		for c := range subs {
			if !seen[c] {
				seen[c] = true
				c.qmu.Lock()
				waiting += len(c.queue)
				c.qmu.Unlock()
			}
		}
	}
	return Stats{Open: h.open, Last: h.last, Kicked: h.kicked.Load(), Delivered: h.delivered.Load(), Waiting: waiting}
}

// Shutdown closes every socket with 1001 (going away) and waits for them,
// at most until ctx ends, then stops reading the outbox.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.stop)
	h.mu.Unlock()
	waited := make(chan struct{})
	go func() { h.sockets.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
	}
	<-h.done
}

// run reads new events whenever the store signals them (and every few
// seconds in case a signal was lost) and hands them to the sockets.
func (h *Hub) run() {
	defer close(h.done)
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	signals, unsubscribe := h.st.Subscribe()
	defer unsubscribe()
	poll := time.NewTicker(5 * time.Second)
	defer poll.Stop()
	var (
		lastRead   time.Time
		hadTallies bool
	)
	for {
		select {
		case <-h.stop:
			return
		case <-signals:
		case <-poll.C:
		}
		if h.idle() && h.o.Observer == nil {
			// Nobody listens: no reads; the first socket brings last up to date.
			continue
		}
		// While tallies flow, reads are spaced so one read gathers many
		// events and tallies of one item collapse to the last; other
		// events are read at once.
		if wait := h.o.MinReadInterval - time.Since(lastRead); hadTallies && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-h.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		lastRead = time.Now()
		hadTallies = h.pump(ctx)
	}
}

const readBatch = 1000

// pump reads and delivers every new event; it reports whether there
// were tallies among them.
func (h *Hub) pump(ctx context.Context) (tallies bool) {
	for {
		h.mu.Lock()
		after := h.last
		h.mu.Unlock()
		evs, err := h.st.EventsAfter(ctx, after, readBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.o.Log.Warn("live: reading events failed", "err", err)
				if h.o.Observer != nil {
					h.o.Observer.Lost()
				}
			}
			return tallies
		}
		if len(evs) == 0 {
			return tallies
		}
		for i := range evs {
			tallies = tallies || topics.IsState(evs[i].Type)
		}
		if h.o.Observer != nil {
			h.o.Observer.Observe(evs)
		}
		h.deliver(evs)
		if len(evs) < readBatch {
			return tallies
		}
	}
}

// deliver hands a batch of events to the subscribed sockets, in seq order,
// each event once per socket however many of its topics match.
func (h *Hub) deliver(evs []store.Event) {
	skip := supersededTallies(evs)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range evs {
		e := &evs[i]
		if e.Seq <= h.last {
			continue
		}
		h.last = e.Seq
		if skip[i] {
			continue
		}
		for _, topic := range e.TopicList() {
			subs := h.topics[topic]
			if len(subs) == 0 {
				continue
			}
			var pm *websocket.PreparedMessage
			for c := range subs {
				if c.lastSeq >= e.Seq {
					continue
				}
				c.lastSeq = e.Seq
				if pm == nil {
					var err error
					if pm, err = websocket.NewPreparedMessage(websocket.TextMessage, encodeEvent(e, topic)); err != nil {
						h.o.Log.Error("live: preparing a frame failed", "err", err)
						break
					}
				}
				h.delivered.Add(1)
				if c.offer(outFrame{pm: pm, seq: e.Seq}) {
					h.kicked.Add(1)
				}
			}
		}
	}
}

// supersededTallies marks the vote.tally events of a batch that a later
// tally of the same item replaces: only the latest state is sent.
func supersededTallies(evs []store.Event) []bool {
	var skip []bool
	seen := map[string]bool{}
	for i := len(evs) - 1; i >= 0; i-- {
		if !topics.IsState(evs[i].Type) {
			continue
		}
		if seen[evs[i].Topics] {
			if skip == nil {
				skip = make([]bool, len(evs))
			}
			skip[i] = true
		}
		seen[evs[i].Topics] = true
	}
	if skip == nil {
		return make([]bool, len(evs))
	}
	return skip
}

// encodeEvent is the frame of an event as one topic's subscribers get it.
func encodeEvent(e *store.Event, topic string) []byte {
	b := make([]byte, 0, len(e.Data)+len(topic)+len(e.Type)+48)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"topic":`...)
	b = strconv.AppendQuote(b, topics.Shown(topic))
	b = append(b, `,"type":`...)
	b = strconv.AppendQuote(b, string(e.Type))
	b = append(b, `,"data":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	return append(b, '}')
}

// idle reports whether no socket is connected.
func (h *Hub) idle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open == 0
}

// register adds a socket's subscriptions and answers the seq from which
// the hub delivers to it: everything after it comes live, everything up
// to it is the replay's. ok is false when the hub is shutting down, and
// tooMany when the address has its cap of sockets.
// latest is the newest seq committed, read before when the hub was idle
// (it does not read the outbox without sockets).
func (h *Hub) register(c *client, latest int64) (from int64, ok, tooMany bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, false, false
	}
	// With an observer the hub reads all the time, and skipping ahead
	// would hide events from it.
	if h.open == 0 && latest > h.last && h.o.Observer == nil {
		h.last = latest
	}
	if h.o.MaxPerAddr > 0 && h.perAddr[c.addr] >= h.o.MaxPerAddr {
		return 0, true, true
	}
	h.perAddr[c.addr]++
	h.open++
	h.sockets.Add(1)
	for _, t := range c.topics {
		subs := h.topics[t]
		if subs == nil {
			subs = map[*client]struct{}{}
			h.topics[t] = subs
		}
		subs[c] = struct{}{}
	}
	c.lastSeq = h.last
	return h.last, true, false
}

func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	for _, t := range c.topics {
		if subs := h.topics[t]; subs != nil {
			delete(subs, c)
			if len(subs) == 0 {
				delete(h.topics, t)
			}
		}
	}
	if h.perAddr[c.addr]--; h.perAddr[c.addr] <= 0 {
		delete(h.perAddr, c.addr)
	}
	h.open--
	h.mu.Unlock()
	h.sockets.Done()
}
