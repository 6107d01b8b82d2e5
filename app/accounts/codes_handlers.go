package accounts

import (
	"errors"
	"math"
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

type codesBody struct {
	Count int    `json:"count"`
	Label string `json:"label"`
}

type createdCodes struct {
	Batch CodeBatch `json:"batch"`
	Codes []string  `json:"codes"`
}

// APICreateCodes is POST /api/v1/consultations/{slug}/codes (admin)
// {count,label}: 201 with the batch and its codes.
func (h *Handlers) APICreateCodes(c *fiber.Ctx) error {
	var b codesBody
	if err := jsonapi.Decode(c, &b); err != nil {
		return err
	}
	batch, codes, err := h.svc.CreateCodes(c.UserContext(), access.From(c), strings.Clone(c.Params("slug")), b.Count, b.Label)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdCodes{Batch: *batch, Codes: codes})
}

// APICodeBatches is GET /api/v1/consultations/{slug}/codes (admin): the
// batches, newest first (a consultation has a handful: one page).
func (h *Handlers) APICodeBatches(c *fiber.Ctx) error {
	list, err := h.svc.CodeBatches(c.UserContext(), strings.Clone(c.Params("slug")))
	if err != nil {
		return err
	}
	return c.JSON(jsonapi.NewList(list, nil))
}

// APIVoidBatch is DELETE /api/v1/code-batches/{id} (admin): 204.
func (h *Handlers) APIVoidBatch(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.VoidBatch(c.UserContext(), access.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type codeSignInBody struct {
	Code           string `json:"code"`
	DisplayName    string `json:"display_name"`
	PrivacyConsent bool   `json:"privacy_consent"`
}

// APICodeSignIn is POST /api/v1/auth/code {code,display_name?,privacy_consent}.
func (h *Handlers) APICodeSignIn(c *fiber.Ctx) error {
	var b codeSignInBody
	if err := jsonapi.Decode(c, &b); err != nil {
		return err
	}
	u, s, _, err := h.codeSignIn(c, CodeSignIn{Code: b.Code, DisplayName: b.DisplayName, PrivacyConsent: b.PrivacyConsent})
	if err != nil {
		return err
	}
	return h.answerSession(c, fiber.StatusOK, u, s)
}

// codeSignIn is the one way the API and the form sign in with a code,
// with the security events a sign-in logs.
func (h *Handlers) codeSignIn(c *fiber.Ctx, in CodeSignIn) (*User, *Session, string, error) {
	in.Locale = locale.From(c).Lang.Code
	u, s, slug, err := h.svc.SignInWithCode(c.UserContext(), in, h.clientOf(c))
	if errors.Is(err, ErrBadCode) {
		securitylog.Event(c, securitylog.LoginFailed, "credential", "code")
	}
	if err != nil {
		return nil, nil, "", err
	}
	securitylog.Event(c, securitylog.Login, "user", u.ID, "credential", "code")
	return u, s, slug, nil
}

// CodePage is GET /code: the form a card's QR code leads to. The code
// travels in the link's fragment (/code#CODE), which the browser never
// sends: the page's script puts it into the form.
func (h *Handlers) CodePage(c *fiber.Ctx) error {
	v := h.pages.NewView(c, locale.From(c).T("code.title"))
	v.Form = map[string]string{}
	return h.pages.Render(c, fiber.StatusOK, "code", v)
}

// CodeSubmit is POST /code: the code's consultation opens, signed in.
func (h *Handlers) CodeSubmit(c *fiber.Ctx) error {
	form := map[string]string{
		"code":         strings.Clone(c.FormValue("code")),
		"display_name": strings.Clone(c.FormValue("display_name")),
		"consent":      strings.Clone(c.FormValue("consent")),
	}
	_, s, slug, err := h.codeSignIn(c, CodeSignIn{Code: form["code"], DisplayName: form["display_name"], PrivacyConsent: form["consent"] == "yes"})
	if err == nil {
		h.setSessionCookie(c, s)
		pages.Flash(c, "ok", "flash.signed_in")
		return pages.Redirect(c, "/c/"+slug)
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		return err
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(p.RetryAfter.Seconds()))))
	}
	if p.Status == fiber.StatusUnauthorized {
		// A wrong code is the code field's mistake.
		err = &problem.Problem{Status: p.Status, DetailKey: p.DetailKey, Errors: []problem.FieldError{problem.Field("code", p.DetailKey)}}
	}
	for i, fe := range p.Errors {
		if fe.Field == "privacy_consent" {
			p.Errors[i].Field = "consent"
		}
	}
	v := h.pages.NewView(c, locale.From(c).T("code.title"))
	v.SetFormErrors(err, form)
	return h.pages.Render(c, p.Status, "code", v)
}
