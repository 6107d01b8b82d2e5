package pages

import (
	"html"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// A confirmation at the top of a long page is shown far above where the
// person acted: after a vote or a comment nothing seemed to happen. So a
// flash can name a place on the page (an element id, the redirect's
// fragment) and is then shown there instead, focusable so that the
// script can move focus to it and screen readers announce it.

// FlashAt is Flash shown next to the element with id place on the next
// page (see View.FlashHere); a place that is not a plain id is dropped.
func FlashAt(c *fiber.Ctx, kind, key, place string) {
	if !plainID(place) {
		Flash(c, kind, key)
		return
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: kind + ":" + key + "@" + place, Path: "/", MaxAge: 60, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// RedirectFlash leaves the flash at the fragment of to (at the top
// without one) and redirects there.
func RedirectFlash(c *fiber.Ctx, kind, key, to string) error {
	_, place, _ := strings.Cut(to, "#")
	FlashAt(c, kind, key, place)
	return Redirect(c, to)
}

// plainID accepts the ids the pages use for places: letters, digits, '-'.
func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// FlashTop reports whether the flash belongs at the top of the page.
func (v *View) FlashTop() bool { return v.Flash != "" && v.FlashPlace == "" }

// MoveFlash shows a placed flash at another place, for a page that does
// not show the place it was left for (a comment on a later page).
func (v *View) MoveFlash(place string) { v.FlashPlace = place }

// FlashHere is the flash when it was left for place, else "".
func (v *View) FlashHere(place string) template.HTML {
	if v.Flash == "" || v.FlashPlace != place {
		return ""
	}
	return template.HTML(`<div class="flash flash-` + html.EscapeString(v.FlashKind) + `" role="status" tabindex="-1" data-flash-here>` + html.EscapeString(v.Flash) + `</div>`)
}
