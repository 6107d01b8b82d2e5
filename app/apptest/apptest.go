// Package apptest starts real mitreden servers for tests: a real listener
// on 127.0.0.1, a real database (a SQLite file, or a fresh PostgreSQL
// database), the demo seeded, and HTTP clients that sign in the way API
// clients and browsers do.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/live"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// The administrator every test server starts with.
const (
	AdminEmail    = "admin@example.org"
	AdminPassword = "pumpkin-lantern-42"
	// Password is what Register signs up with.
	Password = "a-good-password"
)

// cheapHashes keeps argon2id fast in tests; production uses accounts.DefaultHashParams.
var cheapHashes = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Server is a running test server.
type Server struct {
	URL string
	App *server.App
	t   testing.TB
	// transport is shared by the server's clients: many simultaneous
	// clients reuse connections instead of churning through new ones.
	transport *http.Transport
	stop      func()
}

// Stop shuts the server down before the test ends (a restart).
func (s *Server) Stop() { s.stop() }

// Setup is what a test server is built from.
type Setup struct {
	Config config.Server
	Store  store.Options
	Live   live.Options
	Mail   mail.Options
	// Log receives the server's log; nil discards it.
	Log io.Writer
}

// Option changes a test server's setup.
type Option func(*Setup)

// WithRateLimits turns the rate limits on (tests run without them).
func WithRateLimits() Option { return func(s *Setup) { s.Config.RateLimits = true } }

// WithoutDemo starts with an empty database.
func WithoutDemo() Option { return func(s *Setup) { s.Config.Demo = false } }

// WithEmailVerification is MITREDEN_EMAIL_VERIFICATION=required (tests
// run with it off, as load runs do).
func WithEmailVerification() Option { return func(s *Setup) { s.Config.VerifyEmail = true } }

// WithBodyLimit sets MITREDEN_BODY_LIMIT.
func WithBodyLimit(n int) Option { return func(s *Setup) { s.Config.BodyLimit = n } }

// WithPublicURL sets MITREDEN_PUBLIC_URL.
func WithPublicURL(u string) Option { return func(s *Setup) { s.Config.PublicURL = u } }

// WithSMTP sends mail through the SMTP server at url (smtp://host:port).
func WithSMTP(url string) Option {
	return func(s *Setup) {
		smtp, err := config.ParseSMTP(url)
		if err != nil {
			panic(err)
		}
		s.Config.SMTP = smtp
	}
}

// WithMail changes the mail worker's options (its pauses).
func WithMail(fn func(*mail.Options)) Option { return func(s *Setup) { fn(&s.Mail) } }

// WithLive changes the live hub's options.
func WithLive(fn func(*live.Options)) Option { return func(s *Setup) { fn(&s.Live) } }

// WithLog writes the server's log to w, as text lines (tests read the
// security events from it).
func WithLog(w io.Writer) Option { return func(s *Setup) { s.Log = w } }

// LogBuffer collects a test server's log; it may be read while the server
// writes.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Count counts the lines logged so far that contain every one of parts.
func (l *LogBuffer) Count(parts ...string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// WithQueryHook lets h see every query the server runs.
func WithQueryHook(h bun.QueryHook) Option {
	return func(s *Setup) { s.Store.QueryHooks = append(s.Store.QueryHooks, h) }
}

func newSetup(db config.Database, opts []Option) Setup {
	s := Setup{Config: config.Server{
		Addr: "127.0.0.1:0", DB: db, Demo: true, RateLimits: false, BodyLimit: 1 << 20, HideAfterReports: 3,
		AdminEmail: AdminEmail, AdminPassword: AdminPassword, MailFrom: "mitreden <noreply@mitreden.test>",
	}}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Config is the configuration test servers start from.
func Config(db config.Database, opts ...Option) config.Server {
	return newSetup(db, opts).Config
}

// Start builds and serves mitreden on db until the test ends.
func Start(t testing.TB, db config.Database, opts ...Option) *Server {
	t.Helper()
	setup := newSetup(db, opts)
	ctx, cancel := context.WithCancel(context.Background())
	log := quietLog()
	if setup.Log != nil {
		log = slog.New(slog.NewTextHandler(setup.Log, nil))
	}
	// No retention schedule: a round running by itself could take rows a
	// test is looking at; tests that prune call App.Prune.
	app, err := server.Build(ctx, setup.Config, server.Options{
		Log: log, HashParams: cheapHashes, Store: setup.Store, Live: setup.Live, Mail: setup.Mail, PruneEvery: -1,
	})
	if err != nil {
		cancel()
		t.Fatalf("start server on %s: %v", db, err)
	}
	// The set-up's events (the demo's) are numbered before a test begins:
	// on PostgreSQL the sequencer numbers them after commit, and a socket
	// opened before it did would hear them as news after its ready.
	for {
		n, err := app.Store.SequenceEvents(ctx)
		if err != nil {
			cancel()
			t.Fatalf("number the set-up's events: %v", err)
		}
		if n == 0 {
			break
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 200
	stop := sync.OnceFunc(func() {
		// Idle client connections would keep a graceful shutdown waiting.
		transport.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		app.Close()
	})
	t.Cleanup(stop)
	return &Server{URL: "http://" + ln.Addr().String(), App: app, t: t, transport: transport, stop: stop}
}

// ForEach runs fn against a fresh server per database.
func ForEach(t *testing.T, fn func(t *testing.T, s *Server), opts ...Option) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		fn(t, Start(t, db, opts...))
	})
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Client talks to a server. A Bearer client sends its token; a browser
// client keeps cookies and sends the CSRF token the way pages and scripts do.
type Client struct {
	s     *Server
	http  *http.Client
	Token string
	CSRF  string
	// Headers are sent with every request.
	Headers map[string]string
	// UserID is the signed-in user's id, when known.
	UserID int64
}

// Client returns an anonymous client with a cookie jar.
func (s *Server) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{s: s, http: &http.Client{
		Jar:       jar,
		Transport: s.transport,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, Headers: map[string]string{}}
}

// Response is a finished response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON (%v): %s", r.Status, err, r.Body)
	}
}

// Map decodes the body into a map.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Text is the body as a string.
func (r *Response) Text() string { return string(r.Body) }

// Raw is a request body sent exactly as given, with a content type.
type Raw struct {
	ContentType string
	Body        []byte
}

// Do sends a request. body may be nil, Raw, url.Values (a form) or
// anything JSON-encodable.
func (c *Client) Do(method, path string, body any) *Response {
	c.s.t.Helper()
	var (
		rd          io.Reader
		contentType string
	)
	switch b := body.(type) {
	case nil:
	case Raw:
		rd, contentType = bytes.NewReader(b.Body), b.ContentType
	case url.Values:
		rd, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.s.t.Fatal(err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, c.s.URL+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.CSRF != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Get is Do with GET.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil) }

// Cookie returns the value of a cookie the client holds for the server.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.s.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

type sessionAnswer struct {
	User struct {
		ID int64 `json:"id"`
	} `json:"user"`
	Token     string `json:"token"`
	CSRFToken string `json:"csrf_token"`
}

// Register creates a resident through the API and returns a Bearer client.
func (s *Server) Register(email, name string) *Client {
	s.t.Helper()
	return s.RegisterIn(email, name, "")
}

// RegisterIn is Register for a resident who reads mitreden in lang ("":
// the default).
func (s *Server) RegisterIn(email, name, lang string) *Client {
	s.t.Helper()
	body := map[string]any{"email": email, "password": Password, "display_name": name, "privacy_consent": true}
	if lang != "" {
		body["locale"] = lang
	}
	r := s.Client().Do(http.MethodPost, "/api/v1/auth/register", body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	var a sessionAnswer
	r.JSON(s.t, &a)
	return s.bearer(a)
}

// Login signs in through the API and returns a Bearer client.
func (s *Server) Login(email, password string) *Client {
	s.t.Helper()
	r := s.Client().Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var a sessionAnswer
	r.JSON(s.t, &a)
	return s.bearer(a)
}

func (s *Server) bearer(a sessionAnswer) *Client {
	c := s.Client()
	c.http.Jar, _ = cookiejar.New(nil) // a Bearer client sends no cookies
	c.Token, c.UserID = a.Token, a.User.ID
	return c
}

// Admin signs in as the administrator.
func (s *Server) Admin() *Client { return s.Login(AdminEmail, AdminPassword) }

// Browser signs in through the API keeping only the session cookie, the
// way the pages' script does: it must send the CSRF token on writes.
func (s *Server) Browser(email, password string) *Client {
	s.t.Helper()
	c := s.Client()
	r := c.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var a sessionAnswer
	r.JSON(s.t, &a)
	c.CSRF, c.UserID = a.CSRFToken, a.User.ID
	return c
}
