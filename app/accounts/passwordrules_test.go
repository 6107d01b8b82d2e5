package accounts_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// weakPasswords break one rule each for an account lena.schulz@example.org
// called "Lena Schulz", whose current password is apptest.Password.
var weakPasswords = []struct {
	name, password, message string
}{
	{"too short", "kurz-9chr", "at least 10"},
	{"common", "1234567890", "common"},
	{"common in capitals", "PASSWORD123", "common"},
	{"keyboard row", "qwertyuiop", "common"},
	{"keyboard pattern", "1q2w3e4r5t6y", "common"},
	{"one repeated character", "aaaaaaaaaa", "repeated"},
	{"one repeated letter in any case", "ZZZZZZZZZZZZ", "repeated"},
	{"the e-mail's local part", "my-LENA.SCHULZ-pass", "e-mail"},
	{"the display name", "xx lena schulz xx", "display name"},
}

// message is the English error text for field in a 422 answer.
func message(t *testing.T, r *apptest.Response, field string) string {
	t.Helper()
	var p struct {
		Errors []struct{ Field, Message string }
	}
	r.JSON(t, &p)
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	t.Fatalf("no error for %s: %d %s", field, r.Status, r.Body)
	return ""
}

// Registration through the API and the form refuses each weak password
// with its own reason.
func TestRegistrationRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		c.Headers["Accept-Language"] = "en"
		for _, w := range weakPasswords {
			r := c.Do("POST", "/api/v1/auth/register", map[string]any{
				"email": "Lena.Schulz@example.org", "password": w.password, "display_name": "Lena Schulz", "privacy_consent": true,
			})
			if r.Status != 422 {
				t.Fatalf("%s: %d %s", w.name, r.Status, r.Body)
			}
			if m := message(t, r, "password"); !strings.Contains(m, w.message) {
				t.Errorf("%s: message %q does not say %q", w.name, m, w.message)
			}
		}
		// A short name or local part is no rule: "Jo" may use "jo" in a password.
		r := c.Do("POST", "/api/v1/auth/register", map[string]any{
			"email": "jo@example.org", "password": "jo-likes-long-walks", "display_name": "Jo", "privacy_consent": true,
		})
		if r.Status != 201 {
			t.Fatalf("a password with a short name in it: %d %s", r.Status, r.Body)
		}

		b := s.Client()
		b.Get("/register")
		r = b.Do("POST", "/register?lang=en", url.Values{
			"_csrf": {b.Cookie("mitreden_csrf")}, "email": {"lena.schulz@example.org"}, "display_name": {"Lena Schulz"},
			"password": {"password123"}, "consent": {"yes"},
		})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-password"`) || !strings.Contains(r.Text(), "common") {
			t.Fatalf("form with a common password: %d", r.Status)
		}
	})
}

// Changing a password keeps the same rules, and the new one must differ
// from the current one: through the API and the form on /me.
func TestPasswordChangeRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		lena := s.Register("lena.schulz@example.org", "Lena Schulz")
		lena.Headers["Accept-Language"] = "en"
		changes := append(weakPasswords, struct{ name, password, message string }{"the current password", apptest.Password, "current"})
		for _, w := range changes {
			r := lena.Do("POST", "/api/v1/me/password", map[string]string{"current_password": apptest.Password, "new_password": w.password})
			if r.Status != 422 {
				t.Fatalf("%s: %d %s", w.name, r.Status, r.Body)
			}
			if m := message(t, r, "new_password"); !strings.Contains(m, w.message) {
				t.Errorf("%s: message %q does not say %q", w.name, m, w.message)
			}
		}

		b := s.Browser("lena.schulz@example.org", apptest.Password)
		b.CSRF = ""
		csrf := apptest.FormCSRF(t, b.Get("/me"))
		r := b.Do("POST", "/me/password?lang=en", url.Values{
			"_csrf": {csrf}, "current_password": {apptest.Password}, "new_password": {"qwertyuiop"}, "new_password_confirm": {"qwertyuiop"},
		})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-new_password"`) || !strings.Contains(r.Text(), "common") {
			t.Fatalf("form with a common password: %d", r.Status)
		}
	})
}

// The command line refuses a weak password with exit status 2 and one line.
func TestCommandLineRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		db := s.App.Config.DB
		dbURL := db.URL
		if db.Driver == config.SQLite {
			dbURL = "sqlite://" + db.Path
		}
		run := func(stdin string, args ...string) (int, string) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(append(args, "--password-stdin", "--db", dbURL),
				cli.IO{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Env: func(string) string { return "" }})
			return code, stderr.String()
		}
		for _, w := range []struct{ name, password string }{{"common", "password123"}, {"repeated", "1111111111"}, {"local part", "greta.lind-2025"}} {
			code, stderr := run(w.password+"\n", "user", "add", "--email", "greta.lind@example.org", "--name", "Greta", "--role", "expert")
			if code != 2 || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.Contains(stderr, "password") {
				t.Fatalf("user add with a %s password: %d %q", w.name, code, stderr)
			}
			if w.name == "local part" {
				continue // greta's local part is no rule for the administrator
			}
			code, stderr = run(w.password+"\n", "user", "set-password", "--email", apptest.AdminEmail)
			if code != 2 || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.Contains(stderr, "password") {
				t.Fatalf("set-password with a %s password: %d %q", w.name, code, stderr)
			}
		}
		if _, err := s.App.Accounts.IDByEmail(context.Background(), "greta.lind@example.org"); err == nil {
			t.Fatal("user add created an account with a weak password")
		}
		s.Admin() // the password is unchanged
	})
}

// MITREDEN_ADMIN_PASSWORD must pass the rules at first start: a weak one
// ends the start with a usage error (exit status 2, one line).
func TestWeakAdministratorPasswordStopsTheStart(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		cfg := apptest.Config(db)
		cfg.AdminEmail, cfg.AdminPassword = "ops@example.org", "qwertyuiop"
		app, err := server.Build(context.Background(), cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err == nil {
			app.Close()
			t.Fatal("the server started with a common administrator password")
		}
		if !config.IsUsage(err) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "MITREDEN_ADMIN_PASSWORD") {
			t.Fatalf("not a one-line usage error naming the setting: %v", err)
		}
		if strings.Contains(err.Error(), "qwertyuiop") {
			t.Fatal("the error repeats the password")
		}
	})
}
