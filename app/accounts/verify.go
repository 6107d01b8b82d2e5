package accounts

import (
	"context"
	"database/sql"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/mail"
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
	c, err := s.newConfirmation(*u.Email, u.DisplayName, u.Locale)
	if err != nil {
		return err
	}
	if err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		return s.askToConfirm(ctx, tx, u.ID, *u.Email, c)
	}); err != nil {
		return err
	}
	s.mailer.Wake()
	return nil
}

// VerifyEmail confirms the address a link was sent to: once, within
// VerifyTTL, and only while the account still has that address.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return ErrVerifyToken
	}
	now := s.now()
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var (
			userID  int64
			email   string
			expires time.Time
			used    sql.NullTime
		)
		err := tx.QueryRow(ctx, "SELECT user_id, email, expires_at, used_at FROM email_verifications WHERE token_hash = ?"+tx.ForUpdate(""), hashToken(token)).
			Scan(&userID, &email, &expires, &used)
		switch {
		case store.IsNoRows(err):
			return ErrVerifyToken
		case err != nil:
			return err
		case used.Valid || !now.Before(expires):
			return ErrVerifyToken
		}
		res, err := tx.Exec(ctx, "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ? AND email = ? AND deleted_at IS NULL",
			tx.Time(now), userID, email)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrVerifyToken
		}
		if _, err := tx.Exec(ctx, "UPDATE email_verifications SET used_at = ? WHERE token_hash = ?", tx.Time(now), hashToken(token)); err != nil {
			return err
		}
		return Changed(ctx, tx)
	})
}
