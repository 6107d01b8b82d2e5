// Package mail delivers mitreden's e-mail. A mail is a row of the
// mail_queue table, written (Enqueue) in the transaction of its cause, so
// that it is sent exactly when the change it tells of commits. A worker
// (Start) sends due mails over SMTP, or writes them to the log when no
// server is configured, and retries a failed mail with growing pauses for
// two days. The queue survives restarts, and its rows are claimed with a
// lease, so one mail goes out once however many instances share a
// PostgreSQL database.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
)

// Options tune the worker; the zero value is right for production.
// Tests shorten the pauses.
type Options struct {
	// FirstRetry is the pause after the first failure (default 15 s:
	// the contract asks for the first retry within 30 s); each further
	// pause is twice the last, up to MaxPause.
	FirstRetry time.Duration
	// MaxPause caps the pause between two tries (default 1 h).
	MaxPause time.Duration
	// GiveUpAfter is how long after queueing a mail is tried (default
	// 48 h; at least a day, so an SMTP server down over a night loses nothing).
	GiveUpAfter time.Duration
	// PollEvery is how often the worker looks for mail queued by other
	// instances (default 5 s); mail queued here wakes it at once (Wake).
	PollEvery time.Duration
	// Lease is how long a claimed mail is left to the instance that
	// claimed it (default 5 min); after that another may send it.
	Lease time.Duration
	// Timeout bounds one SMTP conversation (default 30 s).
	Timeout time.Duration
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FirstRetry, 15*time.Second)
	def(&o.MaxPause, time.Hour)
	def(&o.GiveUpAfter, 48*time.Hour)
	def(&o.PollEvery, 5*time.Second)
	def(&o.Timeout, 30*time.Second)
	// A claim must outlast a batch of conversations.
	def(&o.Lease, max(5*time.Minute, claimBatch*o.Timeout+time.Minute))
	return o
}

// Service queues, composes and sends mails.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
	log     *slog.Logger
	from    string
	domain  string
	sender  sender
	opts    Options
	// site is the public URL every link starts with (SetSite).
	site atomic.Pointer[string]

	wake chan struct{}
	stop context.CancelFunc
	done sync.WaitGroup
}

// New builds the service. Without cfg.SMTP, mails go to log.
func New(st *store.Store, catalog *locale.Catalog, cfg config.Server, opts Options, log *slog.Logger) *Service {
	s := &Service{st: st, catalog: catalog, log: log, from: cfg.MailFrom, opts: opts.withDefaults(), wake: make(chan struct{}, 1)}
	if s.from == "" { // a configuration not read by config.ParseServer (the benchmark's)
		s.from = "mitreden <noreply@localhost>"
	}
	s.domain = "localhost"
	if a, err := mail.ParseAddress(s.from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			s.domain = d
		}
	}
	if cfg.SMTP != nil {
		s.sender = &smtpSender{server: *cfg.SMTP, timeout: s.opts.Timeout}
	} else {
		s.sender = &logSender{log: log}
	}
	site := cfg.PublicURL
	s.site.Store(&site)
	return s
}

// SetSite sets the public URL links start with, when it becomes known
// (by default it is http:// and the address the server listens on).
func (s *Service) SetSite(url string) {
	url = strings.TrimRight(url, "/")
	s.site.Store(&url)
}

// Site is the public URL links start with.
func (s *Service) Site() string { return *s.site.Load() }

// Logged reports whether mails go to the log (no SMTP server).
func (s *Service) Logged() bool {
	_, ok := s.sender.(*logSender)
	return ok
}

// Message is one mail, ready to queue.
type Message struct {
	// UserID is the account the mail is for (0 for none): deleting the
	// account deletes its queued mail.
	UserID  int64
	To      string
	Subject string
	Text    string
	HTML    string
	// Headers are extra headers (List-Unsubscribe).
	Headers map[string]string
}

// Enqueue queues m in the write tx; it is sent once tx commits. Callers
// call Wake after their write returns, so it goes out at once.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	headers, err := json.Marshal(m.Headers)
	if err != nil {
		return err
	}
	if m.Headers == nil {
		headers = []byte("{}")
	}
	var user any
	if m.UserID > 0 {
		user = m.UserID
	}
	now := time.Now()
	_, err = tx.Exec(ctx, `INSERT INTO mail_queue (user_id, recipient, subject, text_body, html_body, headers, message_id, created_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, user, m.To, m.Subject, m.Text, m.HTML, string(headers), s.messageID(), tx.Time(now), tx.Time(now))
	return err
}

// messageID is a new Message-ID (without its angle brackets), fixed when
// the mail is queued so that every try carries the same one.
func (s *Service) messageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + s.domain
}

// Wake tells the worker that mail was queued.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
