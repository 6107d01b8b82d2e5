package web_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

func gzipped(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return out.Bytes()
}

func deflated(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	zw, _ := flate.NewWriter(&out, flate.DefaultCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return out.Bytes()
}

// A request body is never inflated: Fiber inflates gzip, brotli and
// deflate bodies without limit when a handler reads them (197 bytes of
// brotli made the process take 1.1 GB). Any Content-Encoding but identity
// answers 415 before the body is read, on every route.
func TestCompressedBodiesAreRefused(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		voter := s.Register("voter@example.org", "Voter")
		login := []byte(`{"email":"` + apptest.AdminEmail + `","password":"` + apptest.AdminPassword + `"}`)
		vote := []byte(`{"value":1}`)
		form := []byte(url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}.Encode())
		bodies := map[string]func([]byte) []byte{
			"gzip":    func(b []byte) []byte { return gzipped(t, b) },
			"deflate": func(b []byte) []byte { return deflated(t, b) },
			// Not brotli: the body is refused unread, whatever it holds.
			"br":             func(b []byte) []byte { return append([]byte{0x0b, 0x02, 0x80}, b...) },
			"GZIP":           func(b []byte) []byte { return gzipped(t, b) },
			"gzip, identity": func(b []byte) []byte { return gzipped(t, b) },
		}
		for enc, encode := range bodies {
			t.Run(enc, func(t *testing.T) {
				c := s.Client()
				c.Headers["Content-Encoding"] = enc
				c.Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: encode(login)}).WantProblem(t, http.StatusUnsupportedMediaType, "")

				c = s.Client()
				c.Token = voter.Token
				c.Headers["Content-Encoding"] = enc
				c.Do("PUT", "/api/v1/measures/1/vote", apptest.Raw{ContentType: "application/json", Body: encode(vote)}).WantProblem(t, http.StatusUnsupportedMediaType, "")

				c = s.Client()
				c.Headers["Content-Encoding"] = enc
				r := c.Do("POST", "/login", apptest.Raw{ContentType: "application/x-www-form-urlencoded", Body: encode(form)})
				if r.Status != http.StatusUnsupportedMediaType {
					t.Fatalf("page form: %d", r.Status)
				}
				apptest.CheckPage(t, r, "de")
			})
		}
		// A body of one byte or none is refused by the middleware, a longer
		// one before fasthttp reads it: both the same way, also one over
		// the body limit (not 413: it is never read).
		for _, body := range [][]byte{nil, {'x'}, bytes.Repeat([]byte("x"), 600<<10), bytes.Repeat([]byte("x"), 2<<20)} {
			c := s.Client()
			c.Headers["Content-Encoding"] = "gzip"
			c.Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: body}).WantProblem(t, http.StatusUnsupportedMediaType, "")
		}
		c := s.Client()
		c.Headers["Content-Encoding"] = "identity"
		if r := c.Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: login}); r.Status != http.StatusOK {
			t.Fatalf("identity: %d %s", r.Status, r.Body)
		}
	})
}

// The refusal does not wait for the body: a client that sent the head and
// a little of a long encoded body has its answer at once.
func TestEncodedBodyIsNotWaitedFor(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: mitreden.test\r\nContent-Type: application/json\r\nContent-Encoding: br\r\nContent-Length: 500000\r\n\r\n0123456789")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// 100 MB of zeros in 100 KB of gzip do not become 100 MB in the server.
func TestDecompressionBombDoesNotInflate(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 100 {
		zw.Write(zeros)
	}
	zw.Close()
	c := s.Client()
	c.Headers["Content-Encoding"] = "gzip"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := c.Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: bomb.Bytes()})
	runtime.ReadMemStats(&after)
	if r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("status %d", r.Status)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Fatalf("a %d-byte gzip body made the server allocate %d MiB", bomb.Len(), grew>>20)
	}
}

// exchange sends raw on a new connection and reads the answer.
func exchange(t *testing.T, s *apptest.Server, raw string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// On /api/ a request line over 4 KiB answers 414 and a head over 8 KiB
// 431, as problem+json; a head of 4 to 8 KiB (big cookies) is served.
func TestOverlongRequests(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	pad := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name       string
		line, head string
		status     int
		problem    bool
	}{
		{"a request line of 5 KiB", "GET /api/v1/consultations?pad=" + pad(5<<10) + " HTTP/1.1", "", http.StatusRequestURITooLong, true},
		{"a page's request line of 5 KiB", "GET /?pad=" + pad(5<<10) + " HTTP/1.1", "", http.StatusRequestURITooLong, false},
		{"a head of 6 KiB", "GET /api/v1/consultations HTTP/1.1", "X-Filler: " + pad(6<<10) + "\r\n", http.StatusOK, false},
		{"cookies of 7 KiB on a page", "GET /c/wir2 HTTP/1.1", "Cookie: big=" + pad(7<<10) + "\r\n", http.StatusOK, false},
		{"a head of 9 KiB", "GET /api/v1/consultations HTTP/1.1", "X-Filler: " + pad(9<<10) + "\r\n", http.StatusRequestHeaderFieldsTooLarge, true},
		{"a head of 9 KiB with a long request line", "GET /api/v1/consultations?pad=" + pad(5<<10) + " HTTP/1.1", "X-Filler: " + pad(4<<10) + "\r\n", http.StatusRequestURITooLong, true},
		{"a page's head of 9 KiB", "GET /c/wir2 HTTP/1.1", "Cookie: big=" + pad(9<<10) + "\r\n", http.StatusRequestHeaderFieldsTooLarge, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := exchange(t, s, c.line+"\r\nHost: mitreden.test\r\n"+c.head+"\r\n")
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, c.status, body)
			}
			ct := resp.Header.Get("Content-Type")
			switch {
			case c.status == http.StatusOK:
			case c.problem && (ct != "application/problem+json" || !strings.Contains(body, fmt.Sprintf(`"status":%d`, c.status))):
				t.Fatalf("not problem+json: %s %.200s", ct, body)
			case !c.problem && !strings.HasPrefix(ct, "text/html"):
				t.Fatalf("not an error page: %s", ct)
			}
		})
	}
	// A head that does not fit the read buffer at all cannot be read, so
	// the server cannot tell an API request: an answer, and no 500.
	for _, raw := range []string{
		"GET /api/v1/consultations?pad=" + pad(20<<10) + " HTTP/1.1\r\nHost: mitreden.test\r\n\r\n",
		"GET /api/v1/consultations HTTP/1.1\r\nHost: mitreden.test\r\nX-Filler: " + pad(20<<10) + "\r\n\r\n",
	} {
		resp, _ := exchange(t, s, raw)
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge && resp.StatusCode != http.StatusRequestURITooLong && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a head of 20 KiB: %d", resp.StatusCode)
		}
	}
}

// Query parameters are plain text: a NUL byte, a control character or
// invalid UTF-8 in a name or value answers 400 naming the parameter,
// before any handler (a NUL reached PostgreSQL as a 500).
func TestQueryParametersAreText(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		for _, q := range []struct{ query, field string }{
			{"consultation=%00", "consultation"},
			{"consultation=wir2%00", "consultation"},
			{"consultation=%ff", "consultation"},
			{"state=all&consultation=%01", "consultation"},
			{"consultation=a%0Ab", "consultation"},
			{"%00=1", "\ufffd"},
		} {
			admin.Get("/api/v1/moderation/queue?"+q.query).WantProblem(t, http.StatusBadRequest, q.field)
		}
		if r := admin.Get("/api/v1/moderation/queue?consultation=wir2"); r.Status != http.StatusOK {
			t.Fatalf("a plain parameter: %d %s", r.Status, r.Body)
		}
		if r := s.Client().Get("/c/wir2?lang=de%00"); r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("a page: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
	})
}
