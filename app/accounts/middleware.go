package accounts

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
	"github.com/mitreden/mitreden/app/store"
)

// Cookie names. Behind TLS (HandlerOptions.BehindTLS) they carry the __Host-
// prefix: the browser then keeps them only when they are Secure, for
// Path=/ and without Domain, so neither a plain-HTTP answer nor a sibling
// domain can set or replace them.
const (
	SessionCookie = "mitreden_session"
	// formCookie carries the CSRF token for forms of visitors who are not
	// signed in (sign-in and registration): a double-submit token.
	formCookie = "mitreden_csrf"
	hostPrefix = "__Host-"
)

// SessionCookieName is the session cookie's name, behind TLS or not.
func SessionCookieName(behindTLS bool) string {
	if behindTLS {
		return hostPrefix + SessionCookie
	}
	return SessionCookie
}

func (h *Handlers) sessionCookie() string { return SessionCookieName(h.opts.BehindTLS) }

func (h *Handlers) formCookie() string {
	if h.opts.BehindTLS {
		return hostPrefix + formCookie
	}
	return formCookie
}

// IsAPI reports whether a request is for the JSON API.
func IsAPI(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/")
}

// bearer returns the token of an Authorization: Bearer header. The live
// endpoint also takes ?token=, because browsers cannot set headers on a
// WebSocket; that query never reaches a log line.
func bearer(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c.Path() == "/api/v1/live" {
		return c.Query("token")
	}
	return ""
}

// Authenticate turns the request's Bearer token or session cookie into the
// access.Viewer every handler reads. An invalid Bearer token is refused
// with 401; a stale cookie is dropped and the visitor is anonymous.
func (h *Handlers) Authenticate(c *fiber.Ctx) error {
	if token := bearer(c); token != "" {
		v, err := h.svc.Authenticate(c.UserContext(), token)
		if err != nil {
			return problem.Internal(err)
		}
		if v == nil {
			return &problem.Problem{Status: fiber.StatusUnauthorized, DetailKey: "error.token_invalid"}
		}
		v.ViaBearer = true
		access.Set(c, v)
		return c.Next()
	}
	if token := c.Cookies(h.sessionCookie()); token != "" {
		v, err := h.svc.Authenticate(c.UserContext(), token)
		if err != nil {
			return problem.Internal(err)
		}
		if v != nil {
			access.Set(c, v)
			return c.Next()
		}
		h.clearSessionCookie(c)
	}
	anon := &access.Viewer{}
	if !IsAPI(c) {
		anon.CSRFToken = h.formToken(c)
	}
	access.Set(c, anon)
	return c.Next()
}

// formToken returns the visitor's form CSRF token, creating it on page views.
func (h *Handlers) formToken(c *fiber.Ctx) string {
	if t := c.Cookies(h.formCookie()); len(t) == 43 {
		return strings.Clone(t)
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return ""
	}
	t := randomToken()
	c.Cookie(&fiber.Cookie{Name: h.formCookie(), Value: t, Path: "/", HTTPOnly: true, Secure: h.secure(c), SameSite: fiber.CookieSameSiteLaxMode})
	return t
}

// CheckCSRF refuses a cookie-authenticated write that does not carry the
// session's CSRF token (X-CSRF-Token header or _csrf form field), and an
// anonymous form post without the form token. Bearer requests need none:
// a browser never adds that header on its own. exempt paths start a new
// session (sign-in, registration) and have no authority to forge.
func CheckCSRF(exempt ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		v := access.From(c)
		if v.ViaBearer || (!v.SignedIn() && IsAPI(c)) {
			return c.Next()
		}
		for _, p := range exempt {
			if c.Path() == p {
				return c.Next()
			}
		}
		sent := c.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if v.CSRFToken == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(v.CSRFToken)) != 1 {
			securitylog.Event(c, securitylog.CSRFRefused, "path", c.Path())
			return problem.New(fiber.StatusForbidden, "error.csrf")
		}
		return c.Next()
	}
}

// secure: behind TLS always; otherwise when the request really came over
// TLS (Fiber believes X-Forwarded-Proto from trusted proxies only).
func (h *Handlers) secure(c *fiber.Ctx) bool { return h.opts.BehindTLS || secure(c) }

func secure(c *fiber.Ctx) bool { return c.Protocol() == "https" }

func (h *Handlers) setSessionCookie(c *fiber.Ctx, s *Session) {
	c.Cookie(&fiber.Cookie{
		Name: h.sessionCookie(), Value: s.Token, Path: "/", Expires: s.ExpiresAt,
		HTTPOnly: true, Secure: h.secure(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (h *Handlers) clearSessionCookie(c *fiber.Ctx) { ClearSessionCookie(c) }

// ClearSessionCookie tells the browser to forget its session cookie, under
// either name (a __Host- cookie is only ever Secure).
func ClearSessionCookie(c *fiber.Ctx) {
	gone := time.Unix(0, 0)
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Expires: gone, MaxAge: -1, HTTPOnly: true, Secure: secure(c), SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: hostPrefix + SessionCookie, Value: "", Path: "/", Expires: gone, MaxAge: -1, HTTPOnly: true, Secure: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// EndSession ends one session by id.
func (s *Service) EndSession(ctx context.Context, sessionID int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.NewDelete().Model((*session)(nil)).Where("id = ?", sessionID).Exec(ctx); err != nil {
			return err
		}
		return Changed(ctx, tx)
	})
}
