package web

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/mitreden/mitreden/app/accounts"
)

// Password reset mails (the README lists them): per client address, and
// per e-mail address whatever the client, so that nobody floods one
// person's mailbox from many addresses. Unknown addresses count the same,
// so the limit tells nothing about which addresses have accounts.
const (
	resetsPerAddressHour = 10
	resetsPerEmailHour   = 3
)

// perEmail limits by the e-mail address a request names, in a JSON body
// or a form; event names the limit in the security event a refusal logs.
func perEmail(event string, max int, window time.Duration) fiber.Handler {
	return limiter.New(limiter.Config{Max: max, Expiration: window, KeyGenerator: emailOf, LimitReached: limitReached(window, event)})
}

// emailOf is the normalised address a request names. The limiter keeps
// it beyond the request, so it never points into Fiber's buffers. A body
// that names none shares one key: the handler refuses it anyway.
func emailOf(c *fiber.Ctx) string {
	var email string
	if accounts.IsAPI(c) {
		var b struct {
			Email string `json:"email"`
		}
		_ = json.Unmarshal(c.Body(), &b) // the handler decodes strictly
		email = b.Email
	} else {
		email = strings.Clone(c.FormValue("email"))
	}
	return "email:" + accounts.NormalizeEmail(email)
}
