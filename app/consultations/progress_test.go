package consultations_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

type byStatus map[string]int

type progressJSON struct {
	ByStatus byStatus `json:"by_status"`
	Fields   []struct {
		ID       int64
		Title    string
		ByStatus byStatus `json:"by_status"`
	}
	Themes []struct {
		Key, Title string
		ByStatus   byStatus `json:"by_status"`
	}
	Measures []struct {
		ID        int64
		Title     string
		FieldID   int64 `json:"field_id"`
		Status    string
		Lead      *string
		UpdatedAt time.Time `json:"updated_at"`
	}
}

var measureStatuses = []string{"proposed", "in_discussion", "adopted", "rejected", "implemented"}

// want compares counts with every status present: given statuses with
// their numbers, all others zero.
func (b byStatus) is(want map[string]int) bool {
	if len(b) != len(measureStatuses) {
		return false
	}
	for _, s := range measureStatuses {
		if n, ok := b[s]; !ok || n != want[s] {
			return false
		}
	}
	return true
}

// progressFixture makes an open consultation "rad" with three themes (one
// carried by no measure) and two fields, the second without measures;
// the first holds two measures, one with two themes and a lead.
func progressFixture(t *testing.T, s *apptest.Server) (admin *apptest.Client, withLead, other int64) {
	t.Helper()
	admin = s.Admin()
	rad := newConsultation("rad")
	rad["themes"] = []map[string]any{
		{"key": "sicherheit", "title": map[string]string{"de": "Sicherheit", "en": "Safety"}},
		{"key": "umwelt", "title": map[string]string{"de": "Umwelt", "en": "Environment"}},
		{"key": "leer", "title": map[string]string{"de": "Ohne Maßnahmen"}},
	}
	if r := admin.Do("POST", "/api/v1/consultations", rad); r.Status != 201 {
		t.Fatalf("consultation: %d %s", r.Status, r.Body)
	}
	var wege, parken struct{ ID int64 }
	admin.Do("POST", "/api/v1/consultations/rad/fields", map[string]any{"slug": "wege", "title": map[string]string{"de": "Radwege", "en": "Cycle paths"}}).JSON(t, &wege)
	admin.Do("POST", "/api/v1/consultations/rad/fields", map[string]any{"slug": "parken", "title": map[string]string{"de": "Parken"}}).JSON(t, &parken)
	if wege.ID == 0 || parken.ID == 0 {
		t.Fatal("fields not created")
	}
	var a, b struct{ ID int64 }
	admin.Do("POST", "/api/v1/fields/"+itoa(wege.ID)+"/measures", map[string]any{
		"title": map[string]string{"de": "Geschützte Radstreifen", "en": "Protected bike lanes"}, "summary": map[string]string{"de": "Poller an der Hauptstraße."},
		"themes": []string{"sicherheit", "umwelt"}, "lead": map[string]string{"de": "Fachbereich Tiefbau", "en": "Civil engineering department"},
	}).JSON(t, &a)
	admin.Do("POST", "/api/v1/fields/"+itoa(wege.ID)+"/measures", map[string]any{
		"title": map[string]string{"de": "Sichere Kreuzungen"}, "summary": map[string]string{"de": "Aufgeweitete Aufstellflächen."},
		"themes": []string{"sicherheit"},
	}).JSON(t, &b)
	if a.ID == 0 || b.ID == 0 {
		t.Fatal("measures not created")
	}
	return admin, a.ID, b.ID
}

// The progress of a consultation: counts per status overall, per field and
// per theme with zeros, the measures with their lead, following changes.
func TestProgressAPI(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin, withLead, other := progressFixture(t, s)
		anon := s.Client()
		var p progressJSON
		// Anonymous readers get the answer from the page cache.
		settle(t, s)
		anon.Get("/api/v1/consultations/rad/progress?lang=en")
		hits, _ := s.App.Pages.Cache.Stats()
		anon.Get("/api/v1/consultations/rad/progress?lang=en").JSON(t, &p)
		if now, _ := s.App.Pages.Cache.Stats(); now != hits+1 {
			t.Errorf("the second anonymous request did not come from the cache")
		}
		if !p.ByStatus.is(map[string]int{"proposed": 2}) || len(p.Fields) != 2 || len(p.Themes) != 3 || len(p.Measures) != 2 {
			t.Fatalf("progress: %+v", p)
		}
		if f := p.Fields; f[0].Title != "Cycle paths" || !f[0].ByStatus.is(map[string]int{"proposed": 2}) ||
			f[1].Title != "Parken" || !f[1].ByStatus.is(nil) {
			t.Errorf("fields (the second without measures, all zeros): %+v", f)
		}
		if th := p.Themes; th[0].Key != "sicherheit" || th[0].Title != "Safety" || !th[0].ByStatus.is(map[string]int{"proposed": 2}) ||
			!th[1].ByStatus.is(map[string]int{"proposed": 1}) || th[2].Key != "leer" || !th[2].ByStatus.is(nil) {
			t.Errorf("themes (a measure counts in each of its themes): %+v", th)
		}
		m := p.Measures
		if m[0].ID != withLead || m[0].Title != "Protected bike lanes" || m[0].FieldID != p.Fields[0].ID || m[0].Status != "proposed" ||
			m[0].Lead == nil || *m[0].Lead != "Civil engineering department" || m[0].UpdatedAt.IsZero() || m[1].ID != other || m[1].Lead != nil {
			t.Errorf("measures: %+v", m)
		}
		before := m[0].UpdatedAt

		// A status change counts at once: the cached answer is not kept
		// past it.
		time.Sleep(10 * time.Millisecond)
		if r := admin.Do("PATCH", "/api/v1/measures/"+itoa(withLead), map[string]any{
			"status": "adopted", "statement": map[string]string{"de": "Der Rat hat die Radstreifen beschlossen."},
		}); r.Status != 200 {
			t.Fatalf("status change: %d %s", r.Status, r.Body)
		}
		p = progressJSON{}
		anon.Get("/api/v1/consultations/rad/progress?lang=en").JSON(t, &p)
		if !p.ByStatus.is(map[string]int{"proposed": 1, "adopted": 1}) || !p.Fields[0].ByStatus.is(map[string]int{"proposed": 1, "adopted": 1}) ||
			!p.Themes[0].ByStatus.is(map[string]int{"proposed": 1, "adopted": 1}) || !p.Themes[1].ByStatus.is(map[string]int{"adopted": 1}) {
			t.Errorf("after the status change: %+v", p)
		}
		p = progressJSON{}
		anon.Get("/api/v1/consultations/rad/progress").JSON(t, &p)
		if m := p.Measures[0]; m.Status != "adopted" || m.Lead == nil || *m.Lead != "Fachbereich Tiefbau" || !m.UpdatedAt.After(before) || m.Title != "Geschützte Radstreifen" {
			t.Errorf("the changed measure in German: %+v (updated before %v)", m, before)
		}

		// Every measure of the demo counts, its examples included.
		anon.Get("/api/v1/consultations/wir2/progress").JSON(t, &p)
		total := 0
		for _, n := range p.ByStatus {
			total += n
		}
		if n := count(t, s, "SELECT COUNT(*) FROM measures m JOIN fields f ON f.id = m.field_id JOIN consultations c ON c.id = f.consultation_id WHERE c.slug = 'wir2'"); total != n || len(p.Measures) != n || n == 0 {
			t.Errorf("wir2 counts %d measures, has %d", total, n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM fields f JOIN consultations c ON c.id = f.consultation_id WHERE c.slug = 'wir2'"); len(p.Fields) != n {
			t.Errorf("wir2 shows %d of %d fields", len(p.Fields), n)
		}

		// Unknown consultations and drafts (to those who may not see them)
		// have no progress.
		draft := newConsultation("entwurf")
		draft["phase"] = "draft"
		if r := admin.Do("POST", "/api/v1/consultations", draft); r.Status != 201 {
			t.Fatalf("draft: %d %s", r.Status, r.Body)
		}
		resident := s.Register("res@example.org", "Resi")
		for _, c := range []struct {
			name   string
			client *apptest.Client
			path   string
			status int
		}{
			{"unknown", anon, "/api/v1/consultations/nope/progress", 404},
			{"draft, anonymous", anon, "/api/v1/consultations/entwurf/progress", 404},
			{"draft, resident", resident, "/api/v1/consultations/entwurf/progress", 404},
			{"draft, admin", admin, "/api/v1/consultations/entwurf/progress", 200},
		} {
			if r := c.client.Get(c.path); r.Status != c.status {
				t.Errorf("%s: %d, want %d", c.name, r.Status, c.status)
			}
		}
		p = progressJSON{}
		r := admin.Get("/api/v1/consultations/entwurf/progress")
		r.JSON(t, &p)
		if !p.ByStatus.is(nil) || p.Fields == nil || len(p.Themes) != 1 || p.Measures == nil || !strings.Contains(r.Text(), `"measures":[]`) {
			t.Errorf("an empty consultation: %s", r.Body)
		}
	})
}

// The progress page shows the same with an accessible chart and table,
// each measure's latest statement, in every language's direction.
func TestProgressPage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin, withLead, _ := progressFixture(t, s)
		anon := s.Client()
		settle(t, s) // so that the page below is cached
		if r := anon.Get("/c/rad"); !strings.Contains(r.Text(), `href="/c/rad/progress"`) {
			t.Errorf("the consultation page does not link its progress")
		}
		r := anon.Get("/c/rad/progress")
		if r.Status != 200 {
			t.Fatalf("page: %d %s", r.Status, r.Body)
		}
		apptest.CheckPage(t, r, "de")
		body := r.Text()
		for _, want := range []string{
			"<h1>Stand der Umsetzung</h1>",
			`<svg role="img" aria-labelledby="progress-chart-caption"`,
			`<figcaption id="progress-chart-caption">Anzahl der Maßnahmen nach Status: Vorgeschlagen 2, In Diskussion 0,`,
			"<caption>Maßnahmen nach Status</caption>", `<th scope="col">`, `<th scope="row">`,
			`<a href="/m/` + itoa(withLead) + `">Geschützte Radstreifen</a>`, "Fachbereich Tiefbau",
			"Ohne Maßnahmen", "Parken", // a theme and a field without measures
			"mehr Maßnahmen zählen, als es insgesamt gibt",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(body, "Letzte Stellungnahme") {
			t.Errorf("a statement before any was given")
		}

		if r := admin.Do("PATCH", "/api/v1/measures/"+itoa(withLead), map[string]any{
			"status": "implemented", "statement": map[string]string{"de": "Die Radstreifen sind seit Mai befahrbar."},
		}); r.Status != 200 {
			t.Fatalf("status change: %d %s", r.Status, r.Body)
		}
		body = anon.Get("/c/rad/progress").Text()
		for _, want := range []string{"Die Radstreifen sind seit Mai befahrbar.", "Letzte Stellungnahme", "Umgesetzt 1"} {
			if !strings.Contains(body, want) {
				t.Errorf("after the status change the page lacks %q", want)
			}
		}

		r = anon.Get("/c/rad/progress?lang=ar")
		apptest.CheckPage(t, r, "ar")
		body = r.Text()
		if !strings.Contains(body, `<html lang="ar" dir="rtl">`) || !strings.Contains(body, "حالة التنفيذ") {
			t.Errorf("the Arabic page is not right to left")
		}
		// The statement exists in German only: marked as such.
		if !strings.Contains(body, `<blockquote class="progress-statement" lang="de" dir="ltr"><p>Die Radstreifen sind seit Mai befahrbar.</p>`) {
			t.Errorf("the German statement on the Arabic page is not marked lang=de dir=ltr")
		}
		// Bars grow from the right: the first status's label starts at the
		// right edge.
		if !slices.ContainsFunc(strings.Split(body, "\n"), func(l string) bool { return strings.Contains(l, `<text x="356"`) }) {
			t.Errorf("the Arabic chart is not mirrored")
		}

		draft := newConsultation("entwurf")
		draft["phase"] = "draft"
		admin.Do("POST", "/api/v1/consultations", draft)
		if r := anon.Get("/c/entwurf/progress"); r.Status != 404 {
			t.Errorf("a draft's progress page to the public: %d", r.Status)
		}
		if r := anon.Get("/c/nope/progress"); r.Status != 404 {
			t.Errorf("an unknown consultation's progress page: %d", r.Status)
		}
	})
}

// settle waits until the live hub has seen every event written so far, so
// that a page cached after it is not made stale by an earlier write.
func settle(t *testing.T, s *apptest.Server) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		unnumbered := count(t, s, "SELECT COUNT(*) FROM events WHERE seq IS NULL")
		latest := count(t, s, "SELECT COALESCE(MAX(seq), 0) FROM events")
		if unnumbered == 0 && s.App.Live.Stats().Last >= int64(latest) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub is at %d, the outbox at %d (%d unnumbered)", s.App.Live.Stats().Last, latest, unnumbered)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
