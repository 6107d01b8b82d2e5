package accounts

import (
	"context"
	"database/sql"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// InviteTTL is how long an invitation's set-password link works.
const InviteTTL = 7 * 24 * time.Hour

// invitation is the set-password link an invited account is mailed,
// composed before the write that makes the account.
type invitation struct {
	token string
	msg   mail.Message
	by    int64
}

// Invite makes an account for someone an administrator names (staff,
// mostly) without a password: they are mailed a link to set one (valid
// InviteTTL, once; it is a password reset link), which also confirms
// their address.
func (s *Service) Invite(ctx context.Context, actor *access.Viewer, in NewAccount) (*User, error) {
	if !actor.IsAdmin() {
		return nil, access.Refusal(actor)
	}
	// The password rules do not apply: there is none yet.
	in.Password, in.PrivacyConsent, in.MustChangePassword = randomToken(), false, false
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	token := randomToken()
	msg, err := s.mailer.Compose(mail.Letter{
		To: in.Email, Lang: in.Locale, Name: in.DisplayName,
		SubjectKey: "mail.invite.subject", Before: []string{"mail.invite.body"}, After: []string{"mail.invite.ignore"},
		LinkKey: "mail.invite.link", Link: "/password-reset?token=" + token,
	})
	if err != nil {
		return nil, err
	}
	in.invite = &invitation{token: token, msg: msg, by: actor.UserID}
	u, err := s.Create(ctx, in)
	if err != nil {
		return nil, err
	}
	s.mailer.Wake()
	return u, nil
}

// storeInvitation writes the link and queues its mail, in the write that
// makes the account, and records who invited whom.
func (s *Service) storeInvitation(ctx context.Context, tx *store.Tx, u *User, inv *invitation) error {
	now := s.now()
	if _, err := tx.Exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
		hashToken(inv.token), u.ID, tx.Time(now), tx.Time(now.Add(InviteTTL))); err != nil {
		return err
	}
	msg := inv.msg
	msg.UserID = u.ID
	if err := s.mailer.Enqueue(ctx, tx, msg); err != nil {
		return err
	}
	return audit.Record(ctx, tx, inv.by, "user.invite", "user", u.ID, nil, map[string]any{"role": u.Role, "display_name": u.DisplayName})
}

type inviteBody struct {
	Email       string      `json:"email"`
	DisplayName string      `json:"display_name"`
	Role        access.Role `json:"role"`
	Groups      []int64     `json:"groups"`
	Locale      string      `json:"locale"`
}

// APIInvite is POST /api/v1/users (admin): 201 with the account, and the
// invitation goes out by mail.
func (h *Handlers) APIInvite(c *fiber.Ctx, b *inviteBody) error {
	v := access.From(c)
	u, err := h.svc.Invite(c.UserContext(), v, NewAccount{Email: b.Email, DisplayName: b.DisplayName, Role: b.Role, Groups: b.Groups, Locale: b.Locale})
	if err != nil {
		return err
	}
	a, err := h.svc.Account(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h.svc.accountOut(a))
}

type invitationBody struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// APIAcceptInvitation is POST /api/v1/auth/invitation {token, password}:
// the password is set and the person signed in (200 with a session).
func (h *Handlers) APIAcceptInvitation(c *fiber.Ctx, b *invitationBody) error {
	id, err := h.svc.ConfirmPasswordReset(c.UserContext(), b.Token, b.Password)
	if err != nil {
		if p, ok := err.(*problem.Problem); ok && len(p.Errors) > 0 && p.Errors[0].Field == "new_password" {
			return problem.Invalid(problem.FieldWith("password", p.Errors[0].Key, p.Errors[0].Args))
		}
		return err
	}
	u, err := h.svc.ByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	sess, err := h.svc.startSession(c.UserContext(), id, h.clientOf(c))
	if err != nil {
		return err
	}
	return h.answerSession(c, fiber.StatusOK, u, sess)
}

// hadPassword reports whether an account had a password before its
// reset: an invited one had none, and is not told it "changed".
func hadPassword(hash sql.NullString) bool { return hash.Valid && hash.String != "" }
