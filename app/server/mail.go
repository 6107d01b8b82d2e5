package server

import (
	"log/slog"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/store"
)

// newMail builds the mail service; links lead to the listen address
// unless MITREDEN_PUBLIC_URL says otherwise.
func newMail(st *store.Store, catalog *locale.Catalog, cfg config.Server, opts mail.Options, log *slog.Logger) *mail.Service {
	m := mail.New(st, catalog, cfg, opts, log)
	if cfg.PublicURL == "" {
		m.SetSite("http://" + cfg.Addr)
	}
	return m
}

// startMail starts the mail worker, once the database is set up. Without
// an SMTP server mails go to the log, which then holds sign-in and reset
// links: fine for trying mitreden out, never for people's accounts, so
// the start says so.
func (a *App) startMail() {
	if a.Config.SMTP == nil {
		a.log.Warn("MITREDEN_SMTP_URL is not set: mails are written to the log instead of sent. " +
			"This is for trying mitreden out only: the log then holds password reset and sign-in links.")
	} else {
		a.log.Info("mail goes out through " + a.Config.SMTP.String())
	}
	a.Mail.Start()
}
