package accounts

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// deviceCookie marks a browser that signed in to an account before: it
// passes that account's sign-in throttle, so nobody can lock the owner out.
const deviceCookie = "mitreden_device"

// signIn is the one way the API and the form sign in: the per-account
// throttle, the credentials, the device cookie and the security events.
func (h *Handlers) signIn(c *fiber.Ctx, email, password string) (*User, *Session, error) {
	if err := h.throttle(c, email); err != nil {
		return nil, nil, err
	}
	u, s, err := h.svc.Login(c.UserContext(), email, password, h.clientOf(c))
	if errors.Is(err, ErrBadCredentials) {
		if ferr := h.signInFailed(c, email); ferr != nil {
			return nil, nil, ferr
		}
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	if s.Challenge == "" {
		// With a second factor, the sign-in happens at its step.
		h.signedIn(c, u.ID)
	}
	return u, s, nil
}

// signedIn logs a completed sign-in and marks the browser as the
// account's device.
func (h *Handlers) signedIn(c *fiber.Ctx, userID int64, attrs ...any) {
	securitylog.Event(c, securitylog.Login, append([]any{"user", userID}, attrs...)...)
	h.setDeviceCookie(c, userID)
}

// throttle refuses a sign-in for an address that failed too often, unless
// the browser signed in to that account before (with rate limits off, as
// in load tests, it lets everything pass).
func (h *Handlers) throttle(c *fiber.Ctx, email string) error {
	if !h.opts.ThrottleSignIns {
		return nil
	}
	ctx := c.UserContext()
	wait, err := h.svc.signInLocked(ctx, email)
	if err != nil || wait == 0 {
		return err
	}
	owner, _ := h.svc.IDByEmail(ctx, email)
	if owner != 0 && h.svc.deviceOwner(c.Cookies(deviceCookie)) == owner {
		return nil
	}
	attrs := []any{"limit", "account"}
	if owner != 0 {
		attrs = append(attrs, "user", owner)
	}
	securitylog.Event(c, securitylog.RateLimited, attrs...)
	p := problem.TooMany(wait)
	p.DetailKey = "error.sign_in_throttled"
	return p
}

// signInFailed counts a failure for the throttle and logs it, with the
// account when the address has one.
func (h *Handlers) signInFailed(c *fiber.Ctx, email string) error {
	ctx := c.UserContext()
	if h.opts.ThrottleSignIns {
		if err := h.svc.recordSignInFailure(ctx, email); err != nil {
			return err
		}
	}
	if id, err := h.svc.IDByEmail(ctx, email); err == nil {
		securitylog.Event(c, securitylog.LoginFailed, "user", id)
	} else {
		securitylog.Event(c, securitylog.LoginFailed)
	}
	return nil
}

func (h *Handlers) setDeviceCookie(c *fiber.Ctx, userID int64) {
	token := h.svc.deviceToken(userID)
	if token == "" {
		return
	}
	c.Cookie(&fiber.Cookie{
		Name: deviceCookie, Value: token, Path: "/", Expires: time.Now().Add(365 * 24 * time.Hour),
		HTTPOnly: true, Secure: h.secure(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}
