package accounts_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
)

func withStaffTwoFactor() apptest.Option {
	return func(s *apptest.Setup) { s.Config.Staff2FA = true }
}

// With MITREDEN_STAFF_2FA=required, admins and moderators act as staff
// only once they turned on two-step sign-in; everything else they may.
func TestStaffTwoFactorRequired(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		admin := s.Login(apptest.AdminEmail, apptest.AdminPassword)
		// The administrator signs in with the password alone: 2FA is not on yet.
		staffOnly := []struct{ method, path string }{
			{http.MethodGet, "/api/v1/moderation/queue"},
			{http.MethodPost, "/api/v1/consultations"},
			{http.MethodGet, "/api/v1/users"},
		}
		for _, c := range staffOnly {
			r := admin.Do(c.method, c.path, map[string]any{"slug": "neu"})
			r.WantProblem(t, http.StatusForbidden, "")
			if m := r.Map(t); m["code"] != "two_factor_required" {
				t.Fatalf("%s %s: %s", c.method, c.path, r.Body)
			}
		}
		if r := admin.Do(http.MethodPut, "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != http.StatusOK {
			t.Fatalf("an admin without 2fa cannot vote: %d %s", r.Status, r.Body)
		}
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{Email: "mod@example.org", Password: "a-good-password", DisplayName: "Mod", Role: access.Moderator}); err != nil {
			t.Fatal(err)
		}
		mod := s.Login("mod@example.org", "a-good-password")
		if r := mod.Get("/api/v1/moderation/queue"); r.Status != http.StatusForbidden || !strings.Contains(r.Text(), "two_factor_required") {
			t.Fatalf("a moderator without 2fa: %d %s", r.Status, r.Body)
		}
		if r := s.Register("res@example.org", "Resi").Do(http.MethodPut, "/api/v1/measures/1/vote", map[string]int{"value": -1}); r.Status != http.StatusOK {
			t.Fatalf("a resident is bothered: %d", r.Status)
		}

		// Pages say so: a banner everywhere, the section on /me.
		browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		home := browser.Get("/").Text()
		if !strings.Contains(home, `href="/me#two-factor"`) || strings.Contains(home, `href="/admin"`) {
			t.Fatal("the home page neither tells the admin to turn on 2fa nor hides the admin link")
		}
		page := browser.Get("/me")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), `class="notice"`) || !strings.Contains(page.Text(), `action="/me/2fa"`) {
			t.Fatal("/me does not lead to turning on 2fa")
		}

		// Pages kept for signed-in readers keep the two apart: an admin
		// with 2FA on reads a measure first, then one who must turn it on.
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{Email: "admin2@example.org", Password: "a-good-password", DisplayName: "Zweite Administration", Role: access.Admin}); err != nil {
			t.Fatal(err)
		}
		admin2 := s.Browser("admin2@example.org", "a-good-password")
		enableTwoFactor(t, admin2, clk.Now())
		for range 2 {
			if m := admin2.Get("/m/1").Text(); strings.Contains(m, `href="/me#two-factor"`) || !strings.Contains(m, `href="/admin"`) {
				t.Fatal("the measure page of an admin with 2fa")
			}
		}
		if m := browser.Get("/m/1").Text(); !strings.Contains(m, `href="/me#two-factor"`) || strings.Contains(m, `href="/admin"`) {
			t.Fatal("an admin who must turn on 2fa got another admin's measure page")
		}

		// Turning it on is allowed, and then staff actions are.
		r := admin.Do(http.MethodPost, "/api/v1/me/2fa", map[string]string{"current_password": apptest.AdminPassword})
		var setup struct{ Secret string }
		r.JSON(t, &setup)
		if r := admin.Do(http.MethodPost, "/api/v1/me/2fa/confirm", map[string]string{"code": code(t, setup.Secret, clk.Now())}); r.Status != http.StatusOK {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if r := admin.Get("/api/v1/moderation/queue"); r.Status != http.StatusOK {
			t.Fatalf("the admin with 2fa on: %d %s", r.Status, r.Body)
		}
		if home := browser.Get("/").Text(); strings.Contains(home, `href="/me#two-factor"`) || !strings.Contains(home, `href="/admin"`) {
			t.Fatal("the banner stays after turning 2fa on")
		}
	}, withStaffTwoFactor())
}

// Someone who lost device and recovery codes gets back in through an
// administrator (API and page), with an audit entry.
func TestAdminResetsTwoFactor(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		lea := s.Register("lea@example.org", "Lea")
		enableTwoFactor(t, lea, clk.Now())
		admin := s.Admin()
		path := fmt.Sprintf("/api/v1/users/%d/2fa", lea.UserID)
		if r := lea.Do(http.MethodDelete, path, nil); r.Status != http.StatusForbidden {
			t.Fatalf("a resident resets 2fa: %d", r.Status)
		}
		admin.Do(http.MethodDelete, "/api/v1/users/999999/2fa", nil).WantProblem(t, 404, "")
		if r := admin.Do(http.MethodDelete, path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		s.Login("lea@example.org", "a-good-password")
		var audited int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action = 'user.reset_2fa' AND object_id = ?", fmt.Sprint(lea.UserID)).Scan(t.Context(), &audited); err != nil || audited != 1 {
			t.Fatalf("audit entries: %d %v", audited, err)
		}
		// Again: nothing to reset, still 204.
		if r := admin.Do(http.MethodDelete, path, nil); r.Status != http.StatusNoContent {
			t.Fatalf("second reset: %d", r.Status)
		}

		// The button on the account page.
		enableTwoFactor(t, lea, clk.Now())
		browser := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		page := browser.Get(fmt.Sprintf("/admin/users/%d", lea.UserID))
		apptest.CheckPage(t, page, "de")
		action := fmt.Sprintf(`action="/admin/users/%d/2fa/reset"`, lea.UserID)
		if !strings.Contains(page.Text(), action) {
			t.Fatal("the account page has no reset button")
		}
		csrf := browser.CSRF
		browser.CSRF = ""
		r := browser.Do(http.MethodPost, fmt.Sprintf("/admin/users/%d/2fa/reset", lea.UserID), url.Values{"_csrf": {csrf}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("reset form: %d %s", r.Status, r.Body)
		}
		if page := browser.Get(fmt.Sprintf("/admin/users/%d", lea.UserID)).Text(); strings.Contains(page, action) {
			t.Fatal("the account page still offers a reset")
		}
		s.Login("lea@example.org", "a-good-password")
	})
}

// mitreden user reset-2fa does the same from the command line.
func TestResetTwoFactorCommand(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		clk := setClock(s)
		lea := s.Register("lea@example.org", "Lea")
		enableTwoFactor(t, lea, clk.Now())
		db := s.App.Config.DB
		dbURL := db.URL
		if db.Driver == config.SQLite {
			dbURL = "sqlite://" + db.Path
		}
		run := func(args ...string) (int, string) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(append([]string{"user", "reset-2fa"}, args...), cli.IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Env: func(string) string { return "" }})
			return code, stderr.String()
		}
		if code, out := run("--db", dbURL); code != 2 || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Fatalf("without --email: %d %q", code, out)
		}
		if code, out := run("--email", "nobody@example.org", "--db", dbURL); code != 1 {
			t.Fatalf("unknown address: %d %q", code, out)
		}
		code, out := run("--email", "LEA@example.org", "--db", dbURL)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("msg=security event=auth.2fa_disabled user=%d", lea.UserID)) {
			t.Fatalf("reset-2fa: %d %q", code, out)
		}
		// The password alone signs in again, in the running server too.
		s.Login("lea@example.org", "a-good-password")
		if m := lea.Get("/api/v1/me").Map(t); m["two_factor"] != false {
			t.Fatalf("/me after the reset: %v", m)
		}
	})
}
