package export

import (
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mitreden/mitreden/app/locale"
)

// xlsxWriter writes one sheet per kind (summary, measures, ideas,
// comments) with excelize's StreamWriter: rows go to a temporary file as
// they are written, never all into memory. Every sheet has a frozen,
// bold header row, column widths and a table with filter buttons.
type xlsxWriter struct {
	out    io.Writer
	f      *excelize.File
	lb     *labels
	themes themeTitles
	sw     *excelize.StreamWriter
	sheet  string
	table  string
	cols   int
	row    int
	header int
	pct    int
	date   int
	vals   []any
}

type xlsxCol struct {
	key   string
	width float64
}

var (
	summaryCols = []xlsxCol{{"kind", 14}, {"title", 36}, {"ideas", 10}, {"comments", 12}, {"votes", 10}, {"people", 10}}
	measureCols = []xlsxCol{{"field", 28}, {"id", 8}, {"title", 48}, {"status", 16}, {"themes", 28}, {"votes_for", 10}, {"votes_against", 10},
		{"votes_neutral", 10}, {"approval_share", 12}, {"comments_pro", 12}, {"comments_contra", 12}, {"comments_neutral", 12},
		{"lead", 28}, {"history", 80}, {"taken_up", 48}}
	ideaCols = []xlsxCol{{"id", 8}, {"field", 28}, {"title", 36}, {"text", 80}, {"lang", 8}, {"themes", 28}, {"author", 14},
		{"votes_for", 10}, {"votes_against", 10}, {"votes_neutral", 10}, {"approval_share", 12}, {"comments", 12},
		{"triage_state", 16}, {"response", 48}, {"date", 18}, {"measure", 36}}
	commentCols = []xlsxCol{{"id", 8}, {"field", 28}, {"target", 16}, {"title", 36}, {"parent", 10}, {"text", 80}, {"stance", 12},
		{"lang", 8}, {"author", 14}, {"triage_state", 16}, {"response", 48}, {"date", 18}}
)

func newXLSX(w io.Writer, lb *labels, themes themeTitles) (*xlsxWriter, error) {
	f := excelize.NewFile()
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		return nil, err
	}
	// Format 22 is the built-in date and time, which spreadsheets show
	// in their reader's own way (24.11.2026 19:00 in German).
	date, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	if err != nil {
		return nil, err
	}
	return &xlsxWriter{out: w, f: f, lb: lb, themes: themes, header: header, pct: pct, date: date}, nil
}

// sheetName makes a catalog text a valid sheet name.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// open finishes the current sheet and starts the next with its header.
func (x *xlsxWriter) open(nameKey, table string, cols []xlsxCol) error {
	if err := x.close(); err != nil {
		return err
	}
	name := sheetName(x.lb.l.T(nameKey))
	if x.sheet == "" {
		if err := x.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := x.f.NewSheet(name); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	x.sw, x.sheet, x.table, x.cols, x.row = sw, name, table, len(cols), 1
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	// A table's header cells must differ; a translation might not.
	head := make([]any, len(cols))
	seen := map[string]bool{}
	for i, c := range cols {
		label := x.lb.col(c.key)
		for n := 2; seen[label]; n++ {
			label = x.lb.col(c.key) + " (" + strconv.Itoa(n) + ")"
		}
		seen[label] = true
		head[i] = excelize.Cell{StyleID: x.header, Value: label}
	}
	x.vals = make([]any, len(cols))
	return sw.SetRow("A1", head, excelize.RowOpts{StyleID: x.header})
}

// gcEvery is how many rows a sheet is written between garbage
// collections. excelize keeps up to 16 MiB of a sheet in a buffer that
// grows by doubling before it spills to disk; collecting now and then
// keeps the garbage of that growth and of the rows from doubling the
// heap on top of it (measured: 68 MiB above idle without, see README).
const gcEvery = 8192

func (x *xlsxWriter) write(vals ...any) error {
	x.row++
	if x.row%gcEvery == 0 {
		runtime.GC()
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, vals)
}

// close adds the table (with its filter buttons) and flushes the sheet.
func (x *xlsxWriter) close() error {
	if x.sw == nil {
		return nil
	}
	last, err := excelize.CoordinatesToCellName(x.cols, max(x.row, 2))
	if err != nil {
		return err
	}
	stripes := true
	if err := x.sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: x.table, StyleName: "TableStyleLight1", ShowRowStripes: &stripes}); err != nil {
		return err
	}
	err = x.sw.Flush()
	x.sw = nil
	return err
}

func (x *xlsxWriter) approval(t Tally) any {
	a := t.Approval()
	if a == nil {
		return nil
	}
	return excelize.Cell{StyleID: x.pct, Value: *a}
}

// when is a date cell with the city's wall-clock time: a spreadsheet's
// dates carry no zone, and people read the time as it was in the city.
func (x *xlsxWriter) when(t time.Time) excelize.Cell {
	return excelize.Cell{StyleID: x.date, Value: t.In(locale.CityTime())}
}

func (x *xlsxWriter) begin(sum *Summary) error {
	_ = x.f.SetDocProps(&excelize.DocProperties{Title: sum.Scope.Name, Creator: "mitreden", Language: sum.Lang})
	if err := x.open("export.sheet_summary", "Summary", summaryCols); err != nil {
		return err
	}
	for _, sec := range append([][]CountRow{{sum.Totals}}, sum.Sections()...) {
		for _, r := range sec {
			var people, ideas, votes any
			if r.People != nil {
				people = *r.People
			}
			if r.Section != "stance" {
				ideas = r.Ideas
			}
			if r.Section == "theme" || r.Section == "day" || r.Section == "total" {
				votes = r.Votes
			}
			if err := x.write(x.lb.sections[r.Section], r.Label, ideas, r.Comments, votes, people); err != nil {
				return err
			}
		}
	}
	if err := x.open("export.sheet_measures", "Measures", measureCols); err != nil {
		return err
	}
	for _, m := range sum.Measures {
		if err := x.write(m.Field, m.ID, m.Title, x.lb.status[m.Status], x.themes.list(m.Themes), m.Tally.For, m.Tally.Against,
			m.Tally.Neutral, x.approval(m.Tally), m.Comments.Pro, m.Comments.Contra, m.Comments.Neutral,
			m.Lead, x.lb.history(m.History), refs(m.Ideas...)); err != nil {
			return err
		}
	}
	return nil
}

func (x *xlsxWriter) beginIdeas() error { return x.open("export.sheet_ideas", "Ideas", ideaCols) }

func (x *xlsxWriter) idea(r *IdeaRow) error {
	v := x.vals
	v[0], v[1], v[2], v[3], v[4], v[5], v[6] = r.ID, r.Field, r.Title, r.Body, r.Lang, x.themes.list(r.Themes), r.Author
	v[7], v[8], v[9], v[10], v[11] = r.Tally.For, r.Tally.Against, r.Tally.Neutral, x.approval(r.Tally), r.Comments
	v[12], v[13], v[14], v[15] = x.lb.triage[r.TriageState], r.Response, x.when(r.CreatedAt), ref(r.Measure)
	return x.write(v...)
}

func (x *xlsxWriter) beginComments() error {
	return x.open("export.sheet_comments", "Comments", commentCols)
}

func (x *xlsxWriter) comment(r *CommentRow) error {
	v := x.vals
	var parent any
	if r.ParentID != nil {
		parent = *r.ParentID
	}
	v[0], v[1], v[2], v[3], v[4], v[5] = r.ID, r.Field, x.lb.kind[r.TargetKind]+" "+itoa(r.TargetID), r.TargetTitle, parent, r.Body
	v[6], v[7], v[8], v[9], v[10], v[11] = x.lb.stance[r.Stance], r.Lang, r.Author, x.lb.triage[r.TriageState], r.Response, x.when(r.CreatedAt)
	return x.write(v...)
}

func (x *xlsxWriter) end() error {
	if err := x.close(); err != nil {
		return err
	}
	defer x.f.Close()
	_, err := x.f.WriteTo(x.out)
	return err
}
