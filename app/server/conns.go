package server

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// connections knows the server's open connections and which of them have
// a request in a handler, so that a shutdown can end the idle ones at once.
//
// fasthttp alone cannot: a freshly accepted connection counts as active
// before it sent a byte and waits in the header read until ReadTimeout,
// so its Shutdown waits for such connections (a browser's spare
// connection, a client's pool) until it gives up.
type connections struct {
	mu   sync.Mutex
	open map[*conn]struct{}
	// stopping makes every read of a connection without a request in a
	// handler fail at once: the waiting header read ends, and so does
	// any later one, whatever deadline fasthttp sets.
	stopping atomic.Bool
}

func newConnections() *connections {
	return &connections{open: map[*conn]struct{}{}}
}

// listen wraps ln so that its connections are known.
func (cs *connections) listen(ln net.Listener) net.Listener {
	return &trackedListener{Listener: ln, conns: cs}
}

// handler marks a connection busy while next serves its request.
func (cs *connections) handler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c, ok := ctx.Conn().(*conn)
		if !ok {
			next(ctx)
			return
		}
		c.busy.Store(true)
		defer c.idle()
		next(ctx)
	}
}

// stop ends every idle connection's wait for a request; connections with
// a request in a handler finish it (its answer is written: a read
// deadline does not touch writes) and end when they wait for the next.
func (cs *connections) stop() {
	cs.stopping.Store(true)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.open {
		if !c.busy.Load() {
			_ = c.Conn.SetReadDeadline(aLongTimeAgo)
		}
	}
}

var aLongTimeAgo = time.Unix(1, 0)

type trackedListener struct {
	net.Listener
	conns *connections
}

func (l *trackedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, owner: l.conns}
	l.conns.mu.Lock()
	l.conns.open[c] = struct{}{}
	l.conns.mu.Unlock()
	if l.conns.stopping.Load() {
		_ = nc.SetReadDeadline(aLongTimeAgo)
	}
	return c, nil
}

// conn is an accepted connection.
type conn struct {
	net.Conn
	owner     *connections
	busy      atomic.Bool
	closeOnce sync.Once
}

func (c *conn) idle() {
	c.busy.Store(false)
	if c.owner.stopping.Load() {
		_ = c.Conn.SetReadDeadline(aLongTimeAgo)
	}
}

func (c *conn) SetReadDeadline(t time.Time) error {
	if c.owner.stopping.Load() && !c.busy.Load() {
		t = aLongTimeAgo
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// Lingering close: the server may answer before it read the whole request
// (a body over the limit, an encoded body, a head too long) and then
// close. Closing a socket with unread data makes the kernel send a reset,
// and the client would see "connection reset" instead of the answer. So
// the write side is shut first (the answer is followed by a FIN) and what
// the client still sends is read and dropped, for a bounded time and
// size, before the socket closes. A client that closes first, as most
// do, ends the lingering at once.
const (
	lingerTime  = 5 * time.Second
	lingerBytes = 64 << 20
)

func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.owner.mu.Lock()
		delete(c.owner.open, c)
		c.owner.mu.Unlock()
		hc, ok := c.Conn.(interface{ CloseWrite() error })
		if !ok || hc.CloseWrite() != nil {
			_ = c.Conn.Close()
			return
		}
		go func() {
			_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.CopyN(io.Discard, c.Conn, lingerBytes)
			_ = c.Conn.Close()
		}()
	})
	return nil
}
