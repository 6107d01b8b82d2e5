// Package openapi serves the OpenAPI 3.1 description of the JSON API
// (/api/v1/openapi.json). The document is written by hand in
// openapi.json; the package's tests keep it true: every route of the API
// has its operation and every operation its route, and the answers of a
// journey through the API validate against it. docs/api.html is rendered
// from it (go test ./app/openapi -run TestRendering -update).
package openapi

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// Document is the OpenAPI document, as served.
//
//go:embed openapi.json
var Document []byte

// Serve answers GET /api/v1/openapi.json. The document changes only with
// a new release: caches may keep it for an hour.
func Serve(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(Document)
}
