package accounts_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mitreden/mitreden/app/apptest"
)

// clock is a time a test moves; the accounts service reads it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// setClock gives the server's accounts service a clock at the start of a
// 30-second TOTP step, so that the codes a test computes are predictable.
func setClock(s *apptest.Server) *clock {
	c := &clock{now: time.Now().UTC().Truncate(30 * time.Second).Add(time.Second)}
	s.App.Accounts.SetClock(c.Now)
	return c
}

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a six-digit code that is not right at at.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222"} {
		if c != code(t, secret, at) && c != code(t, secret, at.Add(-30*time.Second)) && c != code(t, secret, at.Add(30*time.Second)) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// enableTwoFactor turns on two-step sign-in for c through the API and
// answers the secret and the recovery codes.
func enableTwoFactor(t *testing.T, c *apptest.Client, now time.Time) (string, []string) {
	t.Helper()
	r := c.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"})
	if r.Status != http.StatusOK {
		t.Fatalf("begin 2fa: %d %s", r.Status, r.Body)
	}
	var setup struct {
		Secret string `json:"secret"`
		URL    string `json:"otpauth_url"`
	}
	r.JSON(t, &setup)
	r = c.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": code(t, setup.Secret, now)})
	if r.Status != http.StatusOK {
		t.Fatalf("confirm 2fa: %d %s", r.Status, r.Body)
	}
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	r.JSON(t, &out)
	return setup.Secret, out.Codes
}

type challengeAnswer struct {
	Required  bool   `json:"two_factor_required"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
}

func challenge(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	r := s.Client().Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "a-good-password"})
	var a challengeAnswer
	r.JSON(t, &a)
	if r.Status != http.StatusOK || !a.Required || a.Challenge == "" || a.Token != "" {
		t.Fatalf("login with 2fa on: %d %s", r.Status, r.Body)
	}
	return a.Challenge
}

func secondStep(s *apptest.Server, challenge, code string) *apptest.Response {
	return s.Client().Do(http.MethodPost, "/api/v1/auth/login/2fa", map[string]string{"challenge": challenge, "code": code})
}

// wantWrongCode checks a refused code at sign-in: 401 naming the field.
func wantWrongCode(t *testing.T, r *apptest.Response) {
	t.Helper()
	r.WantProblem(t, http.StatusUnauthorized, "code")
}

// wantSignIn checks a finished sign-in and that its token works.
func wantSignIn(t *testing.T, s *apptest.Server, r *apptest.Response) {
	t.Helper()
	var a struct {
		User  struct{ ID int64 } `json:"user"`
		Token string             `json:"token"`
		CSRF  string             `json:"csrf_token"`
	}
	r.JSON(t, &a)
	if r.Status != http.StatusOK || a.Token == "" || a.CSRF == "" || a.User.ID == 0 {
		t.Fatalf("second step: %d %s", r.Status, r.Body)
	}
	c := s.Client()
	c.Token = a.Token
	if r := c.Get("/api/v1/me"); r.Status != http.StatusOK {
		t.Fatalf("the new session does not work: %d", r.Status)
	}
}

func TestTwoFactorSignIn(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		lea := s.Register("lea@example.org", "Lea")
		if m := lea.Get("/api/v1/me").Map(t); m["two_factor"] != false {
			t.Fatalf("/me before: %v", m)
		}

		// Setting up needs the password; a new setup replaces one not confirmed.
		lea.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "wrong-password"}).WantProblem(t, 422, "current_password")
		lea.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{}).WantProblem(t, 422, "current_password")
		r := lea.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"})
		var first struct {
			Secret string `json:"secret"`
			URL    string `json:"otpauth_url"`
		}
		r.JSON(t, &first)
		if r.Status != 200 || len(first.Secret) < 32 || !strings.HasPrefix(first.URL, "otpauth://totp/mitreden:lea@example.org?") || !strings.Contains(first.URL, "secret="+first.Secret) {
			t.Fatalf("begin: %d %s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the secret may be cached: %q", cc)
		}
		if m := lea.Get("/api/v1/me").Map(t); m["two_factor"] != false {
			t.Fatal("two_factor is on before confirming")
		}
		var second struct{ Secret string }
		lea.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"}).JSON(t, &second)
		secret := second.Secret
		if secret == first.Secret || secret == "" {
			t.Fatal("a new setup kept the old secret")
		}
		if old := code(t, first.Secret, clk.Now()); old != code(t, secret, clk.Now()) {
			lea.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": old}).WantProblem(t, 422, "code")
		}
		lea.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": ""}).WantProblem(t, 422, "code")
		r = lea.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": code(t, secret, clk.Now())})
		var confirmed struct {
			Codes []string `json:"recovery_codes"`
		}
		r.JSON(t, &confirmed)
		codes := confirmed.Codes
		if r.Status != 200 || len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Fatalf("recovery codes %q", codes)
		}
		if m := lea.Get("/api/v1/me").Map(t); m["two_factor"] != true {
			t.Fatalf("/me after: %v", m)
		}
		lea.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"}).WantProblem(t, 409, "")
		var stored int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM recovery_codes WHERE code_hash IN (?)", codes[0]).Scan(t.Context(), &stored); err != nil || stored != 0 {
			t.Fatalf("a recovery code is stored as it is: %d %v", stored, err)
		}

		// The password alone gives a challenge, not a session.
		ch := challenge(t, s, "lea@example.org")
		wantWrongCode(t, secondStep(s, ch, wrongCode(t, secret, clk.Now())))
		// The step that confirmed the setup is used up.
		wantWrongCode(t, secondStep(s, ch, code(t, secret, clk.Now())))
		clk.Add(30 * time.Second)
		now := code(t, secret, clk.Now())
		wantSignIn(t, s, secondStep(s, ch, now))
		// A challenge that finished is gone; a new one refuses the same code.
		secondStep(s, ch, now).WantProblem(t, http.StatusUnauthorized, "")
		wantWrongCode(t, secondStep(s, challenge(t, s, "lea@example.org"), now))

		// Recovery codes work once each, typed in any case.
		wantSignIn(t, s, secondStep(s, challenge(t, s, "lea@example.org"), codes[0]))
		wantWrongCode(t, secondStep(s, challenge(t, s, "lea@example.org"), codes[0]))
		wantSignIn(t, s, secondStep(s, challenge(t, s, "lea@example.org"), " "+strings.ToUpper(codes[1])))

		// Five tries, then the password is needed again.
		ch = challenge(t, s, "lea@example.org")
		for range 5 {
			wantWrongCode(t, secondStep(s, ch, wrongCode(t, secret, clk.Now())))
		}
		clk.Add(30 * time.Second)
		r = secondStep(s, ch, code(t, secret, clk.Now()))
		r.WantProblem(t, http.StatusUnauthorized, "")
		if strings.Contains(r.Text(), `"errors"`) {
			t.Fatalf("a used-up challenge answers like a wrong code: %s", r.Body)
		}

		// A challenge lives five minutes.
		ch = challenge(t, s, "lea@example.org")
		clk.Add(5*time.Minute + time.Second)
		r = secondStep(s, ch, code(t, secret, clk.Now()))
		r.WantProblem(t, http.StatusUnauthorized, "")

		// At most five challenges of one account are open at once.
		for range 5 {
			challenge(t, s, "lea@example.org")
		}
		r = s.Client().Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "lea@example.org", "password": "a-good-password"})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("sixth open challenge: %d %s", r.Status, r.Body)
		}
		clk.Add(5*time.Minute + time.Second)
		ch = challenge(t, s, "lea@example.org")

		// Bad requests name the field.
		secondStep(s, ch, "").WantProblem(t, 422, "code")
		secondStep(s, "", "123456").WantProblem(t, 422, "challenge")
		secondStep(s, strings.Repeat("x", 500), "123456").WantProblem(t, 401, "")

		// Turning it off needs the password and a code.
		clk.Add(30 * time.Second)
		lea.Do(http.MethodDelete, "/api/v1/me/2fa", map[string]string{"current_password": "wrong-password", "code": code(t, secret, clk.Now())}).WantProblem(t, 422, "current_password")
		lea.Do(http.MethodDelete, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password", "code": wrongCode(t, secret, clk.Now())}).WantProblem(t, 422, "code")
		lea.Do(http.MethodDelete, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"}).WantProblem(t, 422, "code")
		if r := lea.Do(http.MethodDelete, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password", "code": code(t, secret, clk.Now())}); r.Status != http.StatusNoContent {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if m := lea.Get("/api/v1/me").Map(t); m["two_factor"] != false {
			t.Fatal("two_factor still on")
		}
		lea.Do(http.MethodDelete, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password", "code": "123456"}).WantProblem(t, 409, "")
		s.Login("lea@example.org", "a-good-password")
		var left int
		if err := s.App.Store.DB.NewRaw("SELECT (SELECT COUNT(*) FROM recovery_codes) + (SELECT COUNT(*) FROM two_factor_keys) + (SELECT COUNT(*) FROM login_challenges)").Scan(t.Context(), &left); err != nil || left != 0 {
			t.Fatalf("rows left after turning 2fa off: %d %v", left, err)
		}
	})
}

// Changes to the second factor are security events; no secret, code or
// token reaches the log.
func TestTwoFactorEventsAreLogged(t *testing.T) {
	t.Parallel()
	log := &syncBuffer{}
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		nour := s.Register("nour@example.org", "Nour")
		r := nour.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": "a-good-password"})
		var setup struct{ Secret string }
		r.JSON(t, &setup)
		nour.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": wrongCode(t, setup.Secret, clk.Now())}).WantProblem(t, 422, "code")
		r = nour.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": code(t, setup.Secret, clk.Now())})
		var codes struct {
			Codes []string `json:"recovery_codes"`
		}
		r.JSON(t, &codes)
		ch := challenge(t, s, "nour@example.org")
		wantWrongCode(t, secondStep(s, ch, wrongCode(t, setup.Secret, clk.Now())))
		wantSignIn(t, s, secondStep(s, ch, codes.Codes[0]))
		admin := s.Admin()
		if r := admin.Do(http.MethodDelete, fmt.Sprintf("/api/v1/users/%d/2fa", nour.UserID), nil); r.Status != 204 {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		out := log.String()
		for _, want := range []string{
			fmt.Sprintf("msg=security event=auth.2fa_failed user=%d ip=", nour.UserID),
			fmt.Sprintf("msg=security event=auth.2fa_enabled user=%d ip=", nour.UserID),
			fmt.Sprintf("msg=security event=auth.login user=%d second_factor=true ip=", nour.UserID),
			fmt.Sprintf("msg=security event=auth.2fa_disabled user=%d actor=%d ip=", nour.UserID, admin.UserID),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q:\n%s", want, out)
			}
		}
		for _, secret := range append([]string{setup.Secret, ch, strings.ReplaceAll(codes.Codes[0], "-", "")}, codes.Codes...) {
			if strings.Contains(out, secret) {
				t.Errorf("the log shows a secret %q", secret)
			}
		}
	}, apptest.WithLog(log))
}

// Erasing an account takes its second factor with it; the export shows
// where it was signed in.
func TestErasureAndExportOfSignInData(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		s.Register("lea@example.org", "Lea")
		lea := signInFrom(t, s, "lea@example.org", phoneAgent)
		enableTwoFactor(t, lea, clk.Now())
		challenge(t, s, "lea@example.org")
		var export struct {
			Sessions []struct {
				UserAgent  string     `json:"user_agent"`
				LastSeenAt *time.Time `json:"last_seen_at"`
			} `json:"sessions"`
		}
		lea.Get("/api/v1/me/export").JSON(t, &export)
		if len(export.Sessions) != 2 || export.Sessions[1].UserAgent != phoneAgent || export.Sessions[1].LastSeenAt == nil {
			t.Fatalf("export sessions: %+v", export.Sessions)
		}
		if r := lea.Do(http.MethodDelete, "/api/v1/me", nil); r.Status != http.StatusNoContent {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		var left int
		if err := s.App.Store.DB.NewRaw(`SELECT (SELECT COUNT(*) FROM recovery_codes) + (SELECT COUNT(*) FROM two_factor_keys)
 + (SELECT COUNT(*) FROM login_challenges) + (SELECT COUNT(*) FROM users WHERE two_factor_at IS NOT NULL)`).Scan(t.Context(), &left); err != nil || left != 0 {
			t.Fatalf("second-factor rows left after erasure: %d %v", left, err)
		}
	})
}
