package main_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/deploy/proxytest"
)

// Three instances on one PostgreSQL behind deploy/Caddyfile, the proxy
// configuration the compose file mounts, in Debian's Caddy: a resident
// votes and a live client listens through the proxy; the instance that
// holds the client's socket is killed with kill -9; every vote through
// the proxy is still answered, the client resumes through the proxy with
// since and misses no event.
func TestInstancesBehindCaddy(t *testing.T) {
	db := storetest.NewMigratedDatabase(t, config.Postgres)
	c := startCluster(t, db.URL, "MITREDEN_TRUSTED_PROXIES=127.0.0.1")
	var upstreams []string
	for _, s := range c.servers {
		upstreams = append(upstreams, strings.TrimPrefix(s.url, "http://"))
	}
	c.proxy = proxytest.Run(t, upstreams...)
	pg := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.URL)))
	defer pg.Close()

	status, m, err := apiCall(c.http, "POST", c.proxy+"/api/v1/auth/register", "", map[string]any{
		"email": "behind@example.org", "password": "a-good-password", "display_name": "Behind Proxy", "privacy_consent": true})
	if err != nil || status != 201 {
		t.Fatalf("register through the proxy: %d %v %v", status, m, err)
	}
	token := m["token"].(string)
	vote := func(value int) int {
		t.Helper()
		status, body, err := apiCall(c.http, "PUT", c.proxy+"/api/v1/measures/1/vote", token, map[string]int{"value": value})
		if err != nil || status != 200 && status != http.StatusBadGateway {
			t.Fatalf("vote through the proxy: %d %v %v", status, body, err)
		}
		return status
	}

	client := c.listen(t, 0, []string{"measure:1"})
	defer client.close()
	holder := socketHolder(t, c)
	if vote(1) != 200 {
		t.Fatal("a vote through the proxy answered 502 with every instance up")
	}
	waitFor(t, "a tally on the socket", 10*time.Second, func() bool { return len(client.lastTallies()) > 0 })

	c.kill(t, holder)
	// Caddy 2.6 (Debian's) retries a request on another instance when it
	// cannot connect, but not one with a body: Go's transport closed the
	// body at the failed dial (caddyserver/caddy#5454, fixed in 2.11.2). So
	// the first write sent to the dead instance answers 502; none of it
	// reached mitreden, and the proxy takes the instance out at once
	// (fail_duration), so the resend and every later write are answered.
	refused := 0
	for i := range 20 {
		if vote(i%3-1) == http.StatusBadGateway {
			if refused++; refused > 1 || vote(i%3-1) != 200 {
				t.Fatalf("a second 502 through the proxy after the kill (vote %d)", i)
			}
			t.Logf("vote %d after the kill: 502 once, then answered", i)
		}
	}
	if status, _ := get(t, c.proxy+"/c/wir2"); status != 200 {
		t.Errorf("a page through the proxy after the kill: %d", status)
	}
	waitFor(t, "the client resumed through the proxy", 10*time.Second, func() bool { return client.readies() >= 2 })
	client.check(t, 0, committedEvents(t, pg))
	checkClientTallies(t, pg, []*liveClient{client})
}

// socketHolder is the instance that holds the one live socket, by its
// own count (/metrics, asked directly).
func socketHolder(t *testing.T, c *cluster) int {
	t.Helper()
	holder := -1
	waitFor(t, "an instance counting the socket", 10*time.Second, func() bool {
		for i, s := range c.servers {
			if _, body := get(t, s.url+"/metrics"); strings.Contains(body, "\nmitreden_live_sockets 1\n") {
				holder = i
				return true
			}
		}
		return false
	})
	t.Logf("the socket is on instance %d", holder)
	return holder
}
