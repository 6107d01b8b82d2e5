package accounts

import (
	"context"
	"strings"

	"github.com/alexedwards/argon2id"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// OwnChange is what a person changes of their own account (PATCH /me);
// nil keeps the value.
type OwnChange struct {
	DisplayName *string `json:"display_name"`
	Locale      *string `json:"locale"`
}

// ChangeOwn sets v's display name (by the rules a registration follows)
// and language.
func (s *Service) ChangeOwn(ctx context.Context, v *access.Viewer, in OwnChange) (*User, error) {
	if !v.SignedIn() {
		return nil, problem.Unauthorized()
	}
	var val problem.Validator
	if in.Locale != nil {
		val.Check(s.catalog.Supported(*in.Locale), "locale", "error.unsupported_language")
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := s.account(ctx, tx, v.UserID)
		if err != nil {
			return err
		}
		name, lang := before.DisplayName, before.Locale
		if in.DisplayName != nil && strings.TrimSpace(*in.DisplayName) != before.DisplayName {
			if name, err = s.checkDisplayName(ctx, tx, &val, *in.DisplayName, before.Role, v.UserID); err != nil {
				return err
			}
			if err := val.Err(); err != nil {
				return err
			}
		}
		if in.Locale != nil {
			lang = *in.Locale
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET display_name = ?, locale = ?, updated_at = ? WHERE id = ?", name, lang, tx.Time(s.now()), v.UserID); err != nil {
			return err
		}
		if err := Changed(ctx, tx); err != nil {
			return err
		}
		if name != before.DisplayName {
			// Pages show the name beside the person's contributions.
			return tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, v.UserID)
}

// ErrWrongPassword answers a change that needs the current password.
var ErrWrongPassword = problem.Invalid(problem.Field("current_password", "error.current_password"))

// ChangeEmail mails a confirmation link to a new address; the account
// keeps its address until the link is followed (VerifyEmail), and the old
// address is then told.
func (s *Service) ChangeEmail(ctx context.Context, v *access.Viewer, email, currentPassword string) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	var val problem.Validator
	email = checkEmail(&val, email)
	if err := val.Err(); err != nil {
		return err
	}
	u, err := s.liveUser(ctx, v.UserID)
	if err != nil {
		return err
	}
	if ok, err := argon2id.ComparePasswordAndHash(currentPassword, u.PasswordHash); err != nil || !ok {
		return ErrWrongPassword
	}
	if u.Email != nil && *u.Email == email {
		return nil
	}
	var taken int
	if err := s.st.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE email = ?", email).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return ErrEmailTaken
	}
	return s.mailConfirmation(ctx, u, email)
}
