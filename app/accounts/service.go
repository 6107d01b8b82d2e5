// Package accounts owns people's accounts: registration, passwords
// (argon2id), sessions (random 256-bit tokens stored only as SHA-256
// hashes, a new one at every sign-in), CSRF tokens, and the middleware that
// turns a request's cookie or Bearer token into an access.Viewer.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// User is an account row.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID               int64       `bun:"id,pk,autoincrement"`
	Email            *string     `bun:"email"`
	DisplayName      string      `bun:"display_name"`
	PasswordHash     string      `bun:"password_hash"`
	Role             access.Role `bun:"role"`
	Locale           string      `bun:"locale"`
	PrivacyConsentAt *time.Time  `bun:"privacy_consent_at"`
	BlockedUntil     *time.Time  `bun:"blocked_until"`
	BlockReason      string      `bun:"block_reason"`
	BlockedBy        *int64      `bun:"blocked_by"`
	TwoFactorAt      *time.Time  `bun:"two_factor_at"`
	EmailVerifiedAt  *time.Time  `bun:"email_verified_at"`
	// CodeConsultationID is the consultation a code account (one made
	// by a participation code) contributes to; nil for other accounts.
	CodeConsultationID *int64     `bun:"code_consultation_id"`
	DeletedAt          *time.Time `bun:"deleted_at"`
	CreatedAt          time.Time  `bun:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at"`

	// MustChangePassword marks a generated one-time password.
	MustChangePassword bool `bun:"must_change_password"`
}

// Verified reports whether the address is confirmed; an account without
// one has nothing to confirm.
func (u *User) Verified() bool { return u.Email == nil || u.EmailVerifiedAt != nil }

// EmailAddress is the user's e-mail, or "" after erasure.
func (u *User) EmailAddress() string {
	if u.Email == nil {
		return ""
	}
	return *u.Email
}

type session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64     `bun:"id,pk,autoincrement"`
	TokenHash string    `bun:"token_hash"`
	UserID    int64     `bun:"user_id"`
	CSRFToken string    `bun:"csrf_token"`
	CreatedAt time.Time `bun:"created_at"`
	// ExpiresAt is the absolute end, SessionTTL after sign-in; the
	// session ends earlier when unused for IdleTimeout after LastSeenAt.
	ExpiresAt  time.Time `bun:"expires_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	UserAgent  string    `bun:"user_agent"`
}

// Session is what a client receives at sign-in: the token (shown once,
// stored only as its hash) and the CSRF token bound to it. When the
// account signs in with a second factor, a right password gives only
// Challenge, which LoginTwoFactor turns into a session.
type Session struct {
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	Challenge string
}

// Limits on account fields.
const (
	MinPassword    = 10
	MaxPassword    = 1024 // argon2id hashes whatever it is given; cap the work
	MaxDisplayName = 60
	MaxEmail       = 254
	SessionTTL     = 30 * 24 * time.Hour
)

// DefaultHashParams follow OWASP's argon2id recommendation (19 MiB, t=2, p=1).
var DefaultHashParams = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Service manages accounts and sessions.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
	params  argon2id.Params
	// dummyHash is compared against when an e-mail is unknown, so a wrong
	// e-mail costs as much time as a wrong password.
	dummyHash string
	// clock, when set, replaces the time (tests move it).
	clock atomic.Pointer[func() time.Time]
	// staffTwoFactor is MITREDEN_STAFF_2FA=required.
	staffTwoFactor bool
	// verifyEmail is MITREDEN_EMAIL_VERIFICATION=required.
	verifyEmail bool
	// deviceKey signs device cookies (LoadDeviceKey).
	deviceKey []byte
	// sessions keeps what Authenticate answered (CacheSessions); nil keeps nothing.
	sessions *sessionCache
	// mailer queues the mails accounts send (SetMailer).
	mailer Mailer
}

// NewService builds the service; params nil means DefaultHashParams.
func NewService(st *store.Store, catalog *locale.Catalog, params *argon2id.Params) (*Service, error) {
	p := DefaultHashParams
	if params != nil {
		p = *params
	}
	dummy, err := argon2id.CreateHash("not a real password", &p)
	if err != nil {
		return nil, err
	}
	commonPasswords() // built now rather than in the first request that needs it
	return &Service{st: st, catalog: catalog, params: p, dummyHash: dummy}, nil
}

// now is the service's time: what sessions, challenges and codes are
// checked against.
func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}

// SetClock replaces the service's time, for tests of expiry.
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

// RequireStaffTwoFactor is MITREDEN_STAFF_2FA=required: admins and
// moderators without a second factor may not act as staff. Set it before
// serving.
func (s *Service) RequireStaffTwoFactor(on bool) { s.staffTwoFactor = on }

// NormalizeEmail lower-cases and trims an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkEmail normalizes an address from the request and records on v
// what is wrong with it (field "email"); every form that takes an address
// checks it so.
func checkEmail(v *problem.Validator, raw string) string {
	email := NormalizeEmail(raw)
	v.Check(email != "", "email", "error.required")
	if email != "" {
		v.Check(validEmail(email), "email", "error.email")
	}
	return email
}

func validEmail(s string) bool {
	if len(s) > MaxEmail || plaintext.Flaw(s) != "" || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// NewAccount is what registration and the command line give.
type NewAccount struct {
	Email          string
	Password       string
	DisplayName    string
	Locale         string
	Role           access.Role
	Groups         []int64
	PrivacyConsent bool
	// MustChangePassword marks Password as generated: the account must
	// set its own before anything else.
	MustChangePassword bool
	// confirm asks the person to confirm the address (a registration
	// while MITREDEN_EMAIL_VERIFICATION=required); other accounts are
	// made by an operator or an administrator and count as confirmed.
	confirm bool
	// invite makes the account without a password and mails a link to
	// set one (Invite).
	invite *invitation
}

// Check validates a new account without creating it.
func (s *Service) Check(ctx context.Context, in NewAccount) error { return s.validate(ctx, &in) }

func (s *Service) validate(ctx context.Context, in *NewAccount) error {
	var v problem.Validator
	in.Email = checkEmail(&v, in.Email)
	if in.Role == "" {
		in.Role = access.Resident
	}
	v.Check(in.Role.Valid(), "role", "error.role")
	name, err := s.checkDisplayName(ctx, s.st.DB, &v, in.DisplayName, in.Role, 0)
	if err != nil {
		return err
	}
	in.DisplayName = name
	checkPassword(&v, "password", in.Password, passwordOwner{Email: in.Email, DisplayName: in.DisplayName})
	if in.Locale == "" {
		in.Locale = locale.Default
	}
	v.Check(s.catalog.Supported(in.Locale), "locale", "error.unsupported_language")
	return v.Err()
}

// ErrEmailTaken is answered (409) when an address is already registered.
var ErrEmailTaken = problem.Conflict("error.email_taken")

// Create makes an account. Experts' groups are joined in the same write.
func (s *Service) Create(ctx context.Context, in NewAccount) (*User, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	// Hash outside the write: it is the slow part and must not hold the writer.
	hash, err := argon2id.CreateHash(in.Password, &s.params)
	if err != nil {
		return nil, err
	}
	now := s.now()
	email := in.Email
	var conf confirmation
	if in.confirm {
		if conf, err = s.newConfirmation(email, in.DisplayName, in.Locale); err != nil {
			return nil, err
		}
	}
	u := &User{Email: &email, DisplayName: in.DisplayName, PasswordHash: hash, Role: in.Role, Locale: in.Locale, MustChangePassword: in.MustChangePassword, CreatedAt: now, UpdatedAt: now}
	switch {
	case in.invite != nil:
		u.PasswordHash = "" // none until the invitation's link sets one
	case !in.confirm:
		u.EmailVerifiedAt = &now // made by an operator or an administrator
	}
	if in.PrivacyConsent {
		u.PrivacyConsentAt = &now
	}
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			return err
		}
		for _, g := range in.Groups {
			if _, err := tx.ExecContext(ctx, "INSERT INTO expert_group_members (group_id, user_id, created_at) VALUES (?, ?, ?)", g, u.ID, now); err != nil {
				return err
			}
		}
		switch {
		case in.invite != nil:
			return s.storeInvitation(ctx, tx, u, in.invite)
		case in.confirm:
			return s.askToConfirm(ctx, tx, u.ID, email, conf)
		}
		return nil
	})
	if err == nil && in.confirm {
		s.mailer.Wake()
	}
	switch {
	case store.IsUniqueViolation(err):
		return nil, ErrEmailTaken
	case store.IsForeignKeyViolation(err):
		return nil, problem.Invalid(problem.Field("group", "error.group_unknown"))
	case err != nil:
		return nil, err
	}
	return u, nil
}

// ErrConsentRequired answers a registration without consent to the
// privacy notice.
var ErrConsentRequired = problem.Invalid(problem.Field("privacy_consent", "error.consent_required"))

// Register creates a resident account, which needs consent to the privacy
// notice, and signs it in.
func (s *Service) Register(ctx context.Context, in NewAccount, client Client) (*User, *Session, error) {
	in.Role, in.Groups, in.MustChangePassword = access.Resident, nil, false
	in.confirm = s.verifyEmail
	if !in.PrivacyConsent {
		return nil, nil, ErrConsentRequired
	}
	u, err := s.Create(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.startSession(ctx, u.ID, client)
	if err != nil {
		return nil, nil, err
	}
	return u, sess, nil
}

// ErrBadCredentials is the one answer to a wrong e-mail or password.
var ErrBadCredentials = &problem.Problem{Status: 401, DetailKey: "error.bad_credentials"}

// Login checks the credentials and starts a new session; the session the
// client had before ends, so a session id never survives a sign-in. An
// account with a second factor gets a challenge instead (Session.Challenge).
func (s *Service) Login(ctx context.Context, email, password string, client Client) (*User, *Session, error) {
	email = NormalizeEmail(email)
	var u User
	err := s.st.DB.NewSelect().Model(&u).Where("email = ? AND deleted_at IS NULL", email).Scan(ctx)
	if err != nil && !store.IsNoRows(err) {
		return nil, nil, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = s.dummyHash
	}
	ok, cmpErr := argon2id.ComparePasswordAndHash(password, hash)
	if cmpErr != nil || !ok || u.ID == 0 {
		return nil, nil, ErrBadCredentials
	}
	if u.TwoFactorAt != nil {
		challenge, err := s.startChallenge(ctx, u.ID)
		if err != nil {
			return nil, nil, err
		}
		return &u, &Session{Challenge: challenge}, nil
	}
	sess, err := s.startSession(ctx, u.ID, client)
	if err != nil {
		return nil, nil, err
	}
	return &u, sess, nil
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ByID loads an account.
func (s *Service) ByID(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.st.DB.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
	if store.IsNoRows(err) {
		return nil, problem.NotFound()
	}
	return &u, err
}

// SetPassword replaces a password, after checking it against the rules,
// and ends every session of the account except keepSession (0 ends them
// all). A one-time password is then gone.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string, keepSession int64) error {
	u, err := s.liveUser(ctx, userID)
	if err != nil {
		return err
	}
	var v problem.Validator
	checkPassword(&v, "password", password, passwordOwner{Email: u.EmailAddress(), DisplayName: u.DisplayName})
	if err := v.Err(); err != nil {
		return err
	}
	return s.storePassword(ctx, userID, password, keepSession, nil)
}

// liveUser loads an account that is not erased.
func (s *Service) liveUser(ctx context.Context, userID int64) (*User, error) {
	u, err := s.ByID(ctx, userID)
	if err == nil && u.DeletedAt != nil {
		err = problem.NotFound()
	}
	return u, err
}

// storePassword sets a checked password.
// tell, when set, is the notification the account gets.
func (s *Service) storePassword(ctx context.Context, userID int64, password string, keepSession int64, tell *notifications.Notice) error {
	hash, err := argon2id.CreateHash(password, &s.params)
	if err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).
			Set("password_hash = ?", hash).Set("must_change_password = ?", false).Set("updated_at = ?", s.now()).
			Where("id = ? AND deleted_at IS NULL", userID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound()
		}
		if _, err = tx.NewDelete().Model((*session)(nil)).Where("user_id = ? AND id <> ?", userID, keepSession).Exec(ctx); err != nil {
			return err
		}
		if tell != nil {
			if err := notifications.Notify(ctx, tx, s.catalog, notifications.To(userID), *tell); err != nil {
				return err
			}
		}
		return Changed(ctx, tx)
	})
}

// IDByEmail finds an account by address.
func (s *Service) IDByEmail(ctx context.Context, email string) (int64, error) {
	var id int64
	err := s.st.DB.NewRaw("SELECT id FROM users WHERE email = ? AND deleted_at IS NULL", NormalizeEmail(email)).Scan(ctx, &id)
	if store.IsNoRows(err) {
		return 0, problem.NotFound()
	}
	return id, err
}
