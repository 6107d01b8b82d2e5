package live_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/live"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Behind TLS (MITREDEN_PUBLIC_URL https://) a browser's socket signs in
// with the __Host- session cookie, and its private topics survive the
// rechecks, which read the same cookie's token.
func TestSessionCookieBehindTLS(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite),
		apptest.WithPublicURL("https://mitreden.example"),
		apptest.WithLive(func(o *live.Options) { o.RecheckInterval = 100 * time.Millisecond }))
	admin := s.Admin()
	d := websocket.Dialer{HandshakeTimeout: wait}
	conn, resp, err := d.Dial(wsURL(s, "topics=moderation"), http.Header{"Cookie": {"__Host-mitreden_session=" + admin.Token}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	sock := &socket{t: t, conn: conn, frames: make(chan frame, 100), closed: make(chan error, 1)}
	go sock.read()
	sock.until("ready", wait)
	time.Sleep(500 * time.Millisecond) // a few rechecks
	comment(t, s.Register("res@example.org", "Resident"), 1, "Ein Kommentar, der auf Freigabe wartet")
	sock.until("moderation.queue", wait)
}
