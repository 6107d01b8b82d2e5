package apptest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/mail/mailtest"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// WithMailServer runs fn against a fresh server per database whose mail
// goes to an SMTP server the test starts, with short retry pauses.
func WithMailServer(t *testing.T, fn func(t *testing.T, s *Server, smtpd *mailtest.Server), opts ...Option) {
	storetest.ForEachMigrated(t, func(t *testing.T, db config.Database) {
		smtpd := mailtest.Start(t)
		opts := append([]Option{WithSMTP(smtpd.URL()), WithMail(func(o *mail.Options) {
			o.FirstRetry, o.PollEvery = 50*time.Millisecond, 200*time.Millisecond
		})}, opts...)
		fn(t, Start(t, db, opts...), smtpd)
	})
}

// RegisterForm registers through the page's form, as a browser without
// JavaScript does, and answers that browser, signed in by its cookie.
func (s *Server) RegisterForm(email, name string) *Client {
	s.t.Helper()
	b := s.Client()
	b.Get("/register")
	form := url.Values{"_csrf": {b.Cookie("mitreden_csrf")}, "email": {email}, "display_name": {name}, "password": {Password}, "consent": {"yes"}}
	if r := b.Do("POST", "/register", form); r.Status != http.StatusSeeOther {
		s.t.Fatalf("register %s through the form: %d %s", email, r.Status, r.Body)
	}
	return b
}
