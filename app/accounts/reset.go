package accounts

import (
	"context"
	"database/sql"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Mailer composes mail and queues it in the write of its cause (app/mail).
type Mailer interface {
	Compose(l mail.Letter) (mail.Message, error)
	Enqueue(ctx context.Context, tx *store.Tx, m mail.Message) error
	// Wake sends what was queued now, once the write has committed.
	Wake()
}

// SetMailer gives the service its mail queue; set it before serving.
func (s *Service) SetMailer(m Mailer) { s.mailer = m }

// mailingWrite runs fn, which queues mail, as one write, and wakes the
// sender once the write has committed: a write that failed sends nothing.
func (s *Service) mailingWrite(ctx context.Context, fn store.WriteFunc) error {
	if err := s.st.Write(ctx, fn); err != nil {
		return err
	}
	s.mailer.Wake()
	return nil
}

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// ErrResetToken answers a reset link that is used, expired or unknown.
var ErrResetToken = problem.BadRequest("error.reset_token")

// RequestPasswordReset mails a reset link to the account of email, if
// there is one, and answers its id (0 when none). The caller answers the
// same whether or not there is one, so nobody learns which addresses
// have accounts.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) (int64, error) {
	var v problem.Validator
	email = checkEmail(&v, email)
	if err := v.Err(); err != nil {
		return 0, err
	}
	var u User
	err := s.st.DB.NewSelect().Model(&u).Where("email = ? AND deleted_at IS NULL", email).Scan(ctx)
	if err != nil && !store.IsNoRows(err) {
		return 0, err
	}
	// An unknown address writes a link that opens nothing, in a write
	// like the one a known address makes: the answer takes as long.
	var user any
	if u.ID != 0 {
		user = u.ID
	}
	token, now := randomToken(), s.now()
	// Composed outside the write, which holds the writer; for an unknown
	// address too, which takes the same time.
	msg, err := s.mailer.Compose(mail.Letter{
		UserID: u.ID, To: email, Lang: u.Locale, Name: u.DisplayName,
		SubjectKey: "mail.reset.subject", Before: []string{"mail.reset.body"}, After: []string{"mail.reset.ignore"},
		LinkKey: "mail.reset.link", Link: "/password-reset?token=" + token,
	})
	if err != nil {
		return 0, err
	}
	err = s.mailingWrite(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			hashToken(token), user, tx.Time(now), tx.Time(now.Add(ResetTTL))); err != nil || u.ID == 0 {
			return err
		}
		return s.mailer.Enqueue(ctx, tx, msg)
	})
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// resetLink is an open password reset and its account.
type resetLink struct {
	id, userID         int64
	email, displayName string
	locale             string
	// invited is an account without a password yet (Invite).
	invited bool
}

// resetByToken finds the open reset of a token; used, expired and
// unknown tokens answer ErrResetToken. It changes nothing: mail scanners
// open links, and the page must not use the token up.
func (s *Service) resetByToken(ctx context.Context, token string) (*resetLink, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrResetToken
	}
	var (
		r       resetLink
		expires time.Time
		used    sql.NullTime
		email   sql.NullString
		hash    sql.NullString
	)
	err := s.st.QueryRow(ctx, `SELECT r.id, r.user_id, r.expires_at, r.used_at, u.email, u.display_name, u.locale, u.password_hash
FROM password_resets r JOIN users u ON u.id = r.user_id
WHERE r.token_hash = ? AND u.deleted_at IS NULL`, hashToken(token)).Scan(&r.id, &r.userID, &expires, &used, &email, &r.displayName, &r.locale, &hash)
	switch {
	case store.IsNoRows(err):
		return nil, ErrResetToken
	case err != nil:
		return nil, err
	case used.Valid || !s.now().Before(expires) || !email.Valid:
		return nil, ErrResetToken
	}
	r.email, r.invited = email.String, !hadPassword(hash)
	return &r, nil
}

// CheckResetToken answers ErrResetToken unless token opens a reset.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.resetByToken(ctx, token)
	return err
}

// ConfirmPasswordReset sets the password of a reset link's account,
// under the usual rules, and answers the account's id. The link is then
// used up, with every other open link of the account; every session and
// pending second-factor sign-in of the account ends; and the account is
// told by mail that its password changed.
func (s *Service) ConfirmPasswordReset(ctx context.Context, token, password string) (int64, error) {
	r, err := s.resetByToken(ctx, token)
	if err != nil {
		return 0, err
	}
	var v problem.Validator
	checkPassword(&v, "new_password", password, passwordOwner{Email: r.email, DisplayName: r.displayName})
	if err := v.Err(); err != nil {
		return 0, err
	}
	hash, err := argon2id.CreateHash(password, &s.params)
	if err != nil {
		return 0, err
	}
	told, err := s.mailer.Compose(mail.Letter{
		UserID: r.userID, To: r.email, Lang: r.locale, Name: r.displayName,
		SubjectKey: "mail.password_changed.subject",
		Before:     []string{"mail.password_changed.body", "mail.password_changed.not_you"},
		LinkKey:    "mail.password_changed.link", Link: "/password-reset",
	})
	if err != nil {
		return 0, err
	}
	now := s.now()
	err = s.mailingWrite(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL", tx.Time(now), r.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 { // used in the meantime
			return ErrResetToken
		}
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", []any{tx.Time(now), r.userID}},
			// The link came by mail: the address is confirmed too.
			{"UPDATE users SET password_hash = ?, must_change_password = ?, email_verified_at = COALESCE(email_verified_at, ?), updated_at = ? WHERE id = ?",
				[]any{hash, false, tx.Time(now), tx.Time(now), r.userID}},
			{"DELETE FROM sessions WHERE user_id = ?", []any{r.userID}},
			{"DELETE FROM login_challenges WHERE user_id = ?", []any{r.userID}},
		} {
			if _, err := tx.Exec(ctx, stmt.sql, stmt.args...); err != nil {
				return err
			}
		}
		// Every instance forgets the account's sessions it kept.
		if err := Changed(ctx, tx); err != nil || r.invited {
			return err
		}
		notice := notifications.Notice{Kind: notifications.Account, URL: "/me", Body: "notifications.account.password", Mailed: true}
		if err := notifications.Notify(ctx, tx, s.catalog, notifications.To(r.userID), notice); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, tx, told)
	})
	if err != nil {
		return 0, err
	}
	return r.userID, nil
}
