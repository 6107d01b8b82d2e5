package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/store"
)

// Dates are the city's (Europe/Berlin): on the overview page in the
// page's language, in the CSV as RFC 3339 with the Berlin offset, in the
// XLSX as date cells with the Berlin wall-clock time, and the days of
// participation over time are Berlin days. 22:30 UTC on 1 July is already
// 2 July in Berlin.
func TestExportDatesInCityTime(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		must(t, s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"}), 200)
		expert := account(t, s, "bildung@example.org", access.Expert, 1)
		resident := account(t, s, "res@example.org", access.Resident)
		ideaID := created(t, resident.Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": "Nachtidee", "body": "Spät geschrieben."}))
		commentID := created(t, resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Spät kommentiert."}))
		at := time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC)
		if err := s.App.Store.Write(t.Context(), func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE ideas SET created_at = ? WHERE id = ?", tx.Time(at), ideaID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE comments SET created_at = ? WHERE id = ?", tx.Time(at), commentID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/expert-groups/1/export?format="
		const local = "2026-07-02T00:30:00+02:00"

		t.Run("page", func(t *testing.T) {
			page := must(t, s.Browser("bildung@example.org", "a-good-password").Get("/experts/1/summary"), 200)
			apptest.CheckPage(t, page, "de")
			for _, want := range []string{
				`<time datetime="2026-07-02">02.07.2026</time>`,
				"Ein Beitrag zählt bei jedem seiner Themen.",
				"<caption>Maßnahmen mit Stimmen und Kommentaren",
				"Erstellt am ",
			} {
				if !strings.Contains(page.Text(), want) {
					t.Errorf("the overview lacks %q", want)
				}
			}
			if strings.Contains(page.Text(), ">2026-07-01<") || strings.Contains(page.Text(), ">2026-07-02<") {
				t.Error("the overview shows a day unlocalised")
			}
			if en := must(t, s.Browser("bildung@example.org", "a-good-password").Get("/experts/1/summary?lang=en"), 200); !strings.Contains(en.Text(), "A contribution counts in each of its themes") {
				t.Error("the theme note is not translated")
			}
		})

		t.Run("csv", func(t *testing.T) {
			body := download(t, expert, base+"csv&lang=en")
			rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			date := 23 // column 24, docs/export.md
			got := map[string]string{}
			for _, r := range rows[1:] {
				switch {
				case r[0] == "idea" && r[2] == fmt.Sprint(ideaID), r[0] == "comment" && r[2] == fmt.Sprint(commentID):
					got[r[0]] = r[date]
				case r[0] == "day":
					got["day "+r[date]] = r[date]
				}
			}
			if got["idea"] != local || got["comment"] != local {
				t.Errorf("CSV dates %q, want %q", got, local)
			}
			if _, ok := got["day 2026-07-02"]; !ok {
				t.Errorf("no Berlin day row 2026-07-02: %q", got)
			}
			if _, ok := got["day 2026-07-01"]; ok {
				t.Errorf("a UTC day row 2026-07-01: %q", got)
			}
		})

		t.Run("xlsx", func(t *testing.T) {
			x, err := excelize.OpenReader(bytes.NewReader(download(t, expert, base+"xlsx&lang=en")))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			for _, k := range []struct {
				sheet, col string
				id         int64
			}{{"Ideas", "O", ideaID}, {"Comments", "L", commentID}} {
				rows, _ := x.GetRows(k.sheet)
				row := 0
				for i, r := range rows {
					if i > 0 && r[0] == fmt.Sprint(k.id) {
						row = i + 1
					}
				}
				if row == 0 {
					t.Fatalf("%s: no row for %d", k.sheet, k.id)
				}
				cell := fmt.Sprintf("%s%d", k.col, row)
				if head, _ := x.GetCellValue(k.sheet, k.col+"1"); head != "Date" {
					t.Errorf("%s %s1 is %q, not the date column", k.sheet, k.col, head)
				}
				raw, _ := x.GetCellValue(k.sheet, cell, excelize.Options{RawCellValue: true})
				serial, err := strconv.ParseFloat(raw, 64)
				if err != nil {
					t.Errorf("%s %s is no number: %q", k.sheet, cell, raw)
					continue
				}
				if when, _ := excelize.ExcelDateToTime(serial, false); !when.Equal(time.Date(2026, 7, 2, 0, 30, 0, 0, time.UTC)) {
					t.Errorf("%s %s is %v, want Berlin wall-clock 2026-07-02 00:30", k.sheet, cell, when)
				}
				id, _ := x.GetCellStyle(k.sheet, cell)
				if st, err := x.GetStyle(id); err != nil || st.NumFmt != 22 {
					t.Errorf("%s %s has no date format: %+v %v", k.sheet, cell, st, err)
				}
			}
		})
	})
}
