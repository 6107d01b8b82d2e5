package accounts

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

type resetRequestBody struct {
	Email string `json:"email"`
}

type resetConfirmBody struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

// APIPasswordReset is POST /api/v1/auth/password-reset: 202 whether or
// not the address has an account.
func (h *Handlers) APIPasswordReset(c *fiber.Ctx, b *resetRequestBody) error {
	if err := h.requestReset(c, b.Email); err != nil {
		return err
	}
	c.Status(fiber.StatusAccepted) // no body: there is nothing to tell
	return nil
}

// requestReset asks for a reset link and logs the request (with the
// account only when there is one: the log is the operator's).
func (h *Handlers) requestReset(c *fiber.Ctx, email string) error {
	id, err := h.svc.RequestPasswordReset(c.UserContext(), email)
	if err != nil {
		return err
	}
	attrs := []any{"step", "requested"}
	if id != 0 {
		attrs = append(attrs, "user", id)
	}
	securitylog.Event(c, securitylog.PasswordReset, attrs...)
	return nil
}

// APIPasswordResetConfirm is POST /api/v1/auth/password-reset/confirm.
func (h *Handlers) APIPasswordResetConfirm(c *fiber.Ctx, b *resetConfirmBody) error {
	if err := h.confirmReset(c, b.Token, b.NewPassword); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) confirmReset(c *fiber.Ctx, token, password string) error {
	id, err := h.svc.ConfirmPasswordReset(c.UserContext(), token, password)
	if err != nil {
		return err
	}
	securitylog.Event(c, securitylog.PasswordReset, "step", "completed", "user", id)
	// A browser's session of the account ended with the others.
	h.clearSessionCookie(c)
	return nil
}

// resetPage is what password-reset.html shows.
type resetPage struct {
	// Step is "request" (the address form), "sent", "choose" (the new
	// password form) or "invalid" (a used or expired link).
	Step string
}

// PasswordResetPage is GET /password-reset: the address form, or with
// ?token= the new-password form. Opening the link uses nothing up.
func (h *Handlers) PasswordResetPage(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	if token == "" {
		return h.renderReset(c, fiber.StatusOK, "request", nil, map[string]string{})
	}
	err := h.svc.CheckResetToken(c.UserContext(), token)
	if errors.Is(err, ErrResetToken) {
		return h.renderReset(c, fiber.StatusBadRequest, "invalid", nil, nil)
	}
	if err != nil {
		return err
	}
	return h.renderReset(c, fiber.StatusOK, "choose", nil, map[string]string{"token": token})
}

// PasswordResetSubmit is POST /password-reset, the address form.
func (h *Handlers) PasswordResetSubmit(c *fiber.Ctx) error {
	form := formOf(c, "email")
	err := h.requestReset(c, form["email"])
	var p *problem.Problem
	switch {
	case err == nil:
		return h.renderReset(c, fiber.StatusOK, "sent", nil, nil)
	case errors.As(err, &p):
		return h.renderReset(c, p.Status, "request", err, form)
	}
	return err
}

// PasswordResetConfirmSubmit is POST /password-reset/confirm, the
// new-password form.
func (h *Handlers) PasswordResetConfirmSubmit(c *fiber.Ctx) error {
	form := formOf(c, "token")
	next := c.FormValue("new_password")
	var err error = problem.Invalid(problem.Field("new_password_confirm", "error.password_mismatch"))
	if next == c.FormValue("new_password_confirm") {
		err = h.confirmReset(c, form["token"], next)
	}
	var p *problem.Problem
	switch {
	case err == nil:
		pages.Flash(c, "ok", "flash.password_reset")
		return pages.Redirect(c, "/login")
	case errors.Is(err, ErrResetToken):
		return h.renderReset(c, fiber.StatusBadRequest, "invalid", nil, nil)
	case errors.As(err, &p):
		return h.renderReset(c, p.Status, "choose", err, form)
	}
	return err
}

func (h *Handlers) renderReset(c *fiber.Ctx, status int, step string, formErr error, form map[string]string) error {
	title := "reset.title"
	if step == "choose" {
		title = "reset.choose_title"
	}
	v := h.pages.NewView(c, locale.From(c).T(title))
	v.Form = form
	if formErr != nil {
		v.SetFormErrors(formErr, form)
	}
	v.Data = resetPage{Step: step}
	if err := h.pages.Render(c, status, "password-reset", v); err != nil {
		return err
	}
	// The page may carry a token: no cache is to keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return nil
}
