// Package server assembles mitreden: it opens and migrates the database,
// sets up a new installation (the first administrator and the demo
// consultation), builds the domain services and the web application, and
// serves until told to stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/accessibility"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/admin"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/demo"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/export"
	"github.com/mitreden/mitreden/app/freshness"
	"github.com/mitreden/mitreden/app/legal"
	"github.com/mitreden/mitreden/app/live"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/moderation"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/privacy"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/site"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/web"
	"github.com/mitreden/mitreden/frontend"
	"github.com/mitreden/mitreden/i18n"
)

// Options tune an App beyond its configuration; the zero value is right
// for production.
type Options struct {
	Log *slog.Logger
	// HashParams replaces the argon2id cost (tests make it cheap).
	HashParams *argon2id.Params
	Store      store.Options
	// Live tunes the live hub (tests shorten its intervals).
	Live live.Options
	// PruneEvery is how often the retention round runs (see App.Prune); 0
	// is PruneEvery, negative never (tests run rounds with App.Prune).
	PruneEvery time.Duration
	// Mail tunes the mail worker (tests shorten its pauses).
	Mail mail.Options
	// PhaseEvery is how often scheduled phase changes are made; 0 is PhaseEvery.
	PhaseEvery time.Duration
}

// App is a running mitreden.
type App struct {
	Config        config.Server
	Store         *store.Store
	Catalog       *locale.Catalog
	Accounts      *accounts.Service
	Consultations *consultations.Service
	Experts       *experts.Service
	Participation *participation.Service
	Privacy       *privacy.Service
	Moderation    *moderation.Service
	Screening     *screening.Lists
	Legal         *legal.Service
	Site          *site.Service
	Live          *live.Hub
	Mail          *mail.Service
	// Notices mails what notifications ask for.
	Notices      *notifications.Mailer
	Pages        *pages.Renderer
	Fiber        *fiber.App
	log          *slog.Logger
	prune        []pruneJob
	stopPruning  func()
	stopSchedule func()
}

// embeddedFiles are the texts and the page templates, parsed from files
// embedded in the binary; neither changes after parsing.
type embeddedFiles struct {
	catalog   *locale.Catalog
	templates *pages.Templates
}

// parseEmbedded parses them once per process. A server starts once in
// production, but the tests start one or two per test: parsing was 194 ms
// of the 212 ms of CPU that a start took under -race, and ten starts of a
// server without the demo took 0.78–1.73 s each, then 0.08–0.24 s
// (apptest, 7 December 2026, a busy machine).
var parseEmbedded = sync.OnceValues(func() (embeddedFiles, error) {
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		return embeddedFiles{}, err
	}
	templates, err := pages.Parse(frontend.Templates, catalog)
	return embeddedFiles{catalog: catalog, templates: templates}, err
})

// Build opens the database, migrates it, sets up a new installation and
// builds the application. Close releases it.
func Build(ctx context.Context, cfg config.Server, opts Options) (*App, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	files, err := parseEmbedded()
	if err != nil {
		return nil, err
	}
	catalog := files.catalog
	renderer := pages.New(files.templates)
	st, err := store.Open(ctx, cfg.DB, opts.Store)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Catalog: catalog, Pages: renderer, log: log}
	a.Accounts, err = accounts.NewService(st, catalog, opts.HashParams)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Accounts.RequireStaffTwoFactor(cfg.Staff2FA)
	a.Accounts.RequireVerifiedEmail(cfg.VerifyEmail)
	a.Mail = newMail(st, catalog, cfg, opts.Mail, log)
	a.Accounts.SetMailer(a.Mail)
	a.Consultations = consultations.NewService(st, catalog)
	a.Experts = experts.NewService(st, catalog)
	a.Participation = participation.NewService(st, catalog)
	a.Privacy = privacy.NewService(st)
	a.Moderation = moderation.NewService(st, catalog, cfg.HideAfterReports)
	a.Screening = screening.NewLists(st, catalog, a.Participation.Screener)
	a.Legal = legal.NewService(st, catalog)
	a.Site = site.NewService(st)
	if err := st.WithSetupLock(ctx, a.setup); err != nil {
		st.Close()
		return nil, err
	}
	liveOpts := opts.Live
	if liveOpts.Log == nil {
		liveOpts.Log = log
	}
	if liveOpts.Reauthorize == nil {
		liveOpts.Reauthorize = a.Accounts.Authenticate
	}
	// The page cache and the kept sessions learn of changes from this
	// instance's commits and, through the live hub, from every instance.
	topics := freshness.New()
	liveOpts.Observer = topics
	st.OnCommit(topics.Committed)
	renderer.Cache = pages.NewPageCache(topics)
	a.Accounts.CacheSessions(topics)
	a.Site.Follow(topics)
	renderer.Identity = a.identity
	liveOpts.SessionCookie = accounts.SessionCookieName(cfg.HTTPS())
	if liveOpts.MaxPerAddr == 0 && cfg.RateLimits {
		liveOpts.MaxPerAddr = LiveSocketsPerAddr
	}
	if a.Live, err = live.New(ctx, st, liveOpts); err != nil {
		st.Close()
		return nil, err
	}
	m := a.newMetrics(renderer.Cache)
	notes := notifications.NewService(st)
	renderer.Unread = notes.Unread
	a.Fiber = web.New(web.Deps{
		Config: cfg, Store: st, Catalog: catalog, Pages: renderer, Static: frontend.Static,
		Metrics: m, Log: log, Live: a.Live.Handler(),
		Accounts: accounts.NewHandlers(a.Accounts, renderer, accounts.HandlerOptions{
			MeExtras: a.myContributions, ThrottleSignIns: cfg.RateLimits, BehindTLS: cfg.HTTPS(),
		}),
		Consultations: consultations.NewHandlers(a.Consultations, renderer),
		Experts:       experts.NewHandlers(a.Experts),
		Participation: participation.NewHandlers(a.Participation, a.Consultations, renderer, a.Moderation.AfterReport),
		Privacy:       privacy.NewHandlers(a.Privacy, renderer),
		Moderation:    moderation.NewHandlers(a.Moderation, a.Consultations, a.Accounts, renderer),
		Inbox:         experts.NewInboxHandlers(a.Experts, a.Consultations, renderer),
		Export:        export.NewHandlers(export.New(st), renderer, log),
		Accessibility: accessibility.NewHandlers(accessibility.NewService(st), renderer),
		Notifications: notifications.NewHandlers(notes, renderer),
		Admin: web.AdminDeps{
			Pages: admin.NewHandlers(admin.Services{
				Accounts: a.Accounts, Consultations: a.Consultations, Experts: a.Experts,
				Screening: a.Screening, Legal: a.Legal, Identity: a.Site, Store: st, Site: a.Mail.Site,
			}, renderer),
			Screening: screening.NewHandlers(a.Screening),
			Legal:     legal.NewHandlers(a.Legal, renderer),
			Audit:     audit.NewHandlers(st),
			Site:      site.NewHandlers(a.Site),
		},
	})
	a.startPruning(opts.PruneEvery, a.pruneJobs(notes))
	a.startSchedule(opts.PhaseEvery)
	a.startMail()
	a.Notices = notifications.NewMailer(st, catalog, a.Mail, log)
	a.Notices.Start()
	return a, nil
}

// identity is what every page's layout shows of the site's identity.
func (a *App) identity(ctx context.Context) (pages.Identity, error) {
	id, err := a.Site.Get(ctx)
	if err != nil {
		return pages.Identity{}, err
	}
	return pages.Identity{Name: id.Name, LogoURL: id.LogoURL(), ThemeURL: id.ThemeURL()}, nil
}

// LiveSocketsPerAddr caps the live sockets of one client address while
// rate limits are on: enough for many tabs, or a household behind one
// address, not for one client holding thousands.
const LiveSocketsPerAddr = 64

// setup migrates and, on a new installation, creates the first
// administrator and seeds the demo. It runs under the setup lock, so
// instances starting together do it once.
func (a *App) setup(ctx context.Context) error {
	applied, err := a.Store.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, name := range applied {
		a.log.Info("migration applied", "name", name)
	}
	// Lists of languages added since the last start are seeded too.
	if err := a.Screening.SeedMissing(ctx); err != nil {
		return err
	}
	if err := a.Accounts.LoadDeviceKey(ctx); err != nil {
		return err
	}
	var initialized int
	if err := a.Store.DB.NewRaw("SELECT COUNT(*) FROM settings WHERE key = 'initialized_at'").Scan(ctx, &initialized); err != nil {
		return err
	}
	if initialized > 0 {
		return nil
	}
	admin, generated, err := a.Accounts.EnsureAdmin(ctx, a.Config.AdminEmail, a.Config.AdminPassword)
	if err != nil {
		return a.adminSettingError(err)
	}
	switch {
	case generated != "":
		a.log.Warn("administrator created; this one-time password is shown only now, change it after signing in",
			"email", admin.EmailAddress(), "password", generated)
	case admin != nil:
		a.log.Info("administrator created", "email", admin.EmailAddress())
	}
	if a.Config.Demo {
		var exists int
		if err := a.Store.DB.NewRaw("SELECT COUNT(*) FROM consultations WHERE slug = ?", demo.Slug).Scan(ctx, &exists); err != nil {
			return err
		}
		if exists == 0 {
			if err := demo.Seed(ctx, a.Consultations, a.Experts); err != nil {
				return err
			}
			a.log.Info("demo consultation seeded", "slug", demo.Slug)
		}
	}
	return a.Store.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('initialized_at', ?)", time.Now().UTC().Format(time.RFC3339))
		return err
	})
}

// adminSettingError turns a refused MITREDEN_ADMIN_EMAIL or
// MITREDEN_ADMIN_PASSWORD (a weak password) into a usage error: one line
// naming the setting and the rule, never the password.
func (a *App) adminSettingError(err error) error {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
		return err
	}
	l := a.Catalog.Get("en")
	var parts []string
	for _, fe := range p.Errors {
		setting := "MITREDEN_ADMIN_EMAIL"
		if fe.Field == "password" {
			setting = "MITREDEN_ADMIN_PASSWORD"
		}
		parts = append(parts, setting+": "+l.T(fe.Key, fe.Args))
	}
	return config.Usagef("%s", strings.Join(parts, "; "))
}

// Serve answers requests on ln until ctx ends, then drains open requests
// (up to 10 s) and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.Config.PublicURL == "" {
		// Links in mails lead to where this server listens.
		a.Mail.SetSite("http://" + ln.Addr().String())
	}
	conns := newConnections()
	srv := a.Fiber.Server()
	srv.Handler = conns.handler(srv.Handler)
	errc := make(chan error, 1)
	go func() { errc <- a.Fiber.Listener(conns.listen(ln)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Sockets are hijacked connections the HTTP shutdown does not wait
	// for: close them first, with 1001.
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	a.Live.Shutdown(sctx)
	cancel()
	// Connections waiting for a request end now; requests in handlers
	// finish first.
	conns.stop()
	if err := a.Fiber.ShutdownWithTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close ends the live hub, the pruning, the schedule and the mail worker,
// and releases the database.
func (a *App) Close() error {
	a.stopPruning()
	a.stopSchedule()
	a.Notices.Close()
	a.Mail.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	a.Live.Shutdown(ctx)
	cancel()
	return a.Store.Close()
}

// Run builds the application, listens on the configured address and serves
// until ctx ends.
func Run(ctx context.Context, cfg config.Server, opts Options) error {
	a, err := Build(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return config.Usagef("cannot listen on %s: %v", cfg.Addr, opErr.Err)
		}
		return config.Usagef("cannot listen on %s: %v", cfg.Addr, err)
	}
	a.log.Info("mitreden is listening", "url", "http://"+ln.Addr().String(), "db", cfg.DB.String())
	return a.Serve(ctx, ln)
}
