package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// privateToMembers keeps every answer to a signed-in request out of
// caches (Cache-Control: no-store): it may carry personal data (/me, a
// vote, a page with the reader's name), and one rule for all such answers
// cannot miss one. It is set after the handler, so that no handler or
// kept page overrides it.
func privateToMembers(c *fiber.Ctx) error {
	err := c.Next()
	if access.From(c).SignedIn() {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return err
}

// noStore keeps an answer out of caches whoever asks: measures and ideas
// carry the reader's vote (my_vote), also when the reader is anonymous.
func noStore(c *fiber.Ctx) error {
	err := c.Next()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return err
}
