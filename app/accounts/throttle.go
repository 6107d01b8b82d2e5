package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/store"
)

// The per-account sign-in throttle (the README lists it): after
// SignInFailures failed sign-ins for one e-mail address within
// SignInWindow, sign-ins for that address wait until the window has
// passed, from whatever client address, except from a browser that signed
// in to the account before. The failures are counted in the database, so
// that every instance on one PostgreSQL counts the same.
const (
	SignInFailures = 10
	SignInWindow   = 15 * time.Minute
)

// emailHash is how a failure is counted: addresses people mistype are
// not kept as they were typed.
func emailHash(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// signInLocked answers how long sign-ins for email must still wait: 0
// while fewer than SignInFailures failed within the window, else until
// the oldest of the last SignInFailures has left it.
func (s *Service) signInLocked(ctx context.Context, email string) (time.Duration, error) {
	now := s.now()
	var times []time.Time
	err := s.st.DB.NewRaw("SELECT created_at FROM sign_in_failures WHERE email_hash = ? AND created_at > ? ORDER BY created_at DESC LIMIT ?",
		emailHash(email), now.Add(-SignInWindow), SignInFailures).Scan(ctx, &times)
	if err != nil && !store.IsNoRows(err) {
		return 0, err
	}
	if len(times) < SignInFailures {
		return 0, nil
	}
	return max(times[len(times)-1].Add(SignInWindow).Sub(now), time.Second), nil
}

// recordSignInFailure counts a failed sign-in for email, known or not
// (the answer must not tell which addresses exist), and deletes the
// failures that have left the window.
func (s *Service) recordSignInFailure(ctx context.Context, email string) error {
	now := s.now()
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO sign_in_failures (email_hash, created_at) VALUES (?, ?)", emailHash(email), now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM sign_in_failures WHERE created_at <= ?", now.Add(-SignInWindow))
		return err
	})
}

// deviceKeySetting names the key that signs device cookies; it lives in
// the database so that every instance accepts the cookies of the others.
const deviceKeySetting = "device_cookie_key"

// LoadDeviceKey reads the key that signs device cookies, creating it on
// the first start. Until it is loaded no device cookie is set or trusted.
func (s *Service) LoadDeviceKey(ctx context.Context) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	// Instances starting together may both try: the first insert wins and
	// every instance reads that one.
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", deviceKeySetting, hex.EncodeToString(b[:]))
		return err
	})
	if err != nil {
		return err
	}
	var value string
	if err := s.st.DB.NewRaw("SELECT value FROM settings WHERE key = ?", deviceKeySetting).Scan(ctx, &value); err != nil {
		return err
	}
	key, err := hex.DecodeString(value)
	if err != nil {
		return err
	}
	s.deviceKey = key
	return nil
}

func (s *Service) deviceMAC(userID int64) []byte {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte("device:" + strconv.FormatInt(userID, 10)))
	return m.Sum(nil)
}

// deviceToken is the device cookie of a browser that signed in to userID:
// the id and its HMAC-SHA256. It is no credential; it only lets its
// browser past the throttle of that account.
func (s *Service) deviceToken(userID int64) string {
	if len(s.deviceKey) == 0 {
		return ""
	}
	return strconv.FormatInt(userID, 10) + "." + base64.RawURLEncoding.EncodeToString(s.deviceMAC(userID))
}

// deviceOwner is the account a device cookie was issued for, or 0.
func (s *Service) deviceOwner(token string) int64 {
	idText, macText, ok := strings.Cut(token, ".")
	if !ok || len(s.deviceKey) == 0 {
		return 0
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || !hmac.Equal(mac, s.deviceMAC(id)) {
		return 0
	}
	return id
}
