package accounts

import (
	"context"
	"net/http"
	"time"

	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// The step between a right password and the second factor.
const (
	ChallengeTTL   = 5 * time.Minute
	ChallengeTries = 5
	// maxOpenChallenges caps the challenges of one account alive at once.
	// Whoever knows the password could otherwise get fresh tries at the
	// codes as fast as they sign in; this way there are at most 25 per
	// five minutes.
	maxOpenChallenges = 5
)

var (
	// ErrChallenge answers an unknown, expired or used-up challenge:
	// the person signs in again.
	ErrChallenge = &problem.Problem{Status: http.StatusUnauthorized, DetailKey: "error.challenge_invalid"}
	// ErrWrongLoginCode answers a wrong code at sign-in (401, naming the field).
	ErrWrongLoginCode = &problem.Problem{Status: http.StatusUnauthorized, DetailKey: "error.two_factor_code",
		Errors: []problem.FieldError{problem.Field("code", "error.two_factor_code")}}
)

// startChallenge answers a new challenge for userID, whose password was
// right; only its hash is stored.
func (s *Service) startChallenge(ctx context.Context, userID int64) (string, error) {
	token := randomToken()
	now := s.now()
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var open int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM login_challenges WHERE user_id = ? AND expires_at > ?", userID, tx.Time(now)).Scan(&open); err != nil {
			return err
		}
		if open >= maxOpenChallenges {
			return problem.TooMany(ChallengeTTL)
		}
		_, err := tx.Exec(ctx, "INSERT INTO login_challenges (token_hash, user_id, tries, created_at, expires_at) VALUES (?, ?, 0, ?, ?)",
			hashToken(token), userID, tx.Time(now), tx.Time(now.Add(ChallengeTTL)))
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// LoginTwoFactor finishes a sign-in: code (a TOTP code or an unused
// recovery code) for the account whose password opened challenge. Each
// try counts, right or wrong; after ChallengeTries, or ChallengeTTL after
// the password, the challenge answers ErrChallenge. A wrong code answers
// ErrWrongLoginCode with the account, for the security log.
func (s *Service) LoginTwoFactor(ctx context.Context, challenge, code string, client Client) (*User, *Session, error) {
	var v problem.Validator
	v.Check(challenge != "", "challenge", "error.required")
	v.Check(normalizeCode(code) != "", "code", "error.required")
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if len(challenge) > 128 {
		return nil, nil, ErrChallenge
	}
	var (
		userID int64
		sess   *Session
		wrong  bool
	)
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		sess, wrong = nil, false
		err := tx.QueryRow(ctx, "UPDATE login_challenges SET tries = tries + 1 WHERE token_hash = ? AND expires_at > ? AND tries < ? RETURNING user_id",
			hashToken(challenge), tx.Time(s.now()), ChallengeTries).Scan(&userID)
		if store.IsNoRows(err) {
			return ErrChallenge
		}
		if err != nil {
			return err
		}
		ok, err := s.checkSecondFactor(ctx, tx, userID, code)
		if err != nil {
			return err
		}
		if !ok {
			// Committed: the try counts.
			wrong = true
			return nil
		}
		if _, err := tx.Exec(ctx, "DELETE FROM login_challenges WHERE token_hash = ?", hashToken(challenge)); err != nil {
			return err
		}
		sess, err = s.insertSession(ctx, tx, userID, client)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if wrong {
		return u, nil, ErrWrongLoginCode
	}
	return u, sess, nil
}
