// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp)
// for tests, and reads the messages it receives the way a mail program
// does: MIME multipart, quoted-printable, encoded headers.
package mailtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a running SMTP server that keeps every message it accepts.
type Server struct {
	Addr string
	// Delay slows every accepted message down (set it before mail
	// arrives), so that senders overlap.
	Delay time.Duration
	srv   *smtp.Server
	opts  Options

	mu       sync.Mutex
	received []*Message
	arrived  chan struct{}
}

// Start runs a server on a free port of 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server { return StartAt(t, "127.0.0.1:0") }

// StartAt runs a server on addr (a port taken from FreeAddr, for a
// server that comes up after mitreden tried to reach it).
func StartAt(t testing.TB, addr string) *Server { return StartWith(t, addr, Options{}) }

// Options make a server offer TLS or require a password.
type Options struct {
	// TLS is offered with STARTTLS, or from the first byte with Implicit.
	TLS      *tls.Config
	Implicit bool
	// User and Password, when set, must sign in (AUTH PLAIN) before mail
	// is taken.
	User, Password string
	// Refuse answers RCPT TO for these addresses with this code (550: no
	// such mailbox, for good; 450: not now).
	Refuse     []string
	RefuseCode int
}

// StartWith runs a server on addr with opts.
func StartWith(t testing.TB, addr string, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("smtp server: %v", err)
	}
	if opts.Implicit {
		ln = tls.NewListener(ln, opts.TLS)
	}
	s := &Server{Addr: ln.Addr().String(), arrived: make(chan struct{}, 1), opts: opts}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	s.srv.Domain = "mail.test"
	s.srv.AllowInsecureAuth = true
	if !opts.Implicit {
		s.srv.TLSConfig = opts.TLS
	}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// FreeAddr is an address of 127.0.0.1 where nothing listens (yet).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// URL is the server as MITREDEN_SMTP_URL.
func (s *Server) URL() string { return "smtp://" + s.Addr }

// URLOf is MITREDEN_SMTP_URL for addr.
func URLOf(addr string) string { return (&url.URL{Scheme: "smtp", Host: addr}).String() }

// Received is every message so far.
func (s *Server) Received() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.received...)
}

// Wait waits until n messages have arrived (failing the test after
// timeout) and answers them all.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []*Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got := s.Received(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			t.Fatalf("smtp server: %d messages arrived within %s, want %d", len(s.Received()), timeout, n)
		}
	}
}

// Quiet fails the test if more than n messages arrive within d.
func (s *Server) Quiet(t testing.TB, n int, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if got := s.Received(); len(got) != n {
		t.Fatalf("smtp server: %d messages arrived, want %d", len(got), n)
	}
}

func (s *Server) add(m *Message) {
	s.mu.Lock()
	s.received = append(s.received, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

// Close stops the server now.
func (s *Server) Close() { _ = s.srv.Shutdown(context.Background()) }

type session struct {
	s      *Server
	conn   *smtp.Conn
	from   string
	to     []string
	signed string
}

// AuthMechanisms offers PLAIN when the server has a password.
func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.opts.User || password != ss.s.opts.Password {
			return &smtp.SMTPError{Code: 535, Message: "bad credentials"}
		}
		ss.signed = user
		return nil
	}), nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.User != "" && ss.signed == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(ss.s.opts.Refuse, to) {
		return &smtp.SMTPError{Code: ss.s.opts.RefuseCode, EnhancedCode: smtp.EnhancedCode{ss.s.opts.RefuseCode / 100, 1, 1}, Message: "mailbox refused"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(ss.s.Delay)
	m, err := Parse(bytes.Clone(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "cannot parse: " + err.Error()}
	}
	_, tlsOn := ss.conn.TLSConnectionState()
	m.Envelope = Envelope{From: ss.from, To: strings.Join(ss.to, ","), TLS: tlsOn, User: ss.signed}
	ss.s.add(m)
	return nil
}
