package pages

import "github.com/gofiber/fiber/v2"

// Identity is what the layout shows of the site's identity (package
// site): its name in the header and every title, the logo beside it and
// the stylesheet with the accent colour.
type Identity struct {
	Name string
	// LogoURL is "" without a logo.
	LogoURL  string
	ThemeURL string
}

// defaultIdentity is shown when no identity is wired (tests of the
// renderer alone) or it cannot be read: a page is not refused for its
// header.
var defaultIdentity = Identity{Name: "mitreden"}

// identity answers the site's identity for a page of c.
func (r *Renderer) identity(c *fiber.Ctx) Identity {
	if r.Identity == nil {
		return defaultIdentity
	}
	id, err := r.Identity(c.UserContext())
	if err != nil {
		return defaultIdentity
	}
	return id
}

// Site is the site's identity, for the layout.
func (v *View) Site() Identity { return v.site }
