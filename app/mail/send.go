package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/mitreden/mitreden/app/config"
)

// queued is a claimed row of the queue.
type queued struct {
	ID        int64
	To        string
	Subject   string
	Text      string
	HTML      string
	Headers   string
	MessageID string
	Attempts  int
	CreatedAt time.Time
}

// sender hands a mail over.
type sender interface {
	Send(ctx context.Context, from string, m *queued) error
}

// smtpSender speaks SMTP to MITREDEN_SMTP_URL, one conversation per mail
// (so that one refused recipient fails only its own mail).
type smtpSender struct {
	server  config.SMTP
	timeout time.Duration
	// tls replaces go-mail's TLS settings (tests trust their own
	// certificate); nil checks the server's certificate against the
	// system's roots.
	tls *tls.Config
}

func (s *smtpSender) Send(ctx context.Context, from string, q *queued) error {
	msg, err := buildMsg(from, q)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.server.Port), gomail.WithTimeout(s.timeout)}
	if s.server.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS when the server offers it; go-mail insists on TLS by default.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.tls != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tls))
	}
	if s.server.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.server.User), gomail.WithPassword(s.server.Password))
	}
	client, err := gomail.NewClient(s.server.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}

// refused reports a recipient the server refused for good (a 5xx answer
// to RCPT TO, such as "no such mailbox"): trying again cannot help. Other
// failures, a refused sender or password included, are tried again: an
// operator may fix the server in the meantime.
func refused(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() && se.ErrorCode()/100 == 5
}

// buildMsg makes the MIME message: multipart/alternative, plain text
// first, quoted-printable UTF-8, with Date and the queued Message-ID.
func buildMsg(from string, q *queued) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return nil, err
	}
	if err := m.To(q.To); err != nil {
		return nil, err
	}
	m.Subject(q.Subject)
	m.SetDate()
	m.SetMessageIDWithValue(q.MessageID)
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	var extra map[string]string
	if err := json.Unmarshal([]byte(q.Headers), &extra); err != nil {
		return nil, err
	}
	for k, v := range extra {
		m.SetGenHeader(gomail.Header(k), v)
	}
	m.SetBodyString(gomail.TypeTextPlain, q.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, q.HTML)
	return m, nil
}

// logSender writes each mail to the log, one line with the recipient,
// the subject and the links, so that a demo works without a mail server.
type logSender struct{ log *slog.Logger }

var links = regexp.MustCompile(`https?://[^\s<>"()]+`)

func (s *logSender) Send(_ context.Context, _ string, q *queued) error {
	s.log.Info("mail (not sent: no MITREDEN_SMTP_URL)", "to", q.To, "subject", q.Subject, "links", links.FindAllString(q.Text, -1))
	return nil
}
