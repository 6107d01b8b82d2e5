package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail/mailtest"
)

// What MITREDEN_SMTP_URL says is how the conversation goes: smtp://
// switches to TLS when the server offers it and carries on in plain text
// when not, smtps:// speaks TLS from the start, and a user in the URL
// signs in.
func TestSMTPURLs(t *testing.T) {
	serverTLS, roots := mailtest.Certificate(t)
	for _, tc := range []struct {
		name    string
		url     string
		server  mailtest.Options
		wantTLS bool
	}{
		{name: "plain server", url: "smtp://%s"},
		{name: "STARTTLS offered", url: "smtp://%s", server: mailtest.Options{TLS: serverTLS}, wantTLS: true},
		{name: "TLS from the start", url: "smtps://%s", server: mailtest.Options{TLS: serverTLS, Implicit: true}, wantTLS: true},
		{name: "password over STARTTLS", url: "smtp://mitreden:s%%3Acret@%s", server: mailtest.Options{TLS: serverTLS, User: "mitreden", Password: "s:cret"}, wantTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			smtpd := mailtest.StartWith(t, "127.0.0.1:0", tc.server)
			server, err := config.ParseSMTP(fmt.Sprintf(tc.url, smtpd.Addr))
			if err != nil {
				t.Fatal(err)
			}
			sender := &smtpSender{server: *server, timeout: 5 * time.Second, tls: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}}
			q := &queued{To: "ana@example.org", Subject: "Grüße", Text: "Hallo\n", HTML: "<p>Hallo</p>", MessageID: "1@mitreden.test",
				Headers: `{"List-Unsubscribe":"<https://mitreden.example/unsubscribe?token=x>","List-Unsubscribe-Post":"List-Unsubscribe=One-Click"}`}
			if err := sender.Send(context.Background(), "mitreden <noreply@mitreden.test>", q); err != nil {
				t.Fatal(err)
			}
			m := smtpd.Wait(t, 1, 5*time.Second)[0]
			if m.Envelope.TLS != tc.wantTLS || m.Envelope.User != tc.server.User || m.Subject != "Grüße" || m.Header.Get("Message-Id") != "<1@mitreden.test>" {
				t.Errorf("TLS %v (want %v), user %q, subject %q, id %q", m.Envelope.TLS, tc.wantTLS, m.Envelope.User, m.Subject, m.Header.Get("Message-Id"))
			}
			if m.Header.Get("List-Unsubscribe") != "<https://mitreden.example/unsubscribe?token=x>" || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("extra headers: %v", m.Header)
			}
		})
	}
}

// A certificate that does not check out is an error, never a fall back
// to plain text.
func TestSMTPRefusesABadCertificate(t *testing.T) {
	serverTLS, _ := mailtest.Certificate(t)
	smtpd := mailtest.StartWith(t, "127.0.0.1:0", mailtest.Options{TLS: serverTLS})
	host, port, _ := net.SplitHostPort(smtpd.Addr)
	p, _ := strconv.Atoi(port)
	sender := &smtpSender{server: config.SMTP{Host: host, Port: p}, timeout: 5 * time.Second}
	q := &queued{To: "ana@example.org", Subject: "s", Text: "t", HTML: "h", Headers: "{}", MessageID: "2@mitreden.test"}
	if err := sender.Send(context.Background(), "noreply@mitreden.test", q); err == nil {
		t.Fatal("a self-signed certificate was accepted")
	}
	if n := len(smtpd.Received()); n != 0 {
		t.Fatalf("%d mails went out", n)
	}
}
