package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mitreden/mitreden/app/apptest"
)

// Every format carries each measure's record (lead, status history, ideas
// taken up) and, for an idea, the measure it was taken up in; the CSV's
// and the XLSX's earlier columns stay where they were.
func TestExportRecord(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		f := setup(t, s)
		// Measure 3 is a demo example with a record: adopted, with a lead.
		must(t, f.admin.Do("PUT", fmt.Sprintf("/api/v1/measures/3/ideas/%d", f.ideaID), nil), 204)
		base := "/api/v1/expert-groups/1/export?lang=en&format="
		const (
			lead     = "Education department"
			title    = "Education guides for newly arrived families"
			adopted  = "Adopted: Example: adopted by the council on 12 March 2026"
			proposed = " Proposed; "
		)
		taken := fmt.Sprintf("%d: Lernwerkstatt", f.ideaID)

		t.Run("json", func(t *testing.T) {
			var d struct {
				Measures []struct {
					ID      int64
					Lead    *string
					History []struct {
						Status    string
						Statement *string
						CreatedAt string `json:"created_at"`
					}
					Ideas []struct {
						ID    int64
						Title string
					}
				}
				Ideas []struct {
					ID      int64
					Measure *struct {
						ID    int64
						Title string
					}
				}
			}
			if err := json.Unmarshal(download(t, f.expert, base+"json"), &d); err != nil {
				t.Fatal(err)
			}
			for _, m := range d.Measures {
				switch m.ID {
				case 3:
					if m.Lead == nil || *m.Lead != lead || len(m.History) != 3 || m.History[0].Status != "proposed" || m.History[0].Statement != nil ||
						m.History[2].Status != "adopted" || m.History[2].Statement == nil || !strings.Contains(*m.History[2].Statement, "adopted by the council") ||
						m.History[2].CreatedAt == "" || len(m.Ideas) != 1 || m.Ideas[0].ID != f.ideaID || m.Ideas[0].Title != "Lernwerkstatt" {
						t.Errorf("measure 3: %+v", m)
					}
				default:
					if m.Lead != nil || len(m.History) != 1 || m.Ideas == nil || len(m.Ideas) != 0 {
						t.Errorf("measure %d without a record: %+v", m.ID, m)
					}
				}
			}
			if len(d.Ideas) != 1 || d.Ideas[0].Measure == nil || d.Ideas[0].Measure.ID != 3 || d.Ideas[0].Measure.Title != title {
				t.Errorf("ideas %+v", d.Ideas)
			}
		})

		t.Run("csv", func(t *testing.T) {
			rd := csv.NewReader(bytes.NewReader(download(t, f.expert, base+"csv")[3:]))
			rows, err := rd.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			head := rows[0]
			if len(head) != 29 || head[24] != "The group's answer" || head[25] != "Lead" || head[26] != "Status history" ||
				head[27] != "Ideas taken up" || head[28] != "Taken up in measure" {
				t.Fatalf("header %q", head)
			}
			var measure, idea []string
			for _, r := range rows[1:] {
				switch {
				case r[0] == "measure" && r[2] == "3":
					measure = r
				case r[0] == "idea":
					idea = r
				}
			}
			if measure == nil || measure[25] != lead || !strings.Contains(measure[26], proposed) || !strings.Contains(measure[26], adopted) ||
				strings.Count(measure[26], "; ") != 2 || measure[27] != taken {
				t.Errorf("measure 3 row %q", measure)
			}
			if idea == nil || idea[28] != "3: "+title {
				t.Errorf("idea row %q", idea)
			}
		})

		t.Run("xlsx", func(t *testing.T) {
			x, err := excelize.OpenReader(bytes.NewReader(download(t, f.expert, base+"xlsx")))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			measures, _ := x.GetRows("Measures")
			if len(measures[0]) != 15 || measures[0][12] != "Lead" || measures[0][13] != "Status history" || measures[0][14] != "Ideas taken up" {
				t.Fatalf("measures header %q", measures[0])
			}
			var m3 []string
			for _, r := range measures[1:] {
				if r[1] == "3" {
					m3 = r
				}
			}
			if m3 == nil || m3[12] != lead || !strings.Contains(m3[13], adopted) || m3[14] != taken {
				t.Errorf("measure 3 row %q", m3)
			}
			ideas, _ := x.GetRows("Ideas")
			if len(ideas) != 2 || ideas[0][15] != "Taken up in measure" || ideas[1][15] != "3: "+title {
				t.Errorf("ideas sheet %q", ideas)
			}
		})

		t.Run("md", func(t *testing.T) {
			body := string(download(t, f.expert, base+"md"))
			for _, want := range []string{"- **Measure 3: " + title + "**", "  - Lead: " + lead, " Proposed\n", "  - Ideas taken up: " + taken,
				"**Taken up in measure:** 3: " + title} {
				if !strings.Contains(body, want) {
					t.Errorf("Markdown without %q", want)
				}
			}
			if !strings.Contains(body, adopted) {
				t.Errorf("Markdown without the adopted statement")
			}
		})
	})
}
