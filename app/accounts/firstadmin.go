package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/store"
)

// EnsureAdmin creates the first administrator when there is none. With
// email and password empty it creates admin@localhost with a generated
// password, which it answers so it can be shown once; that password is
// one-time: the account must set its own before anything else. A given
// password must pass the rules like any other.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (created *User, generated string, err error) {
	var n int
	if err := s.st.DB.NewRaw("SELECT COUNT(*) FROM users WHERE role = 'admin' AND deleted_at IS NULL").Scan(ctx, &n); err != nil {
		return nil, "", err
	}
	if n > 0 {
		return nil, "", nil
	}
	if email == "" {
		email = "admin@localhost"
		owner := passwordOwner{Email: email, DisplayName: "Administration"}
		// A random password breaks a rule (contains "admin") about once
		// in 40 million: draw again rather than fail the start.
		for {
			generated = generatePassword()
			if key, _ := passwordFlaw(generated, owner); key == "" {
				break
			}
		}
		password = generated
	}
	u, err := s.Create(ctx, NewAccount{Email: email, Password: password, DisplayName: "Administration", Role: access.Admin, MustChangePassword: generated != ""})
	if errors.Is(err, ErrEmailTaken) {
		// The address exists as a lesser account: make it the administrator.
		id, idErr := s.IDByEmail(ctx, email)
		if idErr != nil {
			return nil, "", err
		}
		if err := s.SetPassword(ctx, id, password, 0); err != nil {
			return nil, "", err
		}
		if err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET role = 'admin', must_change_password = ? WHERE id = ?", generated != "", id); err != nil {
				return err
			}
			return Changed(ctx, tx)
		}); err != nil {
			return nil, "", err
		}
		u, err = s.ByID(ctx, id)
	}
	if err != nil {
		return nil, "", fmt.Errorf("create admin %s: %w", email, err)
	}
	return u, generated, nil
}

// generatePassword makes a 20-character password from an alphabet without
// look-alike characters.
func generatePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
