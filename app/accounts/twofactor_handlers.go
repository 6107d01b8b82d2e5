package accounts

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// noStore keeps secrets, codes and tokens out of every cache.
func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "no-store") }

// apiChallenge answers a right password of an account with a second
// factor: no session yet, the challenge for POST /auth/login/2fa.
func apiChallenge(c *fiber.Ctx, s *Session) error {
	noStore(c)
	return c.JSON(fiber.Map{"two_factor_required": true, "challenge": s.Challenge})
}

type twoFactorLoginBody struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

// APILoginTwoFactor is POST /api/v1/auth/login/2fa.
func (h *Handlers) APILoginTwoFactor(c *fiber.Ctx, b *twoFactorLoginBody) error {
	u, s, err := h.loginTwoFactor(c, b.Challenge, b.Code)
	if err != nil {
		return err
	}
	return h.answerSession(c, fiber.StatusOK, u, s)
}

// loginTwoFactor finishes a sign-in and logs how it went.
func (h *Handlers) loginTwoFactor(c *fiber.Ctx, challenge, code string) (*User, *Session, error) {
	u, s, err := h.svc.LoginTwoFactor(c.UserContext(), challenge, code, h.clientOf(c))
	if errors.Is(err, ErrWrongLoginCode) {
		securitylog.Event(c, securitylog.TwoFactorFailed, "user", u.ID)
	}
	if err != nil {
		return nil, nil, err
	}
	h.signedIn(c, u.ID, "second_factor", true)
	return u, s, nil
}

// renderChallenge shows the sign-in form's second step: the code.
func (h *Handlers) renderChallenge(c *fiber.Ctx, status int, challenge, next string, err error) error {
	v := h.pages.NewView(c, locale.From(c).T("login.title"))
	form := map[string]string{"challenge": challenge, "next": next}
	v.Form = form
	if err != nil {
		v.SetFormErrors(err, form)
	}
	return h.pages.Render(c, status, "login", v)
}

// LoginTwoFactorSubmit is POST /login/2fa, the sign-in form's second step.
func (h *Handlers) LoginTwoFactorSubmit(c *fiber.Ctx) error {
	challenge := strings.Clone(c.FormValue("challenge"))
	next := pages.SafeNext(c.FormValue("next"), "")
	_, s, err := h.loginTwoFactor(c, challenge, c.FormValue("code"))
	if err != nil {
		var p *problem.Problem
		if !errors.As(err, &p) {
			return err
		}
		if challenge == "" || errors.Is(err, ErrChallenge) {
			// Back to the first step: the password is needed again.
			v := h.pages.NewView(c, locale.From(c).T("login.title"))
			v.SetFormErrors(err, map[string]string{"next": next})
			return h.pages.Render(c, p.Status, "login", v)
		}
		return h.renderChallenge(c, p.Status, challenge, next, err)
	}
	h.setSessionCookie(c, s)
	pages.Flash(c, "ok", "flash.signed_in")
	return pages.Redirect(c, pages.SafeNext(next, "/"))
}

type beginTwoFactorBody struct {
	CurrentPassword string `json:"current_password"`
}

// APIBeginTwoFactor is POST /api/v1/me/2fa.
func (h *Handlers) APIBeginTwoFactor(c *fiber.Ctx, b *beginTwoFactorBody) error {
	setup, err := h.svc.BeginTwoFactor(c.UserContext(), access.From(c).UserID, b.CurrentPassword)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"secret": setup.Secret, "otpauth_url": setup.URL})
}

type confirmTwoFactorBody struct {
	Code string `json:"code"`
}

// APIConfirmTwoFactor is POST /api/v1/me/2fa/confirm.
func (h *Handlers) APIConfirmTwoFactor(c *fiber.Ctx, b *confirmTwoFactorBody) error {
	codes, err := h.confirmTwoFactor(c, b.Code)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"recovery_codes": codes})
}

func (h *Handlers) confirmTwoFactor(c *fiber.Ctx, code string) ([]string, error) {
	codes, err := h.svc.ConfirmTwoFactor(c.UserContext(), access.From(c).UserID, code)
	switch {
	case errors.Is(err, ErrWrongCode):
		securitylog.Event(c, securitylog.TwoFactorFailed)
	case err == nil:
		securitylog.Event(c, securitylog.TwoFactorOn)
	}
	return codes, err
}

type disableTwoFactorBody struct {
	CurrentPassword string `json:"current_password"`
	Code            string `json:"code"`
}

// APIDisableTwoFactor is DELETE /api/v1/me/2fa.
func (h *Handlers) APIDisableTwoFactor(c *fiber.Ctx, b *disableTwoFactorBody) error {
	if err := h.disableTwoFactor(c, b.CurrentPassword, b.Code); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) disableTwoFactor(c *fiber.Ctx, password, code string) error {
	err := h.svc.DisableTwoFactor(c.UserContext(), access.From(c).UserID, password, code)
	switch {
	case errors.Is(err, ErrWrongCode):
		securitylog.Event(c, securitylog.TwoFactorFailed)
	case err == nil:
		securitylog.Event(c, securitylog.TwoFactorOff)
	}
	return err
}

// actOnAccount runs an administrator's action on the account at {id}.
func actOnAccount(c *fiber.Ctx, act func(c *fiber.Ctx, id int64) error) (int64, error) {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return 0, err
	}
	return id, act(c, id)
}

// apiActOnAccount is actOnAccount as the API answers it: 204 once done.
func apiActOnAccount(c *fiber.Ctx, act func(c *fiber.Ctx, id int64) error) error {
	if _, err := actOnAccount(c, act); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIResetTwoFactor is DELETE /api/v1/users/{id}/2fa (admin).
func (h *Handlers) APIResetTwoFactor(c *fiber.Ctx) error { return apiActOnAccount(c, h.ResetTwoFactor) }

// ResetTwoFactor turns off the second factor of account id for the
// signed-in administrator, and logs it when it was on.
func (h *Handlers) ResetTwoFactor(c *fiber.Ctx, id int64) error {
	admin := access.From(c).UserID
	was, err := h.svc.ResetTwoFactor(c.UserContext(), admin, id)
	if err == nil && was {
		securitylog.Event(c, securitylog.TwoFactorOff, "user", id, "actor", admin)
	}
	return err
}

// BeginTwoFactorSubmit is POST /me/2fa: the password, then /me shows the
// QR code and the secret.
func (h *Handlers) BeginTwoFactorSubmit(c *fiber.Ctx) error {
	v := access.From(c)
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	if _, err := h.svc.BeginTwoFactor(c.UserContext(), v.UserID, c.FormValue("current_password")); err != nil {
		return h.meFormError(c, err, map[string]string{"current_password": "twofa_password"})
	}
	return pages.Redirect(c, "/me#two-factor")
}

// ConfirmTwoFactorSubmit is POST /me/2fa/confirm: /me answers with the
// recovery codes, this once.
func (h *Handlers) ConfirmTwoFactorSubmit(c *fiber.Ctx) error {
	if !access.From(c).SignedIn() {
		return problem.Unauthorized()
	}
	codes, err := h.confirmTwoFactor(c, c.FormValue("code"))
	if err != nil {
		return h.meFormError(c, err, map[string]string{"code": "twofa_code"})
	}
	c.Locals(recoveryCodesLocal, codes)
	return h.renderMe(c, fiber.StatusOK, nil)
}

// DisableTwoFactorSubmit is POST /me/2fa/disable.
func (h *Handlers) DisableTwoFactorSubmit(c *fiber.Ctx) error {
	if !access.From(c).SignedIn() {
		return problem.Unauthorized()
	}
	if err := h.disableTwoFactor(c, c.FormValue("current_password"), c.FormValue("code")); err != nil {
		return h.meFormError(c, err, map[string]string{"current_password": "disable_password", "code": "disable_code"})
	}
	pages.Flash(c, "ok", "flash.two_factor_off")
	return pages.Redirect(c, "/me#two-factor")
}

// meFormError shows /me again with a form's errors beside its fields:
// fields maps the service's field names to the form's input ids, which
// differ from the password form's on the same page.
func (h *Handlers) meFormError(c *fiber.Ctx, err error, fields map[string]string) error {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= 500 {
		return err
	}
	return h.renderMe(c, p.Status, onInputs(p, fields))
}

// ResetTwoFactorSubmit is POST /admin/users/{id}/2fa/reset, the button on
// the administration's account page.
func (h *Handlers) ResetTwoFactorSubmit(c *fiber.Ctx) error {
	id, err := actOnAccount(c, h.ResetTwoFactor)
	if err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.two_factor_reset")
	return pages.Redirect(c, "/admin/users/"+strconv.FormatInt(id, 10))
}
