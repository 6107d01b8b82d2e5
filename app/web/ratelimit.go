package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// rateLimits holds the per-IP limits on signing in and registering and the
// per-account limits on writes. One limiter serves both the API route and
// the form route, so switching between them does not double the allowance.
type rateLimits struct {
	login    fiber.Handler
	register fiber.Handler
	// Reset mails, per client address and per e-mail address
	// (ratelimit_reset.go).
	resetByAddress, resetByEmail fiber.Handler
	// Per account, stricter for accounts younger than a day.
	votes    fiber.Handler
	comments fiber.Handler
	ideas    fiber.Handler
	reports  fiber.Handler
}

// The limits (the README lists them).
const (
	loginPerMinute        = 10
	registrationsPer10Min = 5
	newAccountAge         = 24 * time.Hour
)

// accountLimit is a per-account allowance per window, with a smaller one
// for accounts younger than newAccountAge.
type accountLimit struct {
	established, young int
	window             time.Duration
}

var (
	voteLimit    = accountLimit{established: 60, young: 20, window: time.Minute}
	commentLimit = accountLimit{established: 10, young: 3, window: 10 * time.Minute}
	ideaLimit    = accountLimit{established: 5, young: 2, window: time.Hour}
	reportLimit  = accountLimit{established: 20, young: 5, window: time.Hour}
)

func newRateLimits(on bool) *rateLimits {
	if !on {
		pass := func(c *fiber.Ctx) error { return c.Next() }
		return &rateLimits{login: pass, register: pass, resetByAddress: pass, resetByEmail: pass, votes: pass, comments: pass, ideas: pass, reports: pass}
	}
	return &rateLimits{
		login:          perIP("sign_in", loginPerMinute, time.Minute),
		register:       perIP("registration", registrationsPer10Min, 10*time.Minute),
		resetByAddress: perIP("password_reset", resetsPerAddressHour, time.Hour),
		resetByEmail:   perEmail("password_reset", resetsPerEmailHour, time.Hour),
		votes:          perAccount(voteLimit),
		comments:       perAccount(commentLimit),
		ideas:          perAccount(ideaLimit),
		reports:        perAccount(reportLimit),
	}
}

// perAccount limits signed-in people by account; anonymous requests pass
// on to the handler, which refuses them with 401.
func perAccount(l accountLimit) fiber.Handler {
	byAccount := func(c *fiber.Ctx) string { return strconv.FormatInt(access.From(c).UserID, 10) }
	established := limiter.New(limiter.Config{Max: l.established, Expiration: l.window, KeyGenerator: byAccount, LimitReached: limitReached(l.window, "")})
	young := limiter.New(limiter.Config{Max: l.young, Expiration: l.window, KeyGenerator: byAccount, LimitReached: limitReached(l.window, "")})
	return func(c *fiber.Ctx) error {
		v := access.From(c)
		switch {
		case !v.SignedIn():
			return c.Next()
		case time.Since(v.CreatedAt) < newAccountAge:
			return young(c)
		}
		return established(c)
	}
}

// perIP limits by client address; name says which limit in the security
// event a refusal logs.
func perIP(name string, max int, window time.Duration) fiber.Handler {
	return limiter.New(limiter.Config{Max: max, Expiration: window, KeyGenerator: access.ClientIP, LimitReached: limitReached(window, name)})
}

// limitReached answers 429 with the limiter's Retry-After. A sign-in or
// registration limit (event names it) is a security event.
func limitReached(window time.Duration, event string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		secs, err := strconv.Atoi(c.GetRespHeader(fiber.HeaderRetryAfter))
		if err != nil || secs < 1 {
			secs = int(window.Seconds())
		}
		if event != "" {
			securitylog.Event(c, securitylog.RateLimited, "limit", event)
		}
		return problem.TooMany(time.Duration(secs) * time.Second)
	}
}
