package accounts

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// ProfileSubmit is POST /me/profile, the form for name and language.
func (h *Handlers) ProfileSubmit(c *fiber.Ctx) error {
	name, lang := c.FormValue("display_name"), c.FormValue("locale")
	_, err := h.svc.ChangeOwn(c.UserContext(), access.From(c), OwnChange{DisplayName: &name, Locale: &lang})
	return h.afterOwnChange(c, err, "flash.profile_saved")
}

// EmailSubmit is POST /me/email, the form for a new address.
func (h *Handlers) EmailSubmit(c *fiber.Ctx) error {
	err := h.svc.ChangeEmail(c.UserContext(), access.From(c), c.FormValue("email"), c.FormValue("email_password"))
	if errors.Is(err, ErrWrongPassword) {
		// The page's password form has its own current_password field.
		err = problem.Invalid(problem.Field("email_password", "error.current_password"))
	}
	return h.afterOwnChange(c, err, "flash.email_change_sent")
}

// afterOwnChange goes back to /me with a message, or shows it again with
// the form's errors.
func (h *Handlers) afterOwnChange(c *fiber.Ctx, err error, flash string) error {
	if err == nil {
		pages.Flash(c, "ok", flash)
		return pages.Redirect(c, "/me")
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		return err
	}
	return h.renderMe(c, p.Status, err)
}
