package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238) of six
// digits every 30 seconds, as authenticator apps make them, and ten
// single-use recovery codes for a lost device.
const (
	totpPeriod = 30
	totpIssuer = "mitreden"
	// RecoveryCodes is how many recovery codes turning 2FA on gives.
	RecoveryCodes = 10
	// maxCode caps what is looked at as a code.
	maxCode = 64
)

// Refusals of the second factor.
var (
	// ErrWrongCode answers a wrong code on a form field (422).
	ErrWrongCode = problem.Invalid(problem.Field("code", "error.two_factor_code"))
	// ErrTwoFactorOn answers setting up a second factor that is on already.
	ErrTwoFactorOn = problem.Conflict("error.two_factor_on")
	// ErrTwoFactorOff answers turning off a second factor that is not on.
	ErrTwoFactorOff = problem.Conflict("error.two_factor_off")
	// ErrNoSetup answers a confirmation without a setup begun.
	ErrNoSetup = problem.Conflict("error.two_factor_no_setup")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TwoFactorSetup is a secret not yet confirmed: what an authenticator app
// is given, as text and as an otpauth:// URL (the QR code's content).
type TwoFactorSetup struct {
	Secret string
	URL    string
}

// TwoFactorState is what a person's account page shows of the second factor.
type TwoFactorState struct {
	// Since is when it was turned on; nil while off.
	Since *time.Time
	// RecoveryLeft counts the unused recovery codes.
	RecoveryLeft int
	// Pending is a setup begun but not confirmed.
	Pending *TwoFactorSetup
}

// On reports whether the account signs in with a second factor.
func (t TwoFactorState) On() bool { return t.Since != nil }

// setupOf makes the otpauth:// URL of secret for the account.
func setupOf(email *string, name, secret string) (*TwoFactorSetup, error) {
	raw, err := b32.DecodeString(secret)
	if err != nil {
		return nil, err
	}
	account := name
	if email != nil && *email != "" {
		account = *email
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Secret: raw})
	if err != nil {
		return nil, err
	}
	return &TwoFactorSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// TwoFactor reads the state of userID's second factor.
func (s *Service) TwoFactor(ctx context.Context, userID int64) (TwoFactorState, error) {
	var (
		out    TwoFactorState
		email  sql.NullString
		name   string
		since  sql.NullTime
		secret sql.NullString
	)
	err := s.st.QueryRow(ctx, `SELECT u.email, u.display_name, u.two_factor_at, k.secret,
  (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id)
FROM users u LEFT JOIN two_factor_keys k ON k.user_id = u.id WHERE u.id = ?`, userID).Scan(&email, &name, &since, &secret, &out.RecoveryLeft)
	if store.IsNoRows(err) {
		return out, problem.NotFound()
	}
	if err != nil {
		return out, err
	}
	if since.Valid {
		t := since.Time.UTC()
		out.Since = &t
	} else if secret.Valid {
		out.Pending, err = setupOf(&email.String, name, secret.String)
	}
	return out, err
}

// checkCurrentPassword refuses a wrong password with 422 on field.
func (s *Service) checkCurrentPassword(ctx context.Context, userID int64, field, password string) error {
	if password == "" {
		return problem.Invalid(problem.Field(field, "error.required"))
	}
	var hash string
	err := s.st.DB.NewRaw("SELECT password_hash FROM users WHERE id = ? AND deleted_at IS NULL", userID).Scan(ctx, &hash)
	if store.IsNoRows(err) {
		return problem.Unauthorized()
	}
	if err != nil {
		return err
	}
	if ok, err := argon2id.ComparePasswordAndHash(password, hash); err != nil || !ok {
		return problem.Invalid(problem.Field(field, "error.current_password"))
	}
	return nil
}

// BeginTwoFactor makes a new secret for userID after checking the
// password; it replaces a setup not yet confirmed and is not active until
// ConfirmTwoFactor.
func (s *Service) BeginTwoFactor(ctx context.Context, userID int64, password string) (*TwoFactorSetup, error) {
	if err := s.checkCurrentPassword(ctx, userID, "current_password", password); err != nil {
		return nil, err
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	var raw [20]byte // 160 bits, as RFC 4226 recommends
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	setup, err := setupOf(u.Email, u.DisplayName, b32.EncodeToString(raw[:]))
	if err != nil {
		return nil, err
	}
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var on sql.NullTime
		if err := tx.QueryRow(ctx, "SELECT two_factor_at FROM users WHERE id = ?", userID).Scan(&on); err != nil {
			return err
		}
		if on.Valid {
			return ErrTwoFactorOn
		}
		if _, err := tx.Exec(ctx, "DELETE FROM two_factor_keys WHERE user_id = ?", userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO two_factor_keys (user_id, secret, last_step, created_at) VALUES (?, ?, 0, ?)",
			userID, setup.Secret, tx.Time(s.now()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return setup, nil
}

// ConfirmTwoFactor turns the second factor on when code is right for the
// pending secret, and answers the recovery codes: shown once, stored
// only as hashes.
func (s *Service) ConfirmTwoFactor(ctx context.Context, userID int64, code string) ([]string, error) {
	code = normalizeCode(code)
	if code == "" {
		return nil, problem.Invalid(problem.Field("code", "error.required"))
	}
	var codes []string
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var (
			secret string
			on     sql.NullTime
		)
		err := tx.QueryRow(ctx, "SELECT k.secret, u.two_factor_at FROM two_factor_keys k JOIN users u ON u.id = k.user_id WHERE k.user_id = ?", userID).
			Scan(&secret, &on)
		switch {
		case store.IsNoRows(err):
			return ErrNoSetup
		case err != nil:
			return err
		case on.Valid:
			return ErrTwoFactorOn
		}
		step := matchTOTP(secret, code, s.now())
		if step == 0 {
			return ErrWrongCode
		}
		now := tx.Time(s.now())
		// The step that confirmed is used up: it cannot sign in too.
		if _, err := tx.Exec(ctx, "UPDATE two_factor_keys SET last_step = ? WHERE user_id = ?", step, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return err
		}
		codes = make([]string, RecoveryCodes)
		for i := range codes {
			codes[i] = newRecoveryCode()
			if _, err := tx.Exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
				userID, hashToken(normalizeCode(codes[i])), now); err != nil {
				return err
			}
		}
		if _, err = tx.Exec(ctx, "UPDATE users SET two_factor_at = ?, updated_at = ? WHERE id = ?", now, now, userID); err != nil {
			return err
		}
		return Changed(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTwoFactor turns the second factor off after checking the
// password and a code (a TOTP code or a recovery code).
func (s *Service) DisableTwoFactor(ctx context.Context, userID int64, password, code string) error {
	var v problem.Validator
	v.Check(password != "", "current_password", "error.required")
	v.Check(normalizeCode(code) != "", "code", "error.required")
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, userID, "current_password", password); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var on sql.NullTime
		if err := tx.QueryRow(ctx, "SELECT two_factor_at FROM users WHERE id = ?", userID).Scan(&on); err != nil {
			return err
		}
		if !on.Valid {
			return ErrTwoFactorOff
		}
		ok, err := s.checkSecondFactor(ctx, tx, userID, code)
		if err != nil {
			return err
		}
		if !ok {
			return ErrWrongCode
		}
		return s.removeTwoFactor(ctx, tx, userID)
	})
}

// ResetTwoFactor turns off userID's second factor for someone who lost
// both device and recovery codes: an administrator (actorID, with an
// audit entry) or the command line (actorID 0). It answers whether the
// second factor was on.
func (s *Service) ResetTwoFactor(ctx context.Context, actorID, userID int64) (bool, error) {
	var was bool
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var on sql.NullTime
		err := tx.QueryRow(ctx, "SELECT two_factor_at FROM users WHERE id = ? AND deleted_at IS NULL", userID).Scan(&on)
		if store.IsNoRows(err) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		if was = on.Valid; !was {
			// A setup nobody finished goes too.
			_, err := tx.Exec(ctx, "DELETE FROM two_factor_keys WHERE user_id = ?", userID)
			return err
		}
		if err := s.removeTwoFactor(ctx, tx, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "user.reset_2fa", "user", userID, map[string]any{"two_factor": true}, map[string]any{"two_factor": false})
	})
	return was, err
}

func (s *Service) removeTwoFactor(ctx context.Context, tx *store.Tx, userID int64) error {
	for _, q := range []string{
		"DELETE FROM two_factor_keys WHERE user_id = ?",
		"DELETE FROM recovery_codes WHERE user_id = ?",
		"DELETE FROM login_challenges WHERE user_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	now := tx.Time(s.now())
	if _, err := tx.Exec(ctx, "UPDATE users SET two_factor_at = NULL, updated_at = ? WHERE id = ?", now, userID); err != nil {
		return err
	}
	return Changed(ctx, tx)
}

// checkSecondFactor reports whether code is a TOTP code of userID for a
// time step after the last one used, or one of the unused recovery codes;
// either is used up by it.
func (s *Service) checkSecondFactor(ctx context.Context, tx *store.Tx, userID int64, code string) (bool, error) {
	code = normalizeCode(code)
	if code == "" {
		return false, nil
	}
	if !isTOTPCode(code) {
		res, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?", userID, hashToken(code))
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n > 0, err
	}
	var secret string
	err := tx.QueryRow(ctx, "SELECT secret FROM two_factor_keys WHERE user_id = ?", userID).Scan(&secret)
	if store.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	step := matchTOTP(secret, code, s.now())
	if step == 0 {
		return false, nil
	}
	// The step is used up here: its code, or an earlier step's, never
	// works again, even when two requests bring it at once.
	res, err := tx.Exec(ctx, "UPDATE two_factor_keys SET last_step = ? WHERE user_id = ? AND last_step < ?", step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// matchTOTP answers the time step whose code is code, looking one step
// either side of now for clocks that differ a little; 0 when none.
func matchTOTP(secret, code string, now time.Time) int64 {
	current := now.Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for _, step := range []int64{current - 1, current, current + 1} {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// normalizeCode drops the spaces and dashes people type or copy within a
// code, and case; "" when nothing or too much is left.
func normalizeCode(code string) string {
	code = strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
	if len(code) > maxCode {
		return ""
	}
	return code
}

func isTOTPCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recoveryAlphabet has no look-alike characters (0/o, 1/l/i).
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// newRecoveryCode makes a code of ten characters (about 49 bits), shown
// as two groups of five.
func newRecoveryCode() string {
	out := make([]byte, 0, 11)
	var b [1]byte
	for len(out) < 11 {
		if len(out) == 5 {
			out = append(out, '-')
			continue
		}
		if _, err := rand.Read(b[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		// Bytes past the last whole multiple of the alphabet would favour
		// its first letters.
		if int(b[0]) >= 256/len(recoveryAlphabet)*len(recoveryAlphabet) {
			continue
		}
		out = append(out, recoveryAlphabet[int(b[0])%len(recoveryAlphabet)])
	}
	return string(out)
}
