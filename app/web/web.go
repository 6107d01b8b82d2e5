// Package web builds the Fiber application: middleware, the error handler
// that turns every error into problem+json (API) or an error page (pages),
// and the routes, which belong to the domain packages' handlers.
package web

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accessibility"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/export"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/metrics"
	"github.com/mitreden/mitreden/app/moderation"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/privacy"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
	"github.com/mitreden/mitreden/app/store"
)

// Deps is everything the routes are built from.
type Deps struct {
	Config        config.Server
	Store         *store.Store
	Catalog       *locale.Catalog
	Pages         *pages.Renderer
	Static        fs.FS
	Metrics       *metrics.Metrics
	Log           *slog.Logger
	Accounts      *accounts.Handlers
	Consultations *consultations.Handlers
	Experts       *experts.Handlers
	Participation *participation.Handlers
	Privacy       *privacy.Handlers
	Moderation    *moderation.Handlers
	Inbox         *experts.InboxHandlers
	Export        *export.Handlers
	Admin         AdminDeps
	Accessibility *accessibility.Handlers
	Notifications *notifications.Handlers
	// Live answers the WebSocket endpoint /api/v1/live.
	Live fiber.Handler
}

// contentSecurityPolicy allows nothing inline: scripts and styles come
// from our own static files only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// New builds the application.
func New(d Deps) *fiber.App {
	eh := &errorHandler{pages: d.Pages, catalog: d.Catalog, log: d.Log, https: d.Config.HTTPS()}
	app := fiber.New(fiber.Config{
		AppName:               "mitreden",
		DisableStartupMessage: true,
		ErrorHandler:          eh.handle,
		// fasthttp reads a body, up to this many bytes as received (an
		// encoded body not at all, see leaveEncodedBodiesUnread), before
		// any handler runs; a longer one answers 413 unread.
		BodyLimit: d.Config.BodyLimit,
		// The request head must fit the read buffer. Bodies are not
		// streamed and memory is reduced, because only then does fasthttp
		// give its read buffer back before it hands a connection to a
		// WebSocket: an idle socket would otherwise keep 8 KiB.
		ReadBufferSize:               readBuffer,
		ReduceMemoryUsage:            true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  30 * time.Second,
		IdleTimeout:                  120 * time.Second,
		// The client address is found by clientAddress; Fiber believes
		// X-Forwarded-Proto and -Host from trusted proxies only.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.Config.TrustedProxies,
		CaseSensitive:           true,
	})
	app.Server().HeaderReceived = bodyLimits(d.Config.BodyLimit)

	if d.Config.HTTPS() {
		app.Use(func(c *fiber.Ctx) error {
			strictTransport(c)
			return c.Next()
		})
	}
	app.Use(clientAddress(d.Config.TrustedProxies))
	app.Use(securitylog.Middleware(d.Log))
	app.Use(d.Metrics.Middleware)
	if d.Config.LogRequests {
		app.Use(accessLog(d.Log))
	}
	app.Use(strictRequest)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		d.Log.Error("panic", "path", c.Path(), "panic", e)
	}}))
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "same-origin",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), interest-cohort=()",
		HSTSMaxAge:            31536000,
	}))
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed, Next: func(c *fiber.Ctx) bool {
		// Streams and sockets are flushed as they go; never buffer them.
		p := c.Path()
		return strings.HasSuffix(p, "/export") || p == "/api/v1/live"
	}}))
	// Static files are the same for everyone: they vary on nothing but
	// the encoding, and carry a validator.
	app.Use("/static", etag.New(etag.Config{Weak: true}),
		filesystem.New(filesystem.Config{Root: http.FS(d.Static), PathPrefix: "static", MaxAge: 3600}))
	app.Use(negotiateLocale(d.Catalog))

	public := audiencesOf(app).public
	public.Get(healthPath, health)
	public.Get(readyPath, ready(d.Store))
	public.Get(metricsPath, metricsToken(d.Config.MetricsToken), d.Metrics.Handler())

	app.Use(d.Accounts.Authenticate)
	app.Use(privateToMembers)
	// A reset link is its own authority, like a password.
	app.Use(accounts.CheckCSRF("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/login/2fa",
		"/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm",
		// An unsubscribe link too, posted by mail programs (RFC 8058), and
		// a link that confirms an address.
		"/unsubscribe", "/api/v1/auth/verify", "/verify", "/api/v1/auth/invitation", "/api/v1/auth/code"))
	app.Use(access.RefuseBlockedWrites)
	app.Use(access.HoldForPasswordChange)

	limits := newRateLimits(d.Config.RateLimits)
	mountAPI(app.Group("/api/v1"), d, limits)
	mountPages(app, d, limits)
	mountAdmin(app, d, limits)
	mountSecurity(app, d, limits)
	mountPasswordReset(app, d, limits)
	app.Use(notFound(app))
	return app
}

// negotiateLocale picks the request's language; a ?lang= on a page is
// remembered in the lang cookie so the choice sticks.
func negotiateLocale(catalog *locale.Catalog) fiber.Handler {
	return func(c *fiber.Ctx) error {
		query := c.Query("lang")
		l := catalog.Negotiate(query, c.Cookies("lang"), c.Get(fiber.HeaderAcceptLanguage))
		locale.Set(c, l)
		if query != "" && l.Lang.Code == strings.ToLower(query) && !accounts.IsAPI(c) && c.Cookies("lang") != l.Lang.Code {
			c.Cookie(&fiber.Cookie{Name: "lang", Value: l.Lang.Code, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode})
		}
		c.Set(fiber.HeaderContentLanguage, l.Lang.Code)
		c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
		return c.Next()
	}
}

// accessLog writes one line per request with the path only: a query can
// carry a token (the live endpoint's ?token=) and must never be logged.
func accessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		var p *problem.Problem
		if errors.As(err, &p) {
			status = p.Status
		}
		log.Info("request", "method", c.Method(), "path", c.Path(), "status", status, "ms", time.Since(start).Milliseconds(), "ip", access.ClientIP(c))
		return err
	}
}

type errorHandler struct {
	pages   *pages.Renderer
	catalog *locale.Catalog
	log     *slog.Logger
	// https sends HSTS with every answer, errors fasthttp answers included.
	https bool
}

type problemJSON struct {
	Type   string      `json:"type"`
	Title  string      `json:"title"`
	Status int         `json:"status"`
	Detail string      `json:"detail"`
	Errors []fieldJSON `json:"errors,omitempty"`
	Code   string      `json:"code,omitempty"`
}

type fieldJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// asProblem maps any error to a problem; unknown errors become a 500 whose
// cause stays in the log. A database that does not answer is 503, also
// when a handler wrapped the error as a 500.
func asProblem(c *fiber.Ctx, err error) *problem.Problem {
	var p *problem.Problem
	if errors.As(err, &p) && p.Status < 500 {
		return p
	}
	if store.IsUnavailable(err) {
		return &problem.Problem{Status: fiber.StatusServiceUnavailable, DetailKey: "error.unavailable", RetryAfter: retryUnavailable}
	}
	if p != nil {
		return p
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return problem.NotFound()
		case fiber.StatusRequestEntityTooLarge:
			if !identity(c.Request().Header.Peek(fiber.HeaderContentEncoding)) {
				return unsupportedEncoding()
			}
			return problem.TooLarge()
		case fiber.StatusRequestHeaderFieldsTooLarge:
			// The head did not fit the read buffer (see readBuffer).
			return problem.New(fe.Code, "error.header_too_large")
		case fiber.StatusMethodNotAllowed:
			return problem.New(fe.Code, "error.method")
		case fiber.StatusRequestTimeout:
			return problem.New(fe.Code, "error.timeout")
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return problem.BadRequest("error.bad_request")
		}
	}
	return problem.Internal(err)
}

// retryUnavailable is the Retry-After of a 503: a database restart
// usually takes a few seconds.
const retryUnavailable = 5 * time.Second

// handle answers a failed request: it logs the failure, then sends a
// problem document to API clients and an error page to browsers.
func (h *errorHandler) handle(c *fiber.Ctx, err error) error {
	if h.https {
		strictTransport(c)
	}
	p := asProblem(c, err)
	h.record(c, p, err)
	l := locale.From(c)
	if l == nil {
		l = h.catalog.Negotiate(c.Query("lang"), c.Cookies("lang"), c.Get(fiber.HeaderAcceptLanguage))
		locale.Set(c, l)
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(p.RetryAfter.Seconds()+0.999)))
	}
	if accounts.IsAPI(c) || isOperations(c.Path()) {
		return sendProblem(c, p, l)
	}
	if p.Status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return h.errorPage(c, p, l)
}

// record logs server failures and writes the security event a refusal
// carries.
func (h *errorHandler) record(c *fiber.Ctx, p *problem.Problem, err error) {
	switch {
	case p.Status >= 500 && store.IsUnavailable(err):
		h.log.Warn("database unavailable", "method", c.Method(), "path", c.Path(), "err", err)
	case p.Status >= 500:
		h.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if p.Event != "" {
		attrs := []any{"method", c.Method(), "path", c.Path()}
		if p.Code != "" {
			attrs = append(attrs, "code", p.Code)
		}
		securitylog.Event(c, p.Event, attrs...)
	}
}

// sendProblem answers an API client with application/problem+json.
func sendProblem(c *fiber.Ctx, p *problem.Problem, l *locale.Localizer) error {
	out := problemJSON{Type: p.Type, Title: http.StatusText(p.Status), Status: p.Status, Detail: l.T(p.DetailKey, p.DetailArgs)}
	if out.Type == "" {
		out.Type = "about:blank"
	}
	for _, fe := range p.Errors {
		out.Errors = append(out.Errors, fieldJSON{Field: fe.Field, Message: l.T(fe.Key, fe.Args)})
	}
	out.Code = p.Code
	c.Set(fiber.HeaderContentType, "application/problem+json")
	var doc any = out
	if len(p.Members) > 0 {
		// Extension members sit beside the standard ones (RFC 9457 §3.2).
		m := map[string]any{}
		for k, v := range p.Members {
			m[k] = v
		}
		std, _ := json.Marshal(out)
		_ = json.Unmarshal(std, &m)
		doc = m
	}
	body, encErr := c.App().Config().JSONEncoder(doc)
	if encErr != nil {
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
	return c.Status(p.Status).Send(body)
}

// errorPage answers a browser with the error page in the reader's language.
func (h *errorHandler) errorPage(c *fiber.Ctx, p *problem.Problem, l *locale.Localizer) error {
	args := p.DetailArgs
	if viewer := access.From(c); p.Code == problem.CodeBlocked && viewer.BlockedUntil != nil {
		// A page shows the end of the block in the reader's language and
		// the city's time, as its banner does.
		args = map[string]any{"Until": l.DateTime(*viewer.BlockedUntil), "Reason": viewer.BlockReason}
	}
	v := h.pages.NewView(c, l.T("error.page_title", map[string]any{"Status": p.Status}))
	v.Data = map[string]any{"Status": p.Status, "Detail": l.T(p.DetailKey, args)}
	if renderErr := h.pages.Render(c, p.Status, "error", v); renderErr != nil {
		h.log.Error("rendering the error page failed", "err", renderErr)
		return c.Status(p.Status).SendString(http.StatusText(p.Status))
	}
	return nil
}
