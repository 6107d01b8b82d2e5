// Package securitylog writes security events: one log line each, with
// the event's name, the account and the client address where known, so
// that an operator can follow sign-ins, refusals and account changes
// (CONTRACT.md, "Security events"). A password, token or code never
// reaches it: callers pass ids and names only.
package securitylog

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// The events (CONTRACT.md).
const (
	Login           = "auth.login"
	LoginFailed     = "auth.login_failed"
	Logout          = "auth.logout"
	RateLimited     = "auth.rate_limited"
	PasswordChanged = "auth.password_changed"
	PasswordReset   = "auth.password_reset"
	TwoFactorOn     = "auth.2fa_enabled"
	TwoFactorOff    = "auth.2fa_disabled"
	TwoFactorFailed = "auth.2fa_failed"
	CSRFRefused     = "csrf.refused"
	AccessRefused   = access.RefusedEvent
	RoleChanged     = "account.role_changed"
	Blocked         = "account.blocked"
	Unblocked       = "account.unblocked"
	SessionRevoked  = "session.revoked"
)

const localsKey = "mitreden.securitylog"

// Middleware makes log the request's security log.
func Middleware(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(localsKey, log)
		return c.Next()
	}
}

// Event logs a security event of the request: the signed-in account (or,
// when attrs name one with "user", that one) and the client address are
// added. attrs are further key-value pairs, never a secret.
func Event(c *fiber.Ctx, name string, attrs ...any) {
	log, ok := c.Locals(localsKey).(*slog.Logger)
	if !ok {
		return
	}
	args := []any{"event", name}
	if !hasKey(attrs, "user") {
		if v := access.From(c); v.SignedIn() {
			args = append(args, "user", v.UserID)
		}
	}
	args = append(args, attrs...)
	args = append(args, "ip", access.ClientIP(c))
	log.Info("security", args...)
}

// Write logs a security event outside a request (the command line).
func Write(log *slog.Logger, name string, attrs ...any) {
	log.Info("security", append([]any{"event", name}, attrs...)...)
}

func hasKey(attrs []any, key string) bool {
	for i := 0; i+1 < len(attrs); i += 2 {
		if k, ok := attrs[i].(string); ok && k == key {
			return true
		}
	}
	return false
}
