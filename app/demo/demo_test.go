package demo_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/demo"
	"github.com/mitreden/mitreden/app/locale"
)

// The city's strategy paper, as published (a copy of shared/seed).
func strategy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/wir-sind-hannover-strategie.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// Every German guideline, priority and theme is in the paper word for
// word, numbered as there.
func TestFrameIsWordForWord(t *testing.T) {
	paper := strategy(t)
	check := func(kind string, n int, text string) {
		t.Helper()
		want := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(paper, " "+itoa(n)+". "+want) {
			t.Errorf("%s %d is not in the strategy paper word for word: %q", kind, n, want)
		}
	}
	if len(demo.Guidelines) != 7 || len(demo.Priorities) != 2 || len(demo.Themes) != 3 {
		t.Fatalf("%d guidelines, %d priorities, %d themes", len(demo.Guidelines), len(demo.Priorities), len(demo.Themes))
	}
	for i, g := range demo.Guidelines {
		check("guideline", i+1, g["de"])
		if g["en"] == "" {
			t.Errorf("guideline %d has no English text", i+1)
		}
	}
	for i, p := range demo.Priorities {
		check("priority", i+1, p["de"])
	}
	for i, th := range demo.Themes {
		check("theme", i+1, th.Title["de"])
	}
	// The guideline texts exist in all six languages.
	all := []locale.Text{}
	all = append(all, demo.Guidelines...)
	all = append(all, demo.Priorities...)
	for _, th := range demo.Themes {
		all = append(all, th.Title)
	}
	for i, txt := range all {
		for _, code := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
			if strings.TrimSpace(txt[code]) == "" {
				t.Errorf("guideline text %d has no %s text", i+1, code)
			}
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestDemoConsultation(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		var c struct {
			Slug, Title, Phase, Moderation string
			Guidelines                     []struct {
				Number int
				Text   string
			}
			Priorities []struct{ Text string }
			Themes     []struct{ Key, Title string }
			Fields     []struct {
				ID           int64
				Slug         string
				ExpertGroups []int64 `json:"expert_groups"`
				MeasureCount int     `json:"measure_count"`
			}
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		if c.Slug != "wir2" || c.Title != demo.Title || c.Phase != "open" || c.Moderation != "pre" {
			t.Fatalf("consultation %+v", c)
		}
		if len(c.Guidelines) != 7 || c.Guidelines[5].Number != 6 || c.Guidelines[5].Text != demo.Guidelines[5]["de"] || len(c.Priorities) != 2 {
			t.Fatalf("frame: %+v", c.Guidelines)
		}
		keys := []string{}
		for _, th := range c.Themes {
			keys = append(keys, th.Key)
		}
		if strings.Join(keys, ",") != "gleichbehandlung,diversitaet,zielgruppenorientierung" {
			t.Fatalf("theme keys %v", keys)
		}
		slugs := []string{}
		for _, f := range c.Fields {
			slugs = append(slugs, f.Slug)
			if len(f.ExpertGroups) != 2 {
				t.Errorf("field %s is served by %v, want its own group and the youth group", f.Slug, f.ExpertGroups)
			}
			if f.MeasureCount < 2 || f.MeasureCount > 3 {
				t.Errorf("field %s has %d example measures", f.Slug, f.MeasureCount)
			}
		}
		if strings.Join(slugs, ",") != "bildung,soziales,demokratie,stadtleben-kultur,wirtschaft,verwaltung-interkulturelle-oeffnung" {
			t.Fatalf("field slugs %v", slugs)
		}
		var groups struct {
			Items []struct {
				Name   string
				Fields []int64
			}
		}
		s.Client().Get("/api/v1/expert-groups").JSON(t, &groups)
		if len(groups.Items) != 7 || groups.Items[6].Name != "AG postmigrantisch" || len(groups.Items[6].Fields) != 6 {
			t.Fatalf("expert groups %+v", groups.Items)
		}
		// Every demo measure is marked as an example, and the page says so.
		var examples, measures int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM measures WHERE is_example").Scan(t.Context(), &examples); err != nil {
			t.Fatal(err)
		}
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM measures").Scan(t.Context(), &measures); err != nil {
			t.Fatal(err)
		}
		if examples != measures || measures < 12 {
			t.Fatalf("%d of %d measures marked as examples", examples, measures)
		}
		page := s.Client().Get("/f/" + itoa(int(c.Fields[0].ID))).Text()
		if strings.Count(page, `class="badge badge-example"`) != c.Fields[0].MeasureCount {
			t.Fatal("the field page does not label every example measure")
		}
		// English through ?lang= and Accept-Language.
		var en struct{ Title string }
		s.Client().Get("/api/v1/consultations/wir2?lang=en").JSON(t, &en)
		cl := s.Client()
		cl.Headers["Accept-Language"] = "en-GB,en;q=0.9,de;q=0.5"
		var en2 struct{ Guidelines []struct{ Text string } }
		cl.Get("/api/v1/consultations/wir2").JSON(t, &en2)
		if !strings.HasPrefix(en.Title, "WIR sind Hannover – living") || en2.Guidelines[0].Text != demo.Guidelines[0]["en"] {
			t.Fatalf("English: %q / %q", en.Title, en2.Guidelines[0].Text)
		}
		// An unsupported ?lang= is skipped in favour of Accept-Language.
		var en3 struct{ Title string }
		cl.Get("/api/v1/consultations/wir2?lang=xx").JSON(t, &en3)
		if en3.Title != en.Title {
			t.Fatalf("?lang=xx with Accept-Language en: %q", en3.Title)
		}
	})
}

// The demo is seeded once: restarting leaves it as it is, and --no-demo
// starts empty.
func TestSeedOnce(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		cfg := s.App.Config
		s2 := apptest.Start(t, cfg.DB)
		var n int
		if err := s2.App.Store.DB.NewRaw("SELECT COUNT(*) FROM consultations").Scan(t.Context(), &n); err != nil || n != 1 {
			t.Fatalf("%d consultations after a second start (%v)", n, err)
		}
	})
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		var list struct{ Items []any }
		s.Client().Get("/api/v1/consultations").JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("--no-demo seeded %d consultations", len(list.Items))
		}
		s.Admin()
	}, apptest.WithoutDemo())
}

// A few example measures carry a record (history with statements, lead,
// milestones, a document), still marked as examples, so that a newcomer
// sees at once what becomes of a measure.
func TestExampleRecords(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		type record struct {
			Status  string
			Example bool
			Lead    *string
			History []struct {
				Status    string
				Statement *string
			}
			Milestones []struct {
				DueOn  *string `json:"due_on"`
				DoneOn *string `json:"done_on"`
			}
			Documents []struct{ Title, URL string }
		}
		var list struct{ Items []struct{ ID int64 } }
		withRecord := 0
		for field := 1; field <= 6; field++ {
			s.Client().Get("/api/v1/fields/"+itoa(field)+"/measures").JSON(t, &list)
			for _, item := range list.Items {
				var m record
				s.Client().Get("/api/v1/measures/"+strconv.FormatInt(item.ID, 10)+"?lang=en").JSON(t, &m)
				if !m.Example {
					t.Errorf("measure %d is not marked as an example", item.ID)
				}
				if len(m.History) < 2 {
					continue
				}
				withRecord++
				last := m.History[len(m.History)-1]
				if last.Status != m.Status || last.Statement == nil || !strings.HasPrefix(*last.Statement, "Example") ||
					m.Lead == nil || *m.Lead == "" || len(m.Milestones) == 0 || len(m.Documents) != 1 {
					t.Errorf("measure %d: record %+v", item.ID, m)
					continue
				}
				done := false
				for _, ms := range m.Milestones {
					done = done || ms.DoneOn != nil
				}
				if !done || !strings.HasPrefix(m.Documents[0].Title, "Example") || !strings.HasPrefix(m.Documents[0].URL, "https://") {
					t.Errorf("measure %d: milestones %+v, documents %+v", item.ID, m.Milestones, m.Documents)
				}
			}
		}
		if withRecord < 3 || withRecord > 4 {
			t.Fatalf("%d example measures with a record, want 3–4", withRecord)
		}
		var adopted struct{ History []struct{ Statement *string } }
		s.Client().Get("/api/v1/measures/3").JSON(t, &adopted)
		if n := len(adopted.History); n != 3 || adopted.History[2].Statement == nil || !strings.Contains(*adopted.History[2].Statement, "Beschlossen vom Rat") {
			t.Fatalf("measure 3's history: %+v", adopted.History)
		}
	})
}
