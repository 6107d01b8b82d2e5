package site

import (
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
)

// Paths of the logo uploads, whose body limit is the logo's rather than
// the API's (see web.bodyLimits).
const (
	APILogoPath  = "/api/v1/site/logo"
	FormLogoPath = "/admin/site/logo"
)

// FormSlack is what a multipart form adds around the logo: the boundary,
// the part's head and the CSRF field.
const FormSlack = 16 << 10

// Handlers serve the identity's API, the logo and the theme stylesheet.
type Handlers struct{ svc *Service }

// NewHandlers wires the handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

type identityJSON struct {
	Name        string  `json:"name"`
	AccentColor string  `json:"accent_color"`
	LogoURL     *string `json:"logo_url"`
}

func identityOut(id *Identity) identityJSON {
	out := identityJSON{Name: id.Name, AccentColor: id.Accent}
	if u := id.LogoURL(); u != "" {
		out.LogoURL = &u
	}
	return out
}

// APIGet is GET /api/v1/site.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	id, err := h.svc.Get(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(identityOut(id))
}

type identityBody struct {
	Name        string `json:"name"`
	AccentColor string `json:"accent_color"`
}

// APIPut is PUT /api/v1/site (admin): {"name","accent_color"}.
func (h *Handlers) APIPut(c *fiber.Ctx, b *identityBody) error {
	id, err := h.svc.Set(c.UserContext(), access.From(c).UserID, b.Name, b.AccentColor)
	if err != nil {
		return err
	}
	return c.JSON(identityOut(id))
}

// APIPutLogo is PUT /api/v1/site/logo (admin): the image itself as the
// body, typed image/png or image/svg+xml.
func (h *Handlers) APIPutLogo(c *fiber.Ctx) error {
	id, err := h.svc.SetLogo(c.UserContext(), access.From(c).UserID, MediaType(c.Get(fiber.HeaderContentType)), c.Body())
	if err != nil {
		return err
	}
	return c.JSON(identityOut(id))
}

// APIDeleteLogo is DELETE /api/v1/site/logo (admin).
func (h *Handlers) APIDeleteLogo(c *fiber.Ctx) error {
	id, err := h.svc.RemoveLogo(c.UserContext(), access.From(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(identityOut(id))
}

// MediaType is a Content-Type without its parameters, in lower case; ""
// when it cannot be read.
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// svgPolicy lets a logo opened on its own draw itself and nothing else:
// no scripts, no loads, sandboxed like a foreign page.
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// longCache is for addresses that name their content's version.
const longCache = "public, max-age=31536000, immutable"

// versioned sets the cache headers of an answer whose address carries a
// version: kept long when it names the current one, else checked anew.
func versioned(c *fiber.Ctx, current string) {
	if c.Query("v") == current {
		c.Set(fiber.HeaderCacheControl, longCache)
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
}

// Logo is GET /site/logo.
func (h *Handlers) Logo(c *fiber.Ctx) error {
	id, err := h.svc.Get(c.UserContext())
	if err != nil {
		return err
	}
	if id.LogoHash == "" {
		return problem.NotFound()
	}
	versioned(c, id.LogoHash)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if id.LogoType == SVG {
		c.Set(fiber.HeaderContentSecurityPolicy, svgPolicy)
	}
	c.Set(fiber.HeaderContentType, id.LogoType)
	return c.Send(id.Logo)
}

// Theme is GET /site/theme.css: the accent colour as the custom
// properties site.css uses. The pages' policy forbids inline styles, so
// the colour comes as a stylesheet of its own.
func (h *Handlers) Theme(c *fiber.Ctx) error {
	id, err := h.svc.Get(c.UserContext())
	if err != nil {
		return err
	}
	versioned(c, strings.TrimPrefix(id.Accent, "#"))
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return c.SendString(":root{--accent:" + id.Accent + ";--accent-dark:" + id.AccentDark() + "}\n")
}
