package mail_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/mail/mailtest"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// fast makes the worker's pauses short enough for a test; poll is how
// often it looks for mail it was not told of.
func fast(poll time.Duration) apptest.Option {
	return apptest.WithMail(func(o *mail.Options) {
		o.FirstRetry, o.MaxPause, o.PollEvery, o.Timeout = 50*time.Millisecond, 200*time.Millisecond, poll, 2*time.Second
	})
}

// askReset registers email and asks for a password reset link for it.
func askReset(t *testing.T, s *apptest.Server, email string) {
	t.Helper()
	s.Register(email, "Mira")
	if r := s.Client().Do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email}); r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
}

// queueState is the one queued mail's tries and last error.
func queueState(t *testing.T, st *store.Store) (attempts int, lastError string, sent bool) {
	t.Helper()
	var sentAt any
	if err := st.QueryRow(context.Background(), "SELECT attempts, last_error, sent_at FROM mail_queue ORDER BY id LIMIT 1").Scan(&attempts, &lastError, &sentAt); err != nil {
		t.Fatal(err)
	}
	return attempts, lastError, sentAt != nil
}

// eventually waits until ok holds.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10 s", what)
		}
	}
}

// A mail queued while the SMTP server is down goes out once it is up.
func TestRetriesUntilTheServerComesUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		addr := mailtest.FreeAddr(t)
		// The worker is never told to look again: the retries are its own.
		s := apptest.Start(t, db, apptest.WithSMTP(mailtest.URLOf(addr)), fast(time.Hour))
		askReset(t, s, "mira@example.org")
		eventually(t, "two failed tries", func() bool {
			attempts, lastError, _ := queueState(t, s.App.Store)
			return attempts >= 2 && lastError != ""
		})
		smtpd := mailtest.StartAt(t, addr)
		m := smtpd.Wait(t, 1, 10*time.Second)[0]
		if m.Envelope.To != "mira@example.org" || m.Link("/password-reset?token=") == "" {
			t.Fatalf("mail to %s: %q", m.Envelope.To, m.Text)
		}
		eventually(t, "the mail marked sent", func() bool { _, _, sent := queueState(t, s.App.Store); return sent })
		smtpd.Quiet(t, 1, 300*time.Millisecond)
		// The link in a sent mail signs nobody in from the database.
		var bodies int
		if err := s.App.Store.QueryRow(context.Background(), "SELECT COUNT(*) FROM mail_queue WHERE text_body <> '' OR html_body <> ''").Scan(&bodies); err != nil || bodies != 0 {
			t.Errorf("%d sent mails keep their bodies (%v)", bodies, err)
		}
	})
}

// Mail queued before a restart goes out when the server starts again,
// at once, without waiting to poll.
func TestQueuedMailSurvivesARestart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		first := apptest.Start(t, db, apptest.WithSMTP(mailtest.URLOf(mailtest.FreeAddr(t))), fast(time.Hour))
		first.App.Mail.Close() // this instance stops before it tries
		askReset(t, first, "mira@example.org")
		if attempts, _, sent := queueState(t, first.App.Store); attempts != 0 || sent {
			t.Fatalf("before the restart: %d tries, sent %v", attempts, sent)
		}
		first.Stop()
		smtpd := mailtest.Start(t)
		apptest.Start(t, db, apptest.WithSMTP(smtpd.URL()), fast(time.Hour))
		if m := smtpd.Wait(t, 1, 5*time.Second)[0]; m.Envelope.To != "mira@example.org" {
			t.Fatalf("mail to %s", m.Envelope.To)
		}
	})
}

// Two instances on one database send every mail once.
func TestTwoInstancesSendEachMailOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		smtpd := mailtest.Start(t)
		smtpd.Delay = 5 * time.Millisecond
		a := apptest.Start(t, db, apptest.WithSMTP(smtpd.URL()), fast(10*time.Millisecond))
		b := apptest.Start(t, db, apptest.WithSMTP(smtpd.URL()), fast(10*time.Millisecond))
		const n = 60
		err := a.App.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			for i := range n {
				m := mail.Message{To: fmt.Sprintf("p%d@example.org", i), Subject: "s", Text: "t", HTML: "<p>h</p>"}
				if err := a.App.Mail.Enqueue(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a.App.Mail.Wake()
		b.App.Mail.Wake()
		smtpd.Wait(t, n, 20*time.Second)
		smtpd.Quiet(t, n, 500*time.Millisecond)
		seen := map[string]bool{}
		for _, m := range smtpd.Received() {
			id := m.Header.Get("Message-Id")
			if seen[id] || seen[m.Envelope.To] {
				t.Errorf("%s (%s) arrived twice", m.Envelope.To, id)
			}
			seen[id], seen[m.Envelope.To] = true, true
		}
	})
}

// A mail that cannot be sent for GiveUpAfter is given up, and logged.
func TestGivesUp(t *testing.T) {
	var log apptest.LogBuffer
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithLog(&log),
		apptest.WithSMTP(mailtest.URLOf(mailtest.FreeAddr(t))), apptest.WithMail(func(o *mail.Options) {
			o.FirstRetry, o.MaxPause, o.GiveUpAfter = 20*time.Millisecond, 50*time.Millisecond, 300*time.Millisecond
		}))
	askReset(t, s, "mira@example.org")
	eventually(t, "giving up", func() bool { return log.Count("mail: given up") == 1 })
	var failed any
	if err := s.App.Store.QueryRow(context.Background(), "SELECT failed_at FROM mail_queue").Scan(&failed); err != nil || failed == nil {
		t.Fatalf("failed_at %v, %v", failed, err)
	}
}

// A recipient the server refuses for good is given up at once; one it
// refuses for now is tried again.
func TestRefusedRecipients(t *testing.T) {
	for _, tc := range []struct {
		code   int
		giveUp bool
	}{{550, true}, {450, false}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			var log apptest.LogBuffer
			smtpd := mailtest.StartWith(t, "127.0.0.1:0", mailtest.Options{Refuse: []string{"mira@example.org"}, RefuseCode: tc.code})
			s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithLog(&log), apptest.WithSMTP(smtpd.URL()), fast(time.Hour))
			askReset(t, s, "mira@example.org")
			eventually(t, "two tries or giving up", func() bool {
				attempts, _, _ := queueState(t, s.App.Store)
				return attempts >= 2 || log.Count("mail: given up") == 1
			})
			attempts, lastError, _ := queueState(t, s.App.Store)
			if given := log.Count("mail: given up") == 1; given != tc.giveUp || (tc.giveUp && attempts != 1) || !strings.Contains(lastError, fmt.Sprint(tc.code)) {
				t.Errorf("given up %v after %d tries (%s)", given, attempts, lastError)
			}
		})
	}
}

// Without an SMTP server each mail is one log line with its links, and
// the start warns that this is for trying out only.
func TestWithoutServerMailGoesToTheLog(t *testing.T) {
	var log apptest.LogBuffer
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite), apptest.WithLog(&log))
	if log.Count("level=WARN", "MITREDEN_SMTP_URL is not set", "for trying mitreden out only") != 1 {
		t.Errorf("no warning at start:\n%s", log.String())
	}
	askReset(t, s, "mira@example.org")
	eventually(t, "the mail in the log", func() bool {
		return log.Count("mail (not sent", "to=mira@example.org", "subject=", s.URL+"/password-reset?token=") == 1
	})
	if n := log.Count("mail (not sent", s.URL+")"); n != 0 {
		t.Errorf("a link in the log takes the text's closing parenthesis along")
	}
	if n := log.Count("security", "auth.password_reset", "token"); n != 0 {
		t.Errorf("a security event names the token")
	}
	if !strings.Contains(log.String(), "event=auth.password_reset step=requested user=") {
		t.Errorf("no security event for the request:\n%s", log.String())
	}
}
