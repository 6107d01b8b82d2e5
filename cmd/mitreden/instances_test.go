package main_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// The instance the test kills, and the measures residents vote on.
const (
	doomed    = 2
	residents = 30
	withdrawn = 9 // a resident's "vote" on an item without one
)

var voteOn = []int64{1, 2, 3, 4, 5, 6}

// Three instances share one PostgreSQL. Residents vote, withdraw votes and
// comment through all three while live clients listen on the one that is
// then killed with kill -9, and one more on each of the others. After the
// kill, the clients that were on it resume on another instance with since.
// Every answered vote is in the database, the tallies equal the votes, and
// every client got every event of its topics after it first connected: all
// comments, in seq order and once, and each item's last tally (tallies
// are coalesced to the latest by design), which equals the database's.
func TestInstancesSurviveKill(t *testing.T) {
	db := storetest.NewMigratedDatabase(t, config.Postgres)
	c := startCluster(t, db.URL)
	pg := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.URL)))
	defer pg.Close()

	// Under post-moderation a comment is published at once, so the
	// clients get comment.published events, which are never coalesced.
	admin := c.signIn(t, 0, "ops@example.org", "ops-password-1")
	if status, body, err := apiCall(c.http, "PATCH", c.servers[0].url+"/api/v1/consultations/wir2", admin, map[string]string{"moderation": "post"}); err != nil || status != 200 {
		t.Fatalf("post-moderation: %d %v %v", status, body, err)
	}
	people := c.register(t, residents)

	// Four clients on the doomed instance, one on each of the others.
	listeners := []struct {
		at     int
		topics []string
	}{
		{doomed, []string{"measure:1"}},
		{doomed, []string{"measure:2", "measure:3"}},
		{doomed, []string{"consultation:wir2"}},
		{doomed, []string{"measure:4", "measure:5", "measure:6"}},
		{0, []string{"consultation:wir2"}},
		{1, []string{"measure:1", "measure:6"}},
	}
	var clients, resuming []*liveClient
	for _, l := range listeners {
		client := c.listen(t, l.at, l.topics)
		defer client.close()
		clients = append(clients, client)
		if l.at == doomed {
			resuming = append(resuming, client)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Also when the test fails half-way, no resident writes after it ended.
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	t0 := time.Now()
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.act(t, p, i, stop)
		}()
	}
	// A few seconds of load on each side of the kill: long enough for
	// many groups on every instance, each condition a lower bound.
	waitFor(t, "votes through the doomed instance and events on every client", 20*time.Second, func() bool {
		if time.Since(t0) < 2*time.Second || c.acked[doomed].Load() < 200 {
			return false
		}
		for _, l := range clients {
			if l.eventCount() == 0 {
				return false
			}
		}
		return true
	})
	c.kill(t, doomed)
	t1 := time.Now()
	before := c.total()
	waitFor(t, "votes after the kill and every client resumed", 20*time.Second, func() bool {
		for _, l := range resuming {
			if l.readies() < 2 {
				return false
			}
		}
		return time.Since(t1) >= 2*time.Second && c.total()-before >= 500
	})
	stopLoad()
	t.Logf("answered: %d through each instance (the last killed) in %s, %d in the %s after the kill; %d comments",
		[]int64{c.acked[0].Load(), c.acked[1].Load(), c.acked[doomed].Load()}, t1.Sub(t0), c.total()-before, time.Since(t1), c.comments.Load())

	checkVotes(t, pg, people)
	checkTallies(t, pg)
	checkComments(t, pg, people)
	evs := committedEvents(t, pg)
	for i, l := range clients {
		l.check(t, i, evs)
	}
	checkClientTallies(t, pg, clients)
}

// cluster is the three instances and an HTTP client for them.
type cluster struct {
	servers []*server
	http    *http.Client
	// proxy, when set, is the address live clients connect to instead
	// of an instance.
	proxy string
	dead  atomic.Bool // the doomed instance was killed
	// acked counts the answered writes per instance.
	acked    [3]atomic.Int64
	comments atomic.Int64
}

// startCluster starts three instances on dbURL with settings added to
// their environment.
func startCluster(t *testing.T, dbURL string, settings ...string) *cluster {
	c := &cluster{http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: residents}}}
	for range 3 {
		env := cleanEnv(append([]string{"MITREDEN_DB=" + dbURL, "MITREDEN_ADDR=" + freeAddr(t), "MITREDEN_RATE_LIMITS=off", "MITREDEN_EMAIL_VERIFICATION=off",
			"MITREDEN_ADMIN_EMAIL=ops@example.org", "MITREDEN_ADMIN_PASSWORD=ops-password-1"}, settings...)...)
		c.servers = append(c.servers, startServer(t, t.TempDir(), env))
	}
	return c
}

func (c *cluster) total() int64 {
	return c.acked[0].Load() + c.acked[1].Load() + c.acked[2].Load()
}

// pick is the instance for a resident's nth request: all three in turn,
// the two others once the doomed one is dead.
func (c *cluster) pick(n int) int {
	i := n % 3
	if i == doomed && c.dead.Load() {
		i = (n / 3) % 2
	}
	return i
}

func (c *cluster) kill(t *testing.T, i int) {
	t.Helper()
	// Residents leave it from now on: only the requests in flight meet the kill.
	c.dead.Store(true)
	if err := c.servers[i].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.servers[i].cmd.Wait()
}

func (c *cluster) signIn(t *testing.T, at int, email, password string) string {
	t.Helper()
	status, m := login(t, c.servers[at].url, email, password)
	if status != 200 {
		t.Fatalf("sign-in of %s: %d", email, status)
	}
	return m["token"].(string)
}

// resident is one account and what its writes were answered.
type resident struct {
	id    int64
	token string
	// voted is the last vote answered 200 per measure (withdrawn for a
	// withdrawal); unsure the one sent without an answer (the instance died
	// under it), after which the resident leaves that measure alone.
	voted, unsure map[int64]int
	comments      []int64
}

func (c *cluster) register(t *testing.T, n int) []*resident {
	t.Helper()
	people := make([]*resident, n)
	for i := range people {
		status, m, err := apiCall(c.http, "POST", c.servers[i%3].url+"/api/v1/auth/register", "", map[string]any{
			"email": fmt.Sprintf("r%d@example.org", i), "password": "a-good-password", "display_name": fmt.Sprintf("R %d", i), "privacy_consent": true})
		if err != nil || status != 201 {
			t.Fatalf("register: %d %v %v", status, m, err)
		}
		user := m["user"].(map[string]any)
		people[i] = &resident{id: int64(user["id"].(float64)), token: m["token"].(string), voted: map[int64]int{}, unsure: map[int64]int{}}
	}
	return people
}

// act writes as resident p until stop: mostly votes, now and then a
// withdrawal or a comment, each request through the next instance.
func (c *cluster) act(t *testing.T, p *resident, i int, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		m := voteOn[(n+i)%len(voteOn)]
		if _, ok := p.unsure[m]; ok {
			continue
		}
		at := c.pick(n + i)
		base := fmt.Sprintf("%s/api/v1/measures/%d", c.servers[at].url, m)
		var (
			status, want int
			err          error
			value        int
		)
		switch {
		case n%9 == 4:
			var body map[string]any
			status, body, err = apiCall(c.http, "POST", base+"/comments", p.token, map[string]string{"body": fmt.Sprintf("Beitrag %d von %d zu Maßnahme %d", n, i, m)})
			if err == nil && status == 201 {
				p.comments = append(p.comments, int64(body["id"].(float64)))
				c.comments.Add(1)
			}
			want, value = 201, withdrawn
		case n%13 == 6:
			status, _, err = apiCall(c.http, "DELETE", base+"/vote", p.token, nil)
			want, value = 200, withdrawn
		default:
			value = (n*7+i)%3 - 1
			status, _, err = apiCall(c.http, "PUT", base+"/vote", p.token, map[string]int{"value": value})
			want = 200
		}
		switch {
		case err != nil && at == doomed:
			if want == 200 {
				p.unsure[m] = value
			}
		case err != nil || status != want:
			t.Errorf("resident %d through instance %d: %d %v", i, at, status, err)
			return
		default:
			if want == 200 {
				p.voted[m] = value
			}
			c.acked[at].Add(1)
		}
	}
}

// checkVotes compares every resident's votes in the database with the
// last ones answered.
func checkVotes(t *testing.T, pg *sql.DB, people []*resident) {
	t.Helper()
	stored := map[[2]int64]int{}
	rows, err := pg.Query("SELECT user_id, target_id, value FROM votes WHERE target_kind = 'measure'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, item int64
		var value int
		if err := rows.Scan(&user, &item, &value); err != nil {
			t.Fatal(err)
		}
		stored[[2]int64{user, item}] = value
	}
	unsure := 0
	for i, p := range people {
		for _, m := range voteOn {
			got, ok := stored[[2]int64{p.id, m}]
			if !ok {
				got = withdrawn
			}
			want, answered := p.voted[m]
			if !answered {
				want = withdrawn
			}
			if pending, ok := p.unsure[m]; ok {
				unsure++
				if got != want && got != pending {
					t.Errorf("resident %d, measure %d: stored %d, answered %d, unanswered %d", i, m, got, want, pending)
				}
				continue
			}
			if got != want {
				t.Errorf("resident %d, measure %d: stored %d, last answered %d", i, m, got, want)
			}
		}
	}
	t.Logf("%d votes were in flight on the killed instance", unsure)
}

// checkTallies compares every tally with a count of the votes.
func checkTallies(t *testing.T, pg *sql.DB) {
	t.Helper()
	var wrong int
	err := pg.QueryRow(`
SELECT COUNT(*) FROM (
  SELECT target_kind, target_id, votes_for AS f, votes_against AS a, votes_neutral AS n FROM tallies
  WHERE votes_for + votes_against + votes_neutral > 0
  EXCEPT
  SELECT target_kind, target_id, COUNT(*) FILTER (WHERE value = 1), COUNT(*) FILTER (WHERE value = -1), COUNT(*) FILTER (WHERE value = 0)
  FROM votes GROUP BY target_kind, target_id
) AS wrong`).Scan(&wrong)
	if err != nil {
		t.Fatal(err)
	}
	var counted, tallied int
	err = pg.QueryRow(`SELECT (SELECT COUNT(*) FROM votes), (SELECT COALESCE(SUM(votes_for + votes_against + votes_neutral), 0) FROM tallies)`).Scan(&counted, &tallied)
	if err != nil {
		t.Fatal(err)
	}
	if wrong != 0 || counted != tallied {
		t.Errorf("%d tallies differ from the votes; %d votes, %d tallied", wrong, counted, tallied)
	}
}

// checkComments finds every answered comment published.
func checkComments(t *testing.T, pg *sql.DB, people []*resident) {
	t.Helper()
	for i, p := range people {
		for _, id := range p.comments {
			var status string
			if err := pg.QueryRow("SELECT status FROM comments WHERE id = $1", id).Scan(&status); err != nil || status != "published" {
				t.Errorf("resident %d's comment %d: %q %v", i, id, status, err)
			}
		}
	}
}

// event is a row of the outbox, or a frame a client got.
type event struct {
	Seq    int64           `json:"seq"`
	Topic  string          `json:"topic"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
	topics string
}

// committedEvents waits until the instances left have numbered every
// event (the killed one's too), then reads them all.
func committedEvents(t *testing.T, pg *sql.DB) []event {
	t.Helper()
	waitFor(t, "every event numbered", 10*time.Second, func() bool {
		var n int
		if err := pg.QueryRow("SELECT COUNT(*) FROM events WHERE seq IS NULL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	rows, err := pg.Query("SELECT seq, topics, type, data FROM events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var evs []event
	for rows.Next() {
		var e event
		var data string
		if err := rows.Scan(&e.Seq, &e.topics, &e.Type, &data); err != nil {
			t.Fatal(err)
		}
		e.Data = json.RawMessage(data)
		evs = append(evs, e)
	}
	return evs
}

// checkClientTallies compares the last tally every client got for each
// measure of its topics with the database's.
func checkClientTallies(t *testing.T, pg *sql.DB, clients []*liveClient) {
	t.Helper()
	for i, l := range clients {
		for id, got := range l.lastTallies() {
			var want tally
			err := pg.QueryRow("SELECT votes_for, votes_against, votes_neutral FROM tallies WHERE target_kind = 'measure' AND target_id = $1", id).Scan(&want.For, &want.Against, &want.Neutral)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("client %d, measure %d: last tally %+v, database %+v", i, id, got, want)
			}
		}
	}
}

// liveClient is a WebSocket client that reconnects with since to one of
// the instances left whenever its connection ends.
type liveClient struct {
	topics []string
	c      *cluster

	mu     sync.Mutex
	conn   *websocket.Conn
	closed bool
	events []event
	seen   int64 // the last seq it saw, of an event or of ready
	first  int64 // the seq of its first ready
	ready  int   // connections that reached ready
	faults []string
	done   chan struct{}
}

// listen connects a client to instance at and waits for its ready.
func (c *cluster) listen(t *testing.T, at int, topics []string) *liveClient {
	t.Helper()
	l := &liveClient{topics: topics, c: c, done: make(chan struct{})}
	conn, err := l.dial(at, false)
	if err != nil {
		t.Fatal(err)
	}
	go l.run(conn)
	waitFor(t, "ready", 10*time.Second, func() bool { return l.readies() > 0 })
	return l
}

func (l *liveClient) dial(at int, resume bool) (*websocket.Conn, error) {
	q := "topics=" + strings.Join(l.topics, ",")
	if resume {
		l.mu.Lock()
		q += "&since=" + strconv.FormatInt(l.seen, 10)
		l.mu.Unlock()
	}
	base := l.c.servers[at].url
	if l.c.proxy != "" {
		base = l.c.proxy
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/live?"+q, nil)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		conn.Close()
		return nil, fmt.Errorf("closed")
	}
	l.conn = conn
	return conn, nil
}

// run reads frames until the connection ends, then resumes on one of the
// instances that are not doomed, until close.
func (l *liveClient) run(conn *websocket.Conn) {
	defer close(l.done)
	for attempt := 0; ; attempt++ {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				break
			}
			l.receive(data)
		}
		for {
			l.mu.Lock()
			closed := l.closed
			l.mu.Unlock()
			if closed {
				return
			}
			var err error
			if conn, err = l.dial(attempt%2, true); err == nil {
				break
			}
			attempt++
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (l *liveClient) receive(data []byte) {
	var f event
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := json.Unmarshal(data, &f); err != nil {
		l.faults = append(l.faults, fmt.Sprintf("not JSON: %s", data))
		return
	}
	switch f.Type {
	case "ready":
		if l.ready == 0 {
			l.first = f.Seq
		}
		l.ready++
		l.seen = max(l.seen, f.Seq)
	case "reset":
		l.faults = append(l.faults, fmt.Sprintf("reset after %d", l.seen))
	default:
		if f.Seq <= l.seen {
			l.faults = append(l.faults, fmt.Sprintf("seq %d after %d", f.Seq, l.seen))
		}
		l.seen = max(l.seen, f.Seq)
		l.events = append(l.events, f)
	}
}

func (l *liveClient) close() {
	l.mu.Lock()
	l.closed = true
	if l.conn != nil {
		l.conn.Close()
	}
	l.mu.Unlock()
	<-l.done
}

func (l *liveClient) eventCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

func (l *liveClient) readies() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ready
}

func (l *liveClient) lastSeen() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

// wants is what the client must get of the committed events: every event
// of its topics after its first ready, except a tally that a later tally
// of the same item replaces.
func (l *liveClient) wants(evs []event) (want map[int64]event, last int64) {
	want = map[int64]event{}
	latest := map[string]int64{} // an item's topics -> its last tally
	for _, e := range evs {
		if e.Seq <= l.first || !l.subscribed(e) {
			continue
		}
		if e.Type == "vote.tally" {
			delete(want, latest[e.topics])
			latest[e.topics] = e.Seq
		}
		want[e.Seq] = e
		last = e.Seq
	}
	return want, last
}

func (l *liveClient) subscribed(e event) bool {
	for _, topic := range l.topics {
		if strings.Contains(e.topics, ","+topic+",") {
			return true
		}
	}
	return false
}

// check waits until the client saw the last event of its topics, then
// compares what it got with what it had to get.
func (l *liveClient) check(t *testing.T, i int, evs []event) {
	t.Helper()
	want, last := l.wants(evs)
	waitFor(t, fmt.Sprintf("client %d to see seq %d", i, last), 10*time.Second, func() bool { return l.lastSeen() >= last })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.faults {
		t.Errorf("client %d: %s", i, f)
	}
	bySeq := map[int64]event{}
	for _, e := range evs {
		bySeq[e.Seq] = e
	}
	got := map[int64]bool{}
	for _, f := range l.events {
		got[f.Seq] = true
		e, ok := bySeq[f.Seq]
		switch {
		case !ok:
			t.Errorf("client %d got seq %d, which is not in the outbox", i, f.Seq)
		case f.Type != e.Type || string(f.Data) != string(e.Data) || !l.subscribed(e) || !strings.Contains(e.topics, ","+f.Topic+","):
			t.Errorf("client %d got seq %d as %s %s on %s; the outbox holds %s %s on %s", i, f.Seq, f.Type, f.Data, f.Topic, e.Type, e.Data, e.topics)
		}
	}
	missed := 0
	for seq, e := range want {
		if !got[seq] {
			missed++
			if missed <= 5 {
				t.Errorf("client %d (%v, connected %d times) missed seq %d: %s %s", i, l.topics, l.ready, seq, e.Type, e.Data)
			}
		}
	}
	if missed > 0 || l.ready < 1 {
		t.Errorf("client %d missed %d of %d events", i, missed, len(want))
	}
	t.Logf("client %d (%v): %d events, %d connections, %d to get after the first ready (%d)", i, l.topics, len(l.events), l.ready, len(want), l.first)
}

type tally struct{ For, Against, Neutral int64 }

// lastTallies is the last tally the client got for each measure.
func (l *liveClient) lastTallies() map[int64]tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]tally{}
	for _, f := range l.events {
		if f.Type != "vote.tally" {
			continue
		}
		var d struct {
			Target string
			ID     int64
			Tally  struct{ For, Against, Neutral int64 }
		}
		if err := json.Unmarshal(f.Data, &d); err == nil && d.Target == "measure" {
			out[d.ID] = tally(d.Tally)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiCall sends one JSON request and decodes the JSON answer; err is a
// failure to get an answer at all.
func apiCall(client *http.Client, method, url, token string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, nil
}
