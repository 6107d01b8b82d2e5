package web

import "github.com/gofiber/fiber/v2"

// hstsValue is what helmet sends over TLS, too.
const hstsValue = "max-age=31536000; includeSubDomains"

// strictTransport tells browsers to come back over TLS only. Behind a
// TLS proxy (MITREDEN_PUBLIC_URL https://) every answer carries it,
// whatever the proxy says about the request.
func strictTransport(c *fiber.Ctx) {
	c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
}
