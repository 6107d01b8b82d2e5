package notifications_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		rana := s.Register("settings@example.org", "Rana")
		defaults := map[string]string{
			"decision": "immediate", "answer": "immediate", "report_outcome": "immediate", "account": "immediate",
			"reply": "daily", "measure_status": "daily", "queue": "daily", "inbox": "daily",
		}
		var got map[string]string
		rana.Get("/api/v1/me/notification-settings").JSON(t, &got)
		if !equal(got, defaults) {
			t.Fatalf("defaults: %v", got)
		}
		r := rana.Do("PUT", "/api/v1/me/notification-settings", map[string]string{"reply": "immediate", "queue": "off"})
		if r.Status != http.StatusOK {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &got)
		want := map[string]string{}
		for k, v := range defaults {
			want[k] = v
		}
		want["reply"], want["queue"] = "immediate", "off"
		if !equal(got, want) {
			t.Fatalf("after put: %v", got)
		}
		// Kinds left out keep their setting.
		rana.Do("PUT", "/api/v1/me/notification-settings", map[string]string{"decision": "daily"}).JSON(t, &got)
		want["decision"] = "daily"
		if !equal(got, want) {
			t.Fatalf("after a second put: %v", got)
		}
		for _, bad := range []struct {
			name  string
			body  any
			field string
		}{
			{"account off", map[string]string{"account": "off"}, "account"},
			{"unknown kind", map[string]string{"newsletter": "daily"}, "newsletter"},
			{"unknown delivery", map[string]string{"answer": "weekly"}, "answer"},
			{"not a string", map[string]any{"answer": 1}, "answer"},
		} {
			r := rana.Do("PUT", "/api/v1/me/notification-settings", bad.body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `"field":"`+bad.field+`"`) {
				t.Errorf("%s: %d %s", bad.name, r.Status, r.Body)
			}
		}
		rana.Get("/api/v1/me/notification-settings").JSON(t, &got)
		if !equal(got, want) {
			t.Errorf("refused changes changed something: %v", got)
		}
		if r := s.Client().Get("/api/v1/me/notification-settings"); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", r.Status)
		}
		// Each person has their own.
		other := s.Register("settings-other@example.org", "Other")
		other.Get("/api/v1/me/notification-settings").JSON(t, &got)
		if !equal(got, defaults) {
			t.Errorf("another person's settings: %v", got)
		}
		// The export lists what was chosen.
		var export struct {
			Settings []struct{ Kind, Delivery string } `json:"notification_settings"`
		}
		rana.Get("/api/v1/me/export").JSON(t, &export)
		if len(export.Settings) != 3 {
			t.Errorf("export: %+v", export.Settings)
		}
	})
}

func TestNotificationSettingsPage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.RegisterForm("settings-page@example.org", "Formular")
		if page := b.Get("/me").Text(); !strings.Contains(page, `href="/me/notification-settings"`) {
			t.Errorf("/me does not link to the settings")
		}
		page := b.Get("/me/notification-settings")
		apptest.CheckPage(t, page, "de")
		if strings.Contains(page.Text(), `name="account" value="off"`) {
			t.Errorf("account notices can be turned off on the page")
		}
		if strings.Contains(page.Text(), `name="queue"`) || strings.Contains(page.Text(), `name="inbox"`) {
			t.Errorf("a resident is asked about the moderators' queue or an expert group's inbox")
		}
		if staff := s.Admin().Get("/me/notification-settings").Text(); !strings.Contains(staff, `name="queue"`) {
			t.Errorf("an administrator is not asked about the moderators' queue")
		}
		csrf := apptest.FormCSRF(t, page)
		r := b.Do("POST", "/me/notification-settings", url.Values{"_csrf": {csrf}, "reply": {"off"}, "decision": {"daily"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		page = b.Get("/me/notification-settings")
		if !strings.Contains(page.Text(), `name="reply" value="off" checked`) || !strings.Contains(page.Text(), `name="decision" value="daily" checked`) {
			t.Errorf("the page does not show what was saved")
		}
		// A forged choice is refused beside its field, nothing saved.
		r = b.Do("POST", "/me/notification-settings", url.Values{"_csrf": {csrf}, "account": {"off"}, "reply": {"immediate"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `id="field-account-error"`) {
			t.Errorf("account off: %d", r.Status)
		}
		apptest.CheckPage(t, b.Get("/me/notification-settings?lang=ar"), "ar")
	})
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
