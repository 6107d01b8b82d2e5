package accounts

import (
	"context"
	"errors"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// ChangePassword replaces the password of the signed-in person after
// checking the current one. Every other session of the account ends, so a
// stolen session dies with the old password; the session in use stays.
func (s *Service) ChangePassword(ctx context.Context, userID, sessionID int64, current, next string) error {
	u, err := s.liveUser(ctx, userID)
	var gone *problem.Problem
	if errors.As(err, &gone) && gone.Status == fiber.StatusNotFound {
		return problem.Unauthorized()
	}
	if err != nil {
		return err
	}
	var v problem.Validator
	v.Check(current != "", "current_password", "error.required")
	checkPassword(&v, "new_password", next, passwordOwner{Email: u.EmailAddress(), DisplayName: u.DisplayName, Current: current})
	if err := v.Err(); err != nil {
		return err
	}
	if ok, err := argon2id.ComparePasswordAndHash(current, u.PasswordHash); err != nil || !ok {
		return problem.Invalid(problem.Field("current_password", "error.current_password"))
	}
	return s.storePassword(ctx, userID, next, sessionID, &notifications.Notice{Kind: notifications.Account, URL: "/me", Body: "notifications.account.password"})
}

type passwordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// APIChangePassword is POST /api/v1/me/password.
func (h *Handlers) APIChangePassword(c *fiber.Ctx, b *passwordBody) error {
	v := access.From(c)
	if err := h.svc.ChangePassword(c.UserContext(), v.UserID, v.SessionID, b.CurrentPassword, b.NewPassword); err != nil {
		return err
	}
	securitylog.Event(c, securitylog.PasswordChanged)
	return c.SendStatus(fiber.StatusNoContent)
}

// PasswordSubmit is POST /me/password, the form on /me.
func (h *Handlers) PasswordSubmit(c *fiber.Ctx) error {
	v := access.From(c)
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	next := c.FormValue("new_password")
	var err error = problem.Invalid(problem.Field("new_password_confirm", "error.password_mismatch"))
	if next == c.FormValue("new_password_confirm") {
		err = h.svc.ChangePassword(c.UserContext(), v.UserID, v.SessionID, c.FormValue("current_password"), next)
	}
	if err == nil {
		securitylog.Event(c, securitylog.PasswordChanged)
		pages.Flash(c, "ok", "flash.password_changed")
		return pages.Redirect(c, "/me")
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		return err
	}
	return h.renderMe(c, p.Status, err)
}

// renderMe shows /me, with the password form's errors when there are any.
func (h *Handlers) renderMe(c *fiber.Ctx, status int, formErr error) error {
	viewer, u, err := h.ownAccount(c)
	if err != nil {
		return err
	}
	data := &MeData{User: u}
	if data.Security, err = h.security(c); err != nil {
		return err
	}
	if h.opts.MeExtras != nil {
		page := c.QueryInt("page", 1)
		if page < 1 {
			page = 1
		}
		if data.Extras, err = h.opts.MeExtras(c.UserContext(), viewer.UserID, page); err != nil {
			return err
		}
	}
	v := h.pages.NewView(c, locale.From(c).T("me.title"))
	if formErr != nil {
		v.SetFormErrors(formErr, map[string]string{})
	}
	v.Data = data
	return h.pages.Render(c, status, "me", v)
}
