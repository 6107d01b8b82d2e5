package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/live"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/topics"
)

// frame is one message of the live protocol.
type frame struct {
	Seq   int64           `json:"seq"`
	Topic string          `json:"topic"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data"`
}

// socket is a test client: a goroutine reads every frame into a channel;
// closed carries the close error once the socket ends.
type socket struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	closed chan error
}

type dialOpts struct {
	token  string
	origin string
	// rcvbuf shrinks the client's kernel receive buffer.
	rcvbuf int
	// noRead leaves the socket unread until Read is called.
	noRead bool
}

func wsURL(s *apptest.Server, query string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/api/v1/live?" + query
}

func dial(t testing.TB, s *apptest.Server, query string, o dialOpts) (*socket, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if o.rcvbuf > 0 {
		nd := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		d.NetDialContext = nd.DialContext
		d.ReadBufferSize = 1024
	}
	h := http.Header{}
	if o.token != "" {
		h.Set("Authorization", "Bearer "+o.token)
	}
	if o.origin != "" {
		h.Set("Origin", o.origin)
	}
	conn, resp, err := d.Dial(wsURL(s, query), h)
	if err != nil {
		return nil, resp, err
	}
	sock := &socket{t: t, conn: conn, frames: make(chan frame, 100000), closed: make(chan error, 1)}
	t.Cleanup(func() { conn.Close() })
	if !o.noRead {
		go sock.read()
	}
	return sock, resp, nil
}

func mustDial(t testing.TB, s *apptest.Server, query string, o dialOpts) *socket {
	t.Helper()
	sock, resp, err := dial(t, s, query, o)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", query, err, status)
	}
	return sock
}

func (s *socket) read() {
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			s.closed <- err
			close(s.frames)
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			s.closed <- fmt.Errorf("not JSON: %s", data)
			close(s.frames)
			return
		}
		s.frames <- f
	}
}

// next waits for the next frame.
func (s *socket) next(within time.Duration) frame {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatalf("socket closed: %v", <-s.closed)
		}
		return f
	case <-time.After(within):
		s.t.Fatalf("no frame within %s", within)
	}
	return frame{}
}

// until waits for a frame of type typ, failing on frames of other types
// unless they are in allow.
func (s *socket) until(typ string, within time.Duration, allow ...string) frame {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		f := s.next(time.Until(deadline))
		if f.Type == typ {
			return f
		}
		if !slices.Contains(allow, f.Type) {
			s.t.Fatalf("got %s %s before %s", f.Type, f.Data, typ)
		}
	}
}

// closeCode waits until the server closes the socket and answers the code.
func (s *socket) closeCode(within time.Duration) int {
	s.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-s.frames:
			if ok {
				continue
			}
			err := <-s.closed
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			s.t.Fatalf("socket ended without a close frame: %v", err)
		case <-deadline:
			s.t.Fatalf("socket still open after %s", within)
		}
	}
}

type tallyData struct {
	Target string `json:"target"`
	ID     int64  `json:"id"`
	Tally  struct {
		For, Against, Neutral int
	} `json:"tally"`
}

func vote(t *testing.T, c *apptest.Client, measure int64, value int) {
	t.Helper()
	r := c.Do(http.MethodPut, "/api/v1/measures/"+strconv.FormatInt(measure, 10)+"/vote", map[string]int{"value": value})
	if r.Status != http.StatusOK {
		t.Fatalf("vote: %d %s", r.Status, r.Body)
	}
}

func comment(t testing.TB, c *apptest.Client, measure int64, body string) int64 {
	t.Helper()
	r := c.Do(http.MethodPost, "/api/v1/measures/"+strconv.FormatInt(measure, 10)+"/comments", map[string]string{"body": body})
	if r.Status != http.StatusCreated {
		t.Fatalf("comment: %d %s", r.Status, r.Body)
	}
	var out struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	r.JSON(t, &out)
	return out.ID
}

func postModeration(t *testing.T, s *apptest.Server) {
	t.Helper()
	r := s.Admin().Do(http.MethodPatch, "/api/v1/consultations/wir2", map[string]string{"moderation": "post"})
	if r.Status != http.StatusOK {
		t.Fatalf("post-moderation: %d %s", r.Status, r.Body)
	}
}

const wait = 10 * time.Second

// allEvents reads every row of the outbox, numbered or not.
func allEvents(t *testing.T, s *apptest.Server) []store.Event {
	t.Helper()
	var evs []store.Event
	err := s.App.Store.DB.NewRaw("SELECT COALESCE(seq, 0) AS seq, topics, type, data, created_at FROM events ORDER BY id").Scan(context.Background(), &evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("the outbox is empty")
	}
	return evs
}

// A vote over HTTP reaches a socket on the measure's topic as its tally.
func TestTallyAfterVote(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		sock := mustDial(t, s, "topics=measure:1,consultation:wir2", dialOpts{})
		ready := sock.next(wait)
		if ready.Type != "ready" {
			t.Fatalf("first frame %+v, want ready", ready)
		}
		if m := s.Client().Get("/metrics").Text(); !strings.Contains(m, "mitreden_live_sockets 1\n") {
			t.Fatalf("metrics lack the open socket")
		}
		vote(t, s.Register("voter@example.org", "Voter"), 1, 1)
		f := sock.until("vote.tally", wait)
		var d tallyData
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatal(err)
		}
		if f.Topic != "measure:1" || d.Target != "measure" || d.ID != 1 || d.Tally.For != 1 || f.Seq <= ready.Seq {
			t.Fatalf("tally frame %+v %+v (ready %d)", f, d, ready.Seq)
		}
		// Sent once although both topics match.
		vote(t, s.Register("voter2@example.org", "Voter 2"), 1, -1)
		g := sock.until("vote.tally", wait)
		if g.Seq <= f.Seq {
			t.Fatalf("seq %d after %d", g.Seq, f.Seq)
		}
		json.Unmarshal(g.Data, &d)
		if d.Tally.For != 1 || d.Tally.Against != 1 {
			t.Fatalf("second tally %s", g.Data)
		}
	})
}

// An idle socket that answers pings stays open past its read deadline.
func TestIdleSocketStaysOpen(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		sock := mustDial(t, s, "topics=measure:1", dialOpts{})
		sock.until("ready", wait)
		// Ten ping intervals of silence; the read deadline is 2.5 of them.
		time.Sleep(time.Second)
		if open := s.App.Live.Stats().Open; open != 1 {
			t.Fatalf("%d sockets open after a silent second", open)
		}
		vote(t, s.Register("late@example.org", "Late"), 1, 1)
		sock.until("vote.tally", wait)
	}, apptest.WithLive(func(o *live.Options) { o.PingInterval = 100 * time.Millisecond }))
}

// After a dropped connection, since replays what was missed, in order,
// then ready; a since the outbox no longer holds gets reset.
func TestReplaySince(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		postModeration(t, s)
		alice := s.Register("alice@example.org", "Alice")
		sock := mustDial(t, s, "topics=measure:2", dialOpts{})
		sock.until("ready", wait)
		vote(t, alice, 2, 1)
		last := sock.until("vote.tally", wait).Seq
		sock.conn.Close()

		// Missed while away: a vote elsewhere, two comments, a vote here.
		vote(t, alice, 3, 1)
		c1 := comment(t, alice, 2, "Erster verpasster Kommentar")
		c2 := comment(t, alice, 2, "Zweiter verpasster Kommentar")
		vote(t, s.Register("bob@example.org", "Bob"), 2, 0)

		// Replayed, or (on PostgreSQL, when not yet numbered at connect
		// time) delivered right after ready: never lost, never twice, in order.
		again := mustDial(t, s, "topics=measure:2&since="+strconv.FormatInt(last, 10), dialOpts{})
		var got []string
		prev := last
		ready := int64(-1)
		for len(got) < 3 {
			f := again.next(wait)
			if f.Type == "ready" {
				if f.Seq < prev || ready >= 0 {
					t.Fatalf("ready %d after %d (earlier ready %d)", f.Seq, prev, ready)
				}
				ready, prev = f.Seq, f.Seq
				continue
			}
			if f.Seq <= prev || f.Topic != "measure:2" {
				t.Fatalf("got %+v after %d", f, prev)
			}
			prev = f.Seq
			got = append(got, f.Type)
			if f.Type == "comment.published" {
				var d struct {
					Comment struct{ ID int64 } `json:"comment"`
				}
				json.Unmarshal(f.Data, &d)
				got[len(got)-1] += ":" + strconv.FormatInt(d.Comment.ID, 10)
			}
		}
		if ready < 0 {
			again.until("ready", wait)
		}
		want := []string{"comment.published:" + strconv.FormatInt(c1, 10), "comment.published:" + strconv.FormatInt(c2, 10), "vote.tally"}
		if !slices.Equal(got, want) {
			t.Fatalf("replayed %v, want %v", got, want)
		}
		// Live again after the replay.
		vote(t, alice, 2, -1)
		again.until("vote.tally", wait)

		// The outbox forgot all but the latest event: an old since is told
		// to reset.
		if err := s.App.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.PruneEvents(ctx, time.Now().Add(time.Hour), 1, 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		reset := mustDial(t, s, "topics=measure:2&since=1", dialOpts{})
		if f := reset.next(wait); f.Type != "reset" || f.Seq == 0 {
			t.Fatalf("old since: %+v, want reset", f)
		}
	})
}

// Private topics need their role: 4403 otherwise, also when the role goes
// away while connected.
func TestPrivateTopics(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		for _, q := range []string{"topics=moderation", "topics=measure:1,expert-group:1"} {
			if code := mustDial(t, s, q, dialOpts{}).closeCode(wait); code != live.CloseForbidden {
				t.Fatalf("anonymous %s: close %d, want 4403", q, code)
			}
		}
		resident := s.Register("res@example.org", "Resident")
		if code := mustDial(t, s, "topics=moderation", dialOpts{token: resident.Token}).closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("resident on moderation: close %d", code)
		}
		if code := mustDial(t, s, "topics=expert-group:1&token="+resident.Token, dialOpts{}).closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("resident on expert-group:1: close %d", code)
		}
		if code := mustDial(t, s, "topics=nonsense", dialOpts{}).closeCode(wait); code != live.CloseBadRequest {
			t.Fatalf("unknown topic: close %d", code)
		}

		admin := s.Admin()
		mod := s.Register("mod@example.org", "Mona")
		path := "/api/v1/users/" + strconv.FormatInt(mod.UserID, 10)
		if r := admin.Do(http.MethodPatch, path, map[string]string{"role": "moderator"}); r.Status != http.StatusOK {
			t.Fatalf("make moderator: %d %s", r.Status, r.Body)
		}
		sock := mustDial(t, s, "topics=moderation&token="+mod.Token, dialOpts{})
		sock.until("ready", wait)
		comment(t, resident, 1, "Ein Kommentar, der auf Freigabe wartet")
		sock.until("moderation.queue", wait)

		// The role is taken away: the socket ends within the recheck interval.
		if r := admin.Do(http.MethodPatch, path, map[string]string{"role": "resident"}); r.Status != http.StatusOK {
			t.Fatalf("demote: %d %s", r.Status, r.Body)
		}
		if code := sock.closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("after demotion: close %d", code)
		}
	}, apptest.WithLive(func(o *live.Options) { o.RecheckInterval = 100 * time.Millisecond }))
}

// Pending content and drafts never reach public topics.
func TestPendingStaysOffPublicTopics(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		public := mustDial(t, s, "topics=measure:1,consultation:wir2", dialOpts{})
		public.until("ready", wait)
		resident := s.Register("res@example.org", "Resident")
		// wir2 is pre-moderated: the comment and the idea wait.
		comment(t, resident, 1, "Noch nicht freigegeben")
		r := resident.Do(http.MethodPost, "/api/v1/fields/1/ideas", map[string]string{"title": "Eine Idee", "body": "Noch nicht freigegeben"})
		if r.Status != http.StatusCreated {
			t.Fatalf("idea: %d %s", r.Status, r.Body)
		}
		// The next public event is this vote's tally, nothing before it.
		vote(t, resident, 1, 1)
		if f := public.next(wait); f.Type != "vote.tally" {
			t.Fatalf("public socket got %s %s", f.Type, f.Data)
		}

		// A measure of a draft consultation changes: no event on any topic.
		admin := s.Admin()
		r = admin.Do(http.MethodPost, "/api/v1/consultations", map[string]any{
			"slug": "entwurf", "title": map[string]string{"de": "Entwurf"}, "description": map[string]string{"de": "Noch nicht öffentlich"},
			"phase": "draft", "moderation": "post",
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("draft consultation: %d %s", r.Status, r.Body)
		}
		r = admin.Do(http.MethodPost, "/api/v1/consultations/entwurf/fields", map[string]any{
			"slug": "feld", "title": map[string]string{"de": "Feld"}, "description": map[string]string{"de": "Feld"}, "expert_groups": []int{},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("draft field: %d %s", r.Status, r.Body)
		}
		var field struct{ ID int64 }
		r.JSON(t, &field)
		r = admin.Do(http.MethodPost, "/api/v1/fields/"+strconv.FormatInt(field.ID, 10)+"/measures", map[string]any{
			"title": map[string]string{"de": "Geheim"}, "summary": map[string]string{"de": "Geheim"}, "description": map[string]string{"de": "Geheim"}, "themes": []string{},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("draft measure: %d %s", r.Status, r.Body)
		}
		var m struct{ ID int64 }
		r.JSON(t, &m)
		r = admin.Do(http.MethodPatch, "/api/v1/measures/"+strconv.FormatInt(m.ID, 10), map[string]any{"title": map[string]string{"de": "Immer noch geheim"}})
		if r.Status != http.StatusOK {
			t.Fatalf("update draft measure: %d %s", r.Status, r.Body)
		}
		evs := allEvents(t, s)
		for _, e := range evs {
			if e.HasTopic("consultation:entwurf") || e.HasTopic(topics.Measure(m.ID)) {
				t.Fatalf("draft content on a public topic: %s %s %s", e.Type, e.Topics, e.Data)
			}
			if e.HasTopic("consultation:wir2") || e.HasTopic("measure:1") {
				if strings.Contains(string(e.Data), "Noch nicht freigegeben") {
					t.Fatalf("pending content on a public topic: %s %s", e.Type, e.Data)
				}
			}
		}
	})
}

// Origins of other sites are refused before the upgrade; the per-address
// cap closes extra sockets with 4429; shutdown closes with 1001.
func TestOriginCapAndShutdown(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		_, resp, err := dial(t, s, "topics=measure:1", dialOpts{origin: "https://evil.example"})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: %v %v", err, resp)
		}
		same := mustDial(t, s, "topics=measure:1", dialOpts{origin: s.URL})
		same.until("ready", wait)
		second := mustDial(t, s, "topics=measure:1", dialOpts{})
		second.until("ready", wait)
		if code := mustDial(t, s, "topics=measure:1", dialOpts{}).closeCode(wait); code != live.CloseTooMany {
			t.Fatalf("third socket: close %d, want 4429", code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		s.App.Live.Shutdown(ctx)
		for _, sock := range []*socket{same, second} {
			if code := sock.closeCode(wait); code != websocket.CloseGoingAway {
				t.Fatalf("shutdown: close %d, want 1001", code)
			}
		}
	}, apptest.WithLive(func(o *live.Options) { o.MaxPerAddr = 2 }))
}

// Two instances on one PostgreSQL: subscribed on one, voted on the other.
func TestTwoInstancesPostgres(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("SQLite runs one instance")
		}
		a := apptest.Start(t, db)
		b := apptest.Start(t, db)
		sock := mustDial(t, a, "topics=measure:1", dialOpts{})
		sock.until("ready", wait)
		vote(t, b.Register("other@example.org", "Other"), 1, 1)
		f := sock.until("vote.tally", wait)
		var d tallyData
		json.Unmarshal(f.Data, &d)
		if d.Tally.For != 1 {
			t.Fatalf("tally %s", f.Data)
		}
		// And the other way round, on a comment.
		sockB := mustDial(t, b, "topics=measure:1", dialOpts{})
		sockB.until("ready", wait)
		vote(t, a.Register("third@example.org", "Third"), 1, -1)
		sockB.until("vote.tally", wait)
	})
}

// A client that never reads is closed with 1008 once its queue is full,
// and does not delay the others: every comment reaches every other
// socket, in order, about as fast as without it.
func TestSlowClientDoesNotDelayOthers(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		postModeration(t, s)
		const fast = 3
		recvs := make([]*receiver, fast)
		for i := range recvs {
			sock := mustDial(t, s, "topics=measure:1", dialOpts{})
			sock.until("ready", wait)
			recvs[i] = receive(sock)
		}
		author := s.Register("author@example.org", "Author")
		// 5000 characters, 20 KB: fewer comments fill the kernel's buffers.
		body := strings.Repeat("😀", 5000)
		var (
			mu     sync.Mutex
			posted = map[int64]time.Time{}
		)
		// flood posts n comments from 4 writers and answers their ids.
		flood := func(n int) []int64 {
			var (
				wg   sync.WaitGroup
				next atomic.Int64
				ids  []int64
			)
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(n) {
						start := time.Now()
						r := author.Do(http.MethodPost, "/api/v1/measures/1/comments", map[string]string{"body": body})
						var out struct{ ID int64 }
						if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &out) != nil {
							t.Errorf("comment: %d %.200s", r.Status, r.Body)
							return
						}
						mu.Lock()
						posted[out.ID] = start
						ids = append(ids, out.ID)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return ids
		}
		// latencies waits until every fast socket had every id and answers,
		// per id, the time from its post until the last socket had it.
		latencies := func(ids []int64) []time.Duration {
			var out []time.Duration
			for _, id := range ids {
				var last time.Time
				for _, r := range recvs {
					at := r.wait(t, id)
					if at.After(last) {
						last = at
					}
				}
				mu.Lock()
				out = append(out, last.Sub(posted[id]))
				mu.Unlock()
			}
			slices.Sort(out)
			return out
		}
		// probe posts comments one at a time: the latency of one comment
		// to the fast sockets, without writers queueing behind each other.
		probe := func(n int) []time.Duration {
			var ids []int64
			for range n {
				start := time.Now()
				id := comment(t, author, 1, "Eine Messung")
				mu.Lock()
				posted[id] = start
				mu.Unlock()
				ids = append(ids, id)
				latencies([]int64{id})
			}
			return latencies(ids)
		}
		// The same load first without the slow client, so both
		// measurements follow a database that took the same writes.
		latencies(flood(100))
		without := probe(15)

		// A client that never reads: once the kernel's buffers are full its
		// writer blocks and its frames wait in its queue.
		slow := mustDial(t, s, "topics=measure:1", dialOpts{rcvbuf: 2048, noRead: true})
		deadline := time.Now().Add(2 * time.Minute)
		filled := 0
		for s.App.Live.Stats().Waiting == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the slow client's queue never filled (%+v)", s.App.Live.Stats())
			}
			ids := flood(10)
			filled += len(ids)
			latencies(ids) // the fast sockets are done: what waits is the slow one's
		}
		if st := s.App.Live.Stats(); st.Kicked != 0 {
			t.Fatalf("closed before the measurement: %+v", st)
		}
		with := probe(15)
		if st := s.App.Live.Stats(); st.Kicked != 0 || st.Waiting == 0 {
			t.Fatalf("the slow client was not stuck during the measurement: %+v", st)
		}
		p := func(d []time.Duration, q float64) time.Duration { return d[int(float64(len(d)-1)*q)] }
		t.Logf("one comment at a time to 3 reading sockets: without a slow client p50 %s max %s; with one stuck (after %d comments filled its buffers) p50 %s max %s",
			p(without, .5), p(without, 1), filled, p(with, .5), p(with, 1))
		if p(with, .5) > 2*p(without, .5)+50*time.Millisecond || p(with, 1) > 5*time.Second {
			t.Errorf("the slow client delays the others")
		}
		// More comments overflow its queue: it is closed with 1008.
		for s.App.Live.Stats().Kicked == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the slow client was never closed (%+v)", s.App.Live.Stats())
			}
			latencies(flood(10))
		}
		// Every fast socket got every comment, in the same (seq) order.
		for i, r := range recvs {
			if !slices.Equal(r.ids(), recvs[0].ids()) {
				t.Fatalf("socket %d saw another order", i)
			}
			if n := len(r.ids()); n != len(posted) {
				t.Fatalf("socket %d got %d comments of %d", i, n, len(posted))
			}
		}
		// The slow client, reading at last, finds the close 1008 after the
		// frames that fit into the buffers.
		go slow.read()
		if code := slow.closeCode(30 * time.Second); code != websocket.ClosePolicyViolation {
			t.Fatalf("slow client: close %d, want 1008", code)
		}
	}, apptest.WithLive(func(o *live.Options) {
		o.QueueSize = 64
		// The slow client reads only at the end, on a busy machine maybe
		// long after it was closed: the close must still be waiting.
		o.WriteTimeout = 2 * time.Minute
		// Nor may it end for not answering pings first.
		o.PingInterval = 10 * time.Minute
	}))
}

// receiver records when each published comment reached a socket, checking
// that seqs only grow.
type receiver struct {
	mu    sync.Mutex
	cond  *sync.Cond
	at    map[int64]time.Time
	order []int64
	err   error
}

func receive(sock *socket) *receiver {
	r := &receiver{at: map[int64]time.Time{}}
	r.cond = sync.NewCond(&r.mu)
	go func() {
		var last int64
		for f := range sock.frames {
			now := time.Now()
			r.mu.Lock()
			if f.Seq <= last && r.err == nil {
				r.err = fmt.Errorf("seq %d after %d", f.Seq, last)
			}
			last = f.Seq
			if f.Type == "comment.published" {
				var d struct {
					Comment struct{ ID int64 } `json:"comment"`
				}
				json.Unmarshal(f.Data, &d)
				r.at[d.Comment.ID] = now
				r.order = append(r.order, d.Comment.ID)
			}
			r.cond.Broadcast()
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.err = errors.New("socket closed")
		r.cond.Broadcast()
		r.mu.Unlock()
	}()
	return r
}

func (r *receiver) wait(t *testing.T, id int64) time.Time {
	t.Helper()
	timer := time.AfterFunc(wait, func() {
		r.mu.Lock()
		r.err = fmt.Errorf("comment %d never came", id)
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer timer.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if at, ok := r.at[id]; ok {
			return at
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		r.cond.Wait()
	}
}

func (r *receiver) ids() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// A reader who was sent a tally and reloads the measure's page gets that
// tally or a newer one, though anonymous pages come from the page cache
// (which tallies reach only through the hub).
func TestPagesAreNeverOlderThanTheEventsSent(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		const voters = 24
		clients := make([]*apptest.Client, voters)
		for i := range clients {
			clients[i] = s.Register(fmt.Sprintf("cache%d@example.org", i), fmt.Sprintf("Cache %d", i))
		}
		sock := mustDial(t, s, "topics=measure:1", dialOpts{})
		sock.until("ready", wait)
		reader := s.Client()
		shownFor := func() int {
			t.Helper()
			text := reader.Get("/m/1").Text()
			_, rest, ok := strings.Cut(text, "data-tally-for>")
			n, err := strconv.Atoi(strings.Fields(rest)[0])
			if !ok || err != nil {
				t.Fatalf("no tally on the page")
			}
			return n
		}
		shownFor()
		hitsBefore, _ := s.App.Pages.Cache.Stats()
		stop, stopped := make(chan struct{}), make(chan struct{})
		t.Cleanup(func() { close(stop); <-stopped })
		go func() {
			defer close(stopped)
			// Everyone votes for, one after the other: the tally only grows.
			for _, c := range clients {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				c.Do(http.MethodPut, "/api/v1/measures/1/vote", map[string]int{"value": 1})
			}
		}()
		for sent := 0; sent < voters; {
			f := sock.until("vote.tally", wait)
			var d tallyData
			if err := json.Unmarshal(f.Data, &d); err != nil {
				t.Fatal(err)
			}
			sent = d.Tally.For
			for range 3 {
				if shown := shownFor(); shown < sent {
					t.Fatalf("the page shows %d for after the socket was sent %d", shown, sent)
				}
			}
		}
		if hits, _ := s.App.Pages.Cache.Stats(); hits == hitsBefore {
			t.Fatal("no page came from the cache: the test proved nothing")
		}
	})
}

// "me" is the signed-in account's own topic: its notifications arrive as
// notification.created with the item in the account's language, and
// nobody else's do; signed out it is refused, and after signing out the
// socket ends.
func TestMeTopic(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		if code := mustDial(t, s, "topics=me", dialOpts{}).closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("anonymous me: close %d, want 4403", code)
		}
		rana := s.Register("rana-live@example.org", "Rana")
		other := s.Register("other-live@example.org", "Other")
		if code := mustDial(t, s, "topics=user:"+strconv.FormatInt(other.UserID, 10)+"&token="+rana.Token, dialOpts{}).closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("another account's topic: close %d, want 4403", code)
		}
		vote(t, rana, 1, 1)
		mine := mustDial(t, s, "topics=me&token="+rana.Token, dialOpts{})
		mine.until("ready", wait)
		if r := s.Admin().Do(http.MethodPatch, "/api/v1/measures/1", map[string]any{"status": "adopted", "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != http.StatusOK {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		f := mine.until("notification.created", wait, "vote.tally", "measure.updated")
		var it struct {
			ID    int64  `json:"id"`
			Kind  string `json:"kind"`
			Title string `json:"title"`
			Body  string `json:"body"`
			URL   string `json:"url"`
		}
		if err := json.Unmarshal(f.Data, &it); err != nil {
			t.Fatal(err)
		}
		if f.Topic != "me" || it.Kind != "measure_status" || it.Body != "Die Maßnahme ist beschlossen." || it.Title == "" || it.URL != "/m/1" || it.ID == 0 {
			t.Errorf("frame %s: %s", f.Topic, f.Data)
		}
		if r := rana.Do(http.MethodPost, "/api/v1/auth/logout", nil); r.Status >= 300 {
			t.Fatalf("logout: %d", r.Status)
		}
		if code := mine.closeCode(wait); code != live.CloseForbidden {
			t.Fatalf("after signing out: close %d", code)
		}
	}, apptest.WithLive(func(o *live.Options) { o.RecheckInterval = 100 * time.Millisecond }))
}
