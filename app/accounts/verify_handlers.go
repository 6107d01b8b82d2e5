package accounts

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
)

type verifyBody struct {
	Token string `json:"token"`
}

// APIVerify is POST /api/v1/auth/verify {token}: 204, or 400 for a used,
// expired or unknown link. No session is needed.
func (h *Handlers) APIVerify(c *fiber.Ctx, b *verifyBody) error {
	if err := h.svc.VerifyEmail(c.UserContext(), b.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIResendVerification is POST /api/v1/auth/verify/resend: 202.
func (h *Handlers) APIResendVerification(c *fiber.Ctx) error {
	if err := h.svc.ResendVerification(c.UserContext(), access.From(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}

// VerifyPage is GET /verify?token=…: a button that confirms. Opening the
// link confirms nothing, since mail scanners open links.
func (h *Handlers) VerifyPage(c *fiber.Ctx) error {
	v := h.pages.NewView(c, locale.From(c).T("verify.title"))
	v.Form = map[string]string{"token": strings.Clone(c.Query("token"))}
	return h.pages.Render(c, fiber.StatusOK, "verify", v)
}

// VerifySubmit is POST /verify, the page's button.
func (h *Handlers) VerifySubmit(c *fiber.Ctx) error {
	if err := h.svc.VerifyEmail(c.UserContext(), c.FormValue("token")); err != nil {
		v := h.pages.NewView(c, locale.From(c).T("verify.title"))
		v.SetFormErrors(err, map[string]string{})
		return h.pages.Render(c, fiber.StatusBadRequest, "verify", v)
	}
	pages.Flash(c, "ok", "flash.email_verified")
	if access.From(c).SignedIn() {
		return pages.Redirect(c, "/")
	}
	return pages.Redirect(c, "/login")
}

// ResendVerificationSubmit is POST /me/verify/resend, the banner's button.
func (h *Handlers) ResendVerificationSubmit(c *fiber.Ctx) error {
	if err := h.svc.ResendVerification(c.UserContext(), access.From(c)); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.verification_sent")
	return pages.Redirect(c, "/me")
}
