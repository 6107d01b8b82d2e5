package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/topics"
)

// liveRounds is how many votes the live scenario fans out, one at a time.
const liveRounds = 5

// liveFanout is the "live" scenario: LiveSockets sockets subscribe to one
// measure; the memory the process holds per idle socket is measured; then
// one vote at a time is cast over HTTP and the time until each socket had
// its tally is taken. The clients are bare TCP connections that speak just
// enough WebSocket (no goroutine or buffer of their own while idle), so
// the memory measured is the server's, plus a net.Conn per client.
func (e *env) liveFanout(ctx context.Context) (Result, error) {
	n := e.opts.LiveSockets
	if limit, err := raiseFileLimit(); err == nil && uint64(2*n+200) > limit {
		return Result{}, fmt.Errorf("%d sockets need %d file descriptors in this process; the limit is %d (raise it with ulimit -n)", n, 2*n+200, limit)
	}
	before := memInUse()
	conns, err := openLiveSockets(e.addrs[0], "/api/v1/live?topics=measure:1", n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return Result{}, fmt.Errorf("after %d sockets: %w", len(conns), err)
	}
	if open := e.app.Live.Stats().Open; open != n {
		return Result{}, fmt.Errorf("the hub holds %d sockets, want %d", open, n)
	}
	perSocket := float64(memInUse()-before) / float64(n)

	// Each socket gets a reader now that memory is measured.
	arrivals := make(chan time.Time, n*liveRounds)
	for _, c := range conns {
		go watchTallies(c, arrivals)
	}
	// A voter of its own whose every vote changes the tally: +1, −1, +1, …
	voter, err := e.liveVoter(ctx)
	if err != nil {
		return Result{}, err
	}
	client := &fasthttp.HostClient{Addr: e.addrs[0]}
	var all, whole []time.Duration
	for round := range liveRounds {
		time.Sleep(300 * time.Millisecond) // past the hub's tally spacing
		t0 := time.Now()
		if err := e.castLiveVote(client, voter, []string{`{"value":1}`, `{"value":-1}`}[round%2]); err != nil {
			return Result{}, err
		}
		last, err := awaitTallies(ctx, arrivals, n, t0, &all)
		if err != nil {
			return Result{}, err
		}
		whole = append(whole, last)
	}
	slices.Sort(whole)
	return Result{
		Requests: int64(len(all)), Latencies: all, Elapsed: 0,
		Throughput: float64(n), Unit: "sockets",
		Note: fmt.Sprintf("%.1f KiB per idle socket; all %d had the tally after %s (median of %d votes)",
			perSocket/1024, n, round(whole[len(whole)/2]), liveRounds),
	}, nil
}

// openLiveSockets connects n sockets from a few goroutines; each has read
// its ready frame. It answers the sockets it opened, also on an error, so
// the caller closes them.
func openLiveSockets(addr, path string, n int) ([]net.Conn, error) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		errOnce error
		conns   = make([]net.Conn, 0, n)
		next    = make(chan struct{}, n)
	)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				c, err := dialLive(addr, path)
				mu.Lock()
				if err != nil {
					if errOnce == nil {
						errOnce = err
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return conns, errOnce
}

// watchTallies reads a socket until it closes and notes when each tally
// event arrived.
func watchTallies(c net.Conn, arrivals chan<- time.Time) {
	for {
		op, payload, err := readFrame(c)
		if err != nil {
			return
		}
		if op == 1 && bytes.Contains(payload, []byte(`"`+string(topics.VoteTally)+`"`)) {
			arrivals <- time.Now()
		}
	}
}

// castLiveVote puts the voter's vote on measure 1 over HTTP.
func (e *env) castLiveVote(client *fasthttp.HostClient, voter, body string) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod("PUT")
	req.SetRequestURI("http://" + e.addrs[0] + "/api/v1/measures/1/vote")
	req.Header.Set("Authorization", "Bearer "+voter)
	req.Header.SetContentType("application/json")
	req.SetBodyString(body)
	err := client.Do(req, resp)
	if status := resp.StatusCode(); err != nil || status != 200 {
		return fmt.Errorf("vote: %v %d", err, status)
	}
	return nil
}

// awaitTallies waits until n sockets had the tally of the vote cast at t0,
// adds each socket's wait to all and answers the longest.
func awaitTallies(ctx context.Context, arrivals <-chan time.Time, n int, t0 time.Time, all *[]time.Duration) (time.Duration, error) {
	timeout := time.After(30 * time.Second)
	var last time.Duration
	for got := range n {
		select {
		case at := <-arrivals:
			d := at.Sub(t0)
			*all = append(*all, d)
			last = max(last, d)
		case <-timeout:
			return 0, fmt.Errorf("round %d: only %d of %d sockets got the tally", len(*all)/n, got, n)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return last, nil
}

// liveVoter makes an account that has not voted yet and answers its token.
func (e *env) liveVoter(ctx context.Context) (string, error) {
	a := e.app
	email := fmt.Sprintf("bench-live-%d@example.org", time.Now().UnixNano())
	if _, err := a.Accounts.Create(ctx, accounts.NewAccount{Email: email, Password: "bench-password", DisplayName: "Live", Role: access.Resident}); err != nil {
		return "", err
	}
	_, session, err := a.Accounts.Login(ctx, email, "bench-password", accounts.Client{})
	if err != nil {
		return "", err
	}
	return session.Token, nil
}

// memInUse is the heap and stack memory in use after a collection.
func memInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// raiseFileLimit lifts the open-file limit as far as allowed (a root
// process may go past the hard limit) and answers it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	for _, want := range []uint64{1 << 17, 1 << 16, l.Max} {
		if want < l.Cur {
			continue
		}
		try := syscall.Rlimit{Cur: want, Max: max(want, l.Max)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try); err == nil {
			return want, nil
		}
	}
	return l.Cur, nil
}

// dialLive opens a WebSocket with a bare TCP connection and reads the
// ready frame, without buffering beyond it.
func dialLive(addr, path string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	// The answer's head, a byte at a time, so nothing after it is read.
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := io.ReadFull(c, one); err != nil {
			c.Close()
			return nil, err
		}
		head = append(head, one[0])
		if len(head) > 4096 {
			c.Close()
			return nil, errors.New("handshake answer too long")
		}
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		c.Close()
		return nil, fmt.Errorf("handshake: %s", bytes.SplitN(head, []byte("\r\n"), 2)[0])
	}
	_, payload, err := readFrame(c)
	if err != nil || !bytes.Contains(payload, []byte(`"ready"`)) {
		c.Close()
		return nil, fmt.Errorf("no ready frame: %v %s", err, payload)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// readFrame reads one unmasked server frame: its opcode and payload.
func readFrame(c net.Conn) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return 0, nil, err
	}
	size := uint64(h[1] & 0x7f)
	switch size {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c, ext[:]); err != nil {
			return 0, nil, err
		}
		size = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(c, ext[:]); err != nil {
			return 0, nil, err
		}
		size = binary.BigEndian.Uint64(ext[:])
	}
	if size > 1<<20 {
		return 0, nil, errors.New("frame too large")
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(c, payload); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0f, payload, nil
}
