package notifications_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/mail/mailtest"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// A notification whose kind comes at once is mailed in the person's
// language with a one-click unsubscribe link (RFC 8058); the link turns
// that kind off. Daily kinds wait for the digest, which `mitreden mail
// digest` sends at once: one mail per person, nothing when none waits.
func TestNotificationMail(t *testing.T) {
	t.Parallel()
	apptest.WithMailServer(t, func(t *testing.T, s *apptest.Server, smtpd *mailtest.Server) {
		admin := s.Admin()
		layla := s.RegisterIn("layla@example.org", "Layla", "ar")
		jan := s.RegisterIn("jan@example.org", "Jan", "de")
		// Layla gets answers at once (the default); Jan asks for reports'
		// outcomes once a day.
		if r := jan.Do("PUT", "/api/v1/me/notification-settings", map[string]string{"measure_status": "immediate"}); r.Status != 200 {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		layla.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		jan.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": -1})
		if r := admin.Do("PATCH", "/api/v1/measures/1", map[string]any{"status": "adopted", "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		// Jan wants it at once; Layla's measure_status is daily.
		got := smtpd.Wait(t, 1, 10*time.Second)
		m := got[0]
		if m.Envelope.To != "jan@example.org" || !strings.Contains(m.Subject, "Neuigkeit") || !strings.Contains(m.Text, "Die Maßnahme ist beschlossen.") || !strings.Contains(m.Text, "/m/1") {
			t.Fatalf("mail to %s: %q\n%s", m.Envelope.To, m.Subject, m.Text)
		}
		if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post %q", m.Header.Get("List-Unsubscribe-Post"))
		}
		link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
		u, err := url.Parse(link)
		if err != nil || u.Path != "/unsubscribe" || u.Query().Get("token") == "" {
			t.Fatalf("List-Unsubscribe %q", link)
		}
		// Opening the link changes nothing; the one-click POST, without a
		// session or a CSRF token, turns the kind off.
		anon := s.Client()
		page := anon.Get(u.RequestURI())
		apptest.CheckPage(t, page, "de")
		var settings map[string]string
		jan.Get("/api/v1/me/notification-settings").JSON(t, &settings)
		if settings["measure_status"] != "immediate" {
			t.Fatalf("opening the link changed the setting: %v", settings)
		}
		if r := anon.Do("POST", u.RequestURI(), apptest.Raw{ContentType: "application/x-www-form-urlencoded", Body: []byte("List-Unsubscribe=One-Click")}); r.Status != 200 {
			t.Fatalf("one-click: %d %s", r.Status, r.Body)
		}
		jan.Get("/api/v1/me/notification-settings").JSON(t, &settings)
		if settings["measure_status"] != "off" {
			t.Fatalf("after unsubscribing: %v", settings)
		}
		if r := anon.Do("POST", "/unsubscribe?token=nonsense", nil); r.Status != 400 {
			t.Errorf("unknown token: %d", r.Status)
		}
		if r := admin.Do("PATCH", "/api/v1/measures/1", map[string]any{"status": "implemented", "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		smtpd.Quiet(t, 1, 700*time.Millisecond)

		// Layla's two daily notifications: one digest, in Arabic.
		var out bytes.Buffer
		run := func() {
			t.Helper()
			io := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Env: func(k string) string {
				switch k {
				case "MITREDEN_SMTP_URL":
					return smtpd.URL()
				case "MITREDEN_PUBLIC_URL":
					return s.URL
				}
				return ""
			}}
			if code := cli.Main([]string{"mail", "digest", "--db", s.App.Store.Source().String()}, io); code != 0 {
				t.Fatalf("mitreden mail digest: %d\n%s", code, out.String())
			}
		}
		run()
		got = smtpd.Wait(t, 2, 10*time.Second)
		d := got[1]
		if d.Envelope.To != "layla@example.org" || !strings.Contains(d.HTML, `dir="rtl"`) || !strings.Contains(d.Text, "تم اعتماد الإجراء.") || !strings.Contains(d.Text, "تم تنفيذ الإجراء.") {
			t.Fatalf("digest to %s: %q\n%s", d.Envelope.To, d.Subject, d.Text)
		}
		if d.Header.Get("List-Unsubscribe") == "" {
			t.Errorf("the digest has no List-Unsubscribe")
		}
		// Nothing pending: nothing sent.
		run()
		smtpd.Quiet(t, 2, 500*time.Millisecond)
	})
}

// Two instances on one PostgreSQL database reach the digest hour
// together: one of them does the day's work, and each digest goes out once.
func TestDailyDigestOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("several instances run on PostgreSQL")
		}
		smtpd := mailtest.Start(t)
		opts := []apptest.Option{apptest.WithSMTP(smtpd.URL()), apptest.WithMail(func(o *mail.Options) {
			o.FirstRetry, o.PollEvery = 50*time.Millisecond, 200*time.Millisecond
		})}
		a := apptest.Start(t, db, opts...)
		b := apptest.Start(t, db, append(opts, apptest.WithoutDemo())...)
		for _, email := range []string{"one@example.org", "two@example.org"} {
			c := a.RegisterIn(email, "Daily", "de")
			c.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
		}
		if r := a.Admin().Do("PATCH", "/api/v1/measures/1", map[string]any{"status": "adopted", "statement": map[string]string{"de": "Begründung der Statusänderung."}}); r.Status != 200 {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		// Tomorrow at eight in Berlin: no instance has done that day yet.
		at := time.Now().Add(24 * time.Hour)
		done := make(chan bool, 2)
		for _, s := range []*apptest.Server{a, b} {
			go func() {
				mine, err := s.App.Notices.Daily(t.Context(), at)
				if err != nil {
					t.Error(err)
				}
				done <- mine
			}()
		}
		if first, second := <-done, <-done; first == second {
			t.Fatalf("instances that did the day: %v, %v", first, second)
		}
		got := smtpd.Wait(t, 2, 10*time.Second)
		if got[0].Envelope.To == got[1].Envelope.To {
			t.Errorf("one person got two digests: %s", got[0].Envelope.To)
		}
		smtpd.Quiet(t, 2, 700*time.Millisecond)
	})
}
