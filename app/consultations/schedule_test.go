package consultations_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

type scheduleJSON struct {
	Phase    string
	OpensAt  *string `json:"opens_at"`
	ClosesAt *string `json:"closes_at"`
	Process  string
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// An administrator sets and removes a consultation's dates and process
// text; wrong ones are refused with the field named.
func TestScheduleIsSetAndRemoved(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		opens := time.Now().Add(48 * time.Hour).Truncate(time.Second)
		closes := opens.Add(14 * 24 * time.Hour)
		past := time.Now().Add(-time.Hour).Truncate(time.Second)
		str := func(v string) *string { return &v }
		cases := []struct {
			name   string
			patch  map[string]any
			status int
			field  string
			// want is the schedule after the change (status 200).
			want scheduleJSON
		}{
			{"both dates and a process text", map[string]any{
				"phase": "draft", "opens_at": rfc(opens), "closes_at": closes.In(time.FixedZone("CET", 3600)).Format(time.RFC3339),
				"process": map[string]string{"de": "Erst sammeln, dann bewerten.", "en": "Collect first, then assess."},
			}, 200, "", scheduleJSON{Phase: "draft", OpensAt: str(rfc(opens)), ClosesAt: str(rfc(closes)), Process: "Collect first, then assess."}},
			{"an absent date stays", map[string]any{"moderation": "pre"}, 200, "",
				scheduleJSON{Phase: "draft", OpensAt: str(rfc(opens)), ClosesAt: str(rfc(closes)), Process: "Collect first, then assess."}},
			{"null removes the opening date", map[string]any{"opens_at": nil}, 200, "",
				scheduleJSON{Phase: "draft", ClosesAt: str(rfc(closes)), Process: "Collect first, then assess."}},
			{"not RFC 3339", map[string]any{"opens_at": "tomorrow"}, 422, "opens_at", scheduleJSON{}},
			{"not a string", map[string]any{"closes_at": 12}, 422, "closes_at", scheduleJSON{}},
			{"closing before opening", map[string]any{"opens_at": rfc(closes), "closes_at": rfc(opens)}, 422, "closes_at", scheduleJSON{}},
			{"closing before the stored opening", map[string]any{"opens_at": rfc(closes.Add(time.Hour))}, 422, "closes_at", scheduleJSON{}},
			{"process without German is fine", map[string]any{"process": map[string]string{"en": "Only English."}}, 200, "",
				scheduleJSON{Phase: "draft", ClosesAt: str(rfc(closes)), Process: "Only English."}},
			{"a past closing date is allowed", map[string]any{"closes_at": rfc(past)}, 200, "",
				scheduleJSON{Phase: "draft", ClosesAt: str(rfc(past)), Process: "Only English."}},
			{"opening by hand after the closing date", map[string]any{"phase": "open"}, 422, "closes_at", scheduleJSON{}},
			{"opening by hand with a later closing date", map[string]any{"phase": "open", "closes_at": rfc(closes)}, 200, "",
				scheduleJSON{Phase: "open", ClosesAt: str(rfc(closes)), Process: "Only English."}},
			{"null removes the closing date", map[string]any{"closes_at": nil, "process": map[string]string{}}, 200, "",
				scheduleJSON{Phase: "open"}},
		}
		for _, c := range cases {
			r := admin.Do("PATCH", "/api/v1/consultations/wir2", c.patch)
			if c.status != 200 {
				r.WantProblem(t, c.status, c.field)
				continue
			}
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
			}
			var got scheduleJSON
			admin.Get("/api/v1/consultations/wir2?lang=en").JSON(t, &got)
			if want, _ := json.Marshal(c.want); string(want) != mustJSON(got) {
				t.Fatalf("%s: got %s, want %s", c.name, mustJSON(got), want)
			}
		}
		// The list shows the schedule too, null where there is no date.
		r := s.Client().Get("/api/v1/consultations")
		if !strings.Contains(r.Text(), `"opens_at":null`) || !strings.Contains(r.Text(), `"process":""`) {
			t.Fatalf("list: %s", r.Body)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// eventsOf counts consultation.updated events on the consultation's topic
// and answers the phase the last one shows.
func eventsOf(t *testing.T, s *apptest.Server, slug string) (int, string) {
	t.Helper()
	var data []string
	if err := s.App.Store.DB.NewRaw("SELECT data FROM events WHERE type = 'consultation.updated' AND topics LIKE ? ORDER BY id",
		"%,consultation:"+slug+",%").Scan(t.Context(), &data); err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return 0, ""
	}
	var last struct{ Slug, Phase string }
	if err := json.Unmarshal([]byte(data[len(data)-1]), &last); err != nil || last.Slug != slug {
		t.Fatalf("event data %s (%v)", data[len(data)-1], err)
	}
	return len(data), last.Phase
}

// The phase changes by itself at each date, once; a phase set back by
// hand stays; every change is an event and in the audit log.
func TestSchedulePhasesChangeOnce(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ctx := t.Context()
		admin := s.Admin()
		// Far enough ahead that the server's own schedule, on the real
		// clock, never reaches them during the test.
		base := time.Now().Add(24 * time.Hour).Truncate(time.Second)
		c := newConsultation("plan")
		c["phase"] = "draft"
		c["opens_at"], c["closes_at"] = rfc(base.Add(time.Hour)), rfc(base.Add(2*time.Hour))
		if r := admin.Do("POST", "/api/v1/consultations", c); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		advance := func(now time.Time, want int) {
			t.Helper()
			n, err := s.App.Consultations.AdvancePhases(ctx, now)
			if err != nil || n != want {
				t.Fatalf("AdvancePhases(%s) changed %d (%v), want %d", now, n, err, want)
			}
		}
		phase := func(want string) {
			t.Helper()
			var got scheduleJSON
			admin.Get("/api/v1/consultations/plan").JSON(t, &got)
			if got.Phase != want {
				t.Fatalf("phase %s, want %s", got.Phase, want)
			}
		}
		setPhase := func(p string) {
			t.Helper()
			if r := admin.Do("PATCH", "/api/v1/consultations/plan", map[string]any{"phase": p}); r.Status != 200 {
				t.Fatalf("set phase %s: %d %s", p, r.Status, r.Body)
			}
		}
		steps := []struct {
			name   string
			do     func()
			phase  string
			events int
		}{
			{"before the opening date", func() { advance(base, 0) }, "draft", 0},
			{"at the opening date", func() { advance(base.Add(time.Hour), 1) }, "open", 1},
			{"again at the opening date", func() { advance(base.Add(time.Hour+time.Minute), 0) }, "open", 1},
			{"set back to draft by hand", func() { setPhase("draft") }, "draft", 2},
			{"the opening date has fired", func() { advance(base.Add(90*time.Minute), 0) }, "draft", 2},
			{"opened by hand", func() { setPhase("open") }, "open", 3},
			{"at the closing date", func() { advance(base.Add(2*time.Hour), 1) }, "closed", 4},
			{"reopened by hand", func() { setPhase("open") }, "open", 5},
			{"the closing date has fired", func() { advance(base.Add(3*time.Hour), 0) }, "open", 5},
			{"a new closing date fires again", func() {
				if r := admin.Do("PATCH", "/api/v1/consultations/plan", map[string]any{"closes_at": rfc(base.Add(4 * time.Hour))}); r.Status != 200 {
					t.Fatalf("move the closing date: %d %s", r.Status, r.Body)
				}
				advance(base.Add(4*time.Hour), 1)
			}, "closed", 7},
		}
		for _, st := range steps {
			st.do()
			phase(st.phase)
			if n, last := eventsOf(t, s, "plan"); n != st.events || (n > 0 && last != st.phase) {
				t.Fatalf("%s: %d consultation.updated events, the last showing %q; want %d showing %q", st.name, n, last, st.events, st.phase)
			}
		}
		var scheduled int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action = 'consultation.phase_scheduled' AND object_id = 'plan' AND actor_id IS NULL").Scan(ctx, &scheduled); err != nil || scheduled != 3 {
			t.Fatalf("%d scheduled changes in the audit log (%v), want 3", scheduled, err)
		}
	})
}

// Two instances on one PostgreSQL database fire a date at the same
// moment: the phase changes once, with one event.
func TestScheduleFiresOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		if db.Driver != config.Postgres {
			t.Skip("instances share a database on PostgreSQL")
		}
		one, two := apptest.Start(t, db), apptest.Start(t, db)
		base := time.Now().Add(24 * time.Hour)
		for _, slug := range []string{"a1", "b2", "c3"} {
			c := newConsultation(slug)
			c["phase"], c["opens_at"] = "draft", rfc(base)
			if r := one.Admin().Do("POST", "/api/v1/consultations", c); r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			changed int
		)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				app := one.App
				if i%2 == 1 {
					app = two.App
				}
				n, err := app.Consultations.AdvancePhases(context.Background(), base.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				changed += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if changed != 3 {
			t.Fatalf("%d phase changes for 3 dates", changed)
		}
		for _, slug := range []string{"a1", "b2", "c3"} {
			if n, phase := eventsOf(t, one, slug); n != 1 || phase != "open" {
				t.Fatalf("%s: %d events, the last showing %q", slug, n, phase)
			}
		}
	})
}

// The consultation's page shows the dates, the time left, the timeline
// and the process text; once closed, that participation has ended.
func TestSchedulePage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		closes := time.Now().Add(3*24*time.Hour + time.Hour)
		if r := admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{
			"closes_at": rfc(closes), "process": map[string]string{"de": "Alle Beiträge gehen an den Rat."},
		}); r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		page := s.Client().Get("/c/wir2?lang=de")
		apptest.CheckPage(t, page, "de")
		for _, want := range []string{
			"Noch 3 Tage", "So funktioniert die Beteiligung", "Alle Beiträge gehen an den Rat.",
			`datetime="` + rfc(closes) + `"`, `<ol class="timeline"`, `aria-current="step">Beteiligung offen`,
		} {
			if !strings.Contains(page.Text(), want) {
				t.Fatalf("the page lacks %q", want)
			}
		}
		if strings.Contains(page.Text(), "Die Beteiligung ist beendet") {
			t.Fatal("an open consultation says it has ended")
		}
		if r := admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"phase": "closed"}); r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		for _, lang := range []string{"de", "ar"} {
			page = s.Client().Get("/c/wir2?lang=" + lang)
			apptest.CheckPage(t, page, lang)
		}
		page = s.Client().Get("/c/wir2?lang=de")
		if !strings.Contains(page.Text(), "Die Beteiligung ist beendet") || strings.Contains(page.Text(), "Noch 3 Tage") ||
			!strings.Contains(page.Text(), `aria-current="step">Beteiligung beendet`) {
			t.Fatalf("closed page: %s", page.Text())
		}
		field := s.Client().Get("/f/1?lang=de")
		if !strings.Contains(field.Text(), "Die Beteiligung ist beendet") || strings.Contains(field.Text(), "nicht geöffnet") {
			t.Fatal("the field page of a closed consultation does not say it has ended")
		}
	})
}
