package accounts

import (
	"context"
	"database/sql"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// VerifyTTL is how long a link that confirms an address works.
const VerifyTTL = 48 * time.Hour

// ErrVerifyToken answers a confirmation link that is used, expired,
// unknown, or for an address the account no longer has.
var ErrVerifyToken = problem.BadRequest("error.verify_token")

// RequireVerifiedEmail is MITREDEN_EMAIL_VERIFICATION=required: a
// registration is mailed a link, and the account contributes once the
// address is confirmed (access.MayWrite).
func (s *Service) RequireVerifiedEmail(on bool) { s.verifyEmail = on }

// confirmation is a link that confirms an address, and its mail,
// composed before the write that stores it (composing must not hold the
// writer).
type confirmation struct {
	token string
	msg   mail.Message
}

func (s *Service) newConfirmation(email, name, lang string) (confirmation, error) {
	token := randomToken()
	msg, err := s.mailer.Compose(mail.Letter{
		To: email, Lang: lang, Name: name,
		SubjectKey: "mail.verify.subject", Before: []string{"mail.verify.body"}, After: []string{"mail.verify.ignore"},
		LinkKey: "mail.verify.link", Link: "/verify?token=" + token,
	})
	return confirmation{token: token, msg: msg}, err
}

// askToConfirm stores the link and queues its mail, in the write that
// made the account (or asked again).
func (s *Service) askToConfirm(ctx context.Context, tx *store.Tx, userID int64, email string, c confirmation) error {
	now := s.now()
	if _, err := tx.Exec(ctx, "INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		hashToken(c.token), userID, email, tx.Time(now), tx.Time(now.Add(VerifyTTL))); err != nil {
		return err
	}
	c.msg.UserID = userID
	return s.mailer.Enqueue(ctx, tx, c.msg)
}

// ResendVerification mails v a new link, unless the address is confirmed
// already (then nothing happens: the answer is the same).
func (s *Service) ResendVerification(ctx context.Context, v *access.Viewer) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	u, err := s.liveUser(ctx, v.UserID)
	if err != nil {
		return err
	}
	if u.Email == nil || u.EmailVerifiedAt != nil {
		return nil
	}
	return s.mailConfirmation(ctx, u, *u.Email)
}

// mailConfirmation mails account u a link that confirms email, in a
// write of its own.
func (s *Service) mailConfirmation(ctx context.Context, u *User, email string) error {
	c, err := s.newConfirmation(email, u.DisplayName, u.Locale)
	if err != nil {
		return err
	}
	return s.mailingWrite(ctx, func(ctx context.Context, tx *store.Tx) error {
		return s.askToConfirm(ctx, tx, u.ID, email, c)
	})
}

// VerifyEmail confirms the address a link was sent to: once, within
// VerifyTTL. A link to the account's own address confirms it; a link to
// a new one (ChangeEmail) makes it the account's address, confirmed, and
// the old address is told.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return ErrVerifyToken
	}
	// The mail to the old address is composed before the write.
	told, err := s.oldAddressNotice(ctx, hashToken(token))
	if err != nil {
		return err
	}
	now := s.now()
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var (
			userID  int64
			email   string
			current sql.NullString
			expires time.Time
			used    sql.NullTime
		)
		err := tx.QueryRow(ctx, `SELECT v.user_id, v.email, u.email, v.expires_at, v.used_at FROM email_verifications v JOIN users u ON u.id = v.user_id
WHERE v.token_hash = ? AND u.deleted_at IS NULL`+tx.ForUpdate("v"), hashToken(token)).Scan(&userID, &email, &current, &expires, &used)
		switch {
		case store.IsNoRows(err):
			return ErrVerifyToken
		case err != nil:
			return err
		case used.Valid || !now.Before(expires) || !current.Valid:
			return ErrVerifyToken
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET email = ?, email_verified_at = ?, updated_at = ? WHERE id = ?",
			email, tx.Time(now), tx.Time(now), userID); err != nil {
			if store.IsUniqueViolation(err) {
				return ErrEmailTaken
			}
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE email_verifications SET used_at = ? WHERE token_hash = ?", tx.Time(now), hashToken(token)); err != nil {
			return err
		}
		if current.String != email && told != nil {
			told.UserID = userID
			if err := s.mailer.Enqueue(ctx, tx, *told); err != nil {
				return err
			}
			notice := notifications.Notice{Kind: notifications.Account, URL: "/me", Body: "notifications.account.email", Mailed: true}
			if err := notifications.Notify(ctx, tx, s.catalog, notifications.To(userID), notice); err != nil {
				return err
			}
		}
		return Changed(ctx, tx)
	})
	if err == nil && told != nil {
		s.mailer.Wake()
	}
	return err
}

// oldAddressNotice is the mail telling an account's address that a link
// will move the account to another one (nil when the link confirms the
// account's own address, or opens nothing).
func (s *Service) oldAddressNotice(ctx context.Context, tokenHash string) (*mail.Message, error) {
	var (
		email, lang, name string
		current           sql.NullString
	)
	err := s.st.QueryRow(ctx, `SELECT v.email, u.email, u.locale, u.display_name FROM email_verifications v JOIN users u ON u.id = v.user_id
WHERE v.token_hash = ?`, tokenHash).Scan(&email, &current, &lang, &name)
	if store.IsNoRows(err) || (err == nil && (!current.Valid || current.String == email)) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	msg, err := s.mailer.Compose(mail.Letter{
		To: current.String, Lang: lang, Name: name,
		SubjectKey: "mail.email_changed.subject", Before: []string{"mail.email_changed.body"}, After: []string{"mail.email_changed.not_you"},
		LinkKey: "mail.email_changed.link", Link: "/password-reset",
	})
	return &msg, err
}
