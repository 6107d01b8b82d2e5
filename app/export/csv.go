package export

import (
	"bufio"
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/locale"
)

// csvColumns are the columns of the CSV export. Every row has all of them;
// the kind column says which apply (docs/export.md lists them).
var csvColumns = []string{
	"kind", "field", "id", "target", "title", "text", "status", "triage_state", "stance", "lang", "themes", "author",
	"votes_for", "votes_against", "votes_neutral", "approval_share", "comments_pro", "comments_contra", "comments_neutral",
	"ideas", "comments", "votes", "people", "date", "response",
	// Added with the measure record, at the end so that existing readers
	// keep their columns.
	"lead", "history", "taken_up", "measure",
}

var csvIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range csvColumns {
		m[c] = i
	}
	return m
}()

func csvCol(name string) int {
	i, ok := csvIndex[name]
	if !ok {
		panic("export: no CSV column " + name)
	}
	return i
}

// Separator answers the CSV field separator for a language: ";" where
// spreadsheets use a decimal comma (de, ru, uk, tr), else ",".
func Separator(lang string) rune {
	switch lang {
	case "de", "ru", "uk", "tr":
		return ';'
	}
	return ','
}

// guard keeps a spreadsheet from reading a text cell as a formula: text
// starting with = + - @ (or a tab or carriage return) gets a leading '.
func guard(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// share formats an approval share with up to four decimals.
func share(a *float64, comma bool) string {
	if a == nil {
		return ""
	}
	s := strconv.FormatFloat(math.Round(*a*10000)/10000, 'f', -1, 64)
	if comma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// localTime is a time in the city's zone as RFC 3339 with its offset
// ("2026-07-02T00:30:00+02:00"): what people there read, and still
// exact for a program.
func localTime(t time.Time) string { return t.In(locale.CityTime()).Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// csvWriter writes one table: a UTF-8 byte order mark (so Excel reads
// umlauts, Arabic and Cyrillic right), a header row, then the summary's
// rows, the measures, the ideas and the comments.
type csvWriter struct {
	buf    *bufio.Writer
	w      *csv.Writer
	lb     *labels
	themes themeTitles
	comma  bool
	row    []string
}

func newCSV(w io.Writer, lb *labels, themes themeTitles) *csvWriter {
	buf := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(buf)
	sep := Separator(lb.l.Lang.Code)
	cw.Comma = sep
	cw.UseCRLF = true
	return &csvWriter{buf: buf, w: cw, lb: lb, themes: themes, comma: sep == ';', row: make([]string, len(csvColumns))}
}

func (c *csvWriter) reset() {
	for i := range c.row {
		c.row[i] = ""
	}
}

func (c *csvWriter) set(col, v string) { c.row[csvCol(col)] = guard(v) }

func (c *csvWriter) flush() error { return c.w.Write(c.row) }

func (c *csvWriter) begin(sum *Summary) error {
	header := make([]string, len(csvColumns))
	for i, col := range csvColumns {
		header[i] = c.lb.col(col)
	}
	if _, err := c.buf.WriteString("\uFEFF"); err != nil {
		return err
	}
	if err := c.w.Write(header); err != nil {
		return err
	}
	for _, sec := range append([][]CountRow{{sum.Totals}}, sum.Sections()...) {
		for _, r := range sec {
			c.reset()
			c.row[0] = r.Section
			c.set("title", r.Label)
			switch r.Section {
			case "triage":
				c.set("triage_state", r.Label)
			case "stance":
				c.set("stance", r.Label)
			case "language":
				c.set("lang", r.Key)
			case "theme":
				c.set("themes", r.Key)
			case "day":
				c.set("date", r.Key)
			}
			c.set("ideas", itoa(r.Ideas))
			c.set("comments", itoa(r.Comments))
			if r.Section != "triage" && r.Section != "stance" && r.Section != "language" {
				c.set("votes", itoa(r.Votes))
			}
			if r.People != nil {
				c.set("people", itoa(*r.People))
			}
			if r.Section == "stance" {
				c.row[csvCol("ideas")] = ""
			}
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	for _, m := range sum.Measures {
		c.reset()
		c.row[0] = "measure"
		c.set("field", m.Field)
		c.set("id", itoa(m.ID))
		c.set("title", m.Title)
		c.set("status", c.lb.status[m.Status])
		c.set("themes", c.themes.list(m.Themes))
		c.set("votes_for", itoa(m.Tally.For))
		c.set("votes_against", itoa(m.Tally.Against))
		c.set("votes_neutral", itoa(m.Tally.Neutral))
		c.set("approval_share", share(m.Tally.Approval(), c.comma))
		c.set("comments_pro", itoa(m.Comments.Pro))
		c.set("comments_contra", itoa(m.Comments.Contra))
		c.set("comments_neutral", itoa(m.Comments.Neutral))
		c.set("comments", itoa(m.Comments.Pro+m.Comments.Contra+m.Comments.Neutral))
		c.set("votes", itoa(m.Tally.Total()))
		c.set("lead", m.Lead)
		c.set("history", c.lb.history(m.History))
		c.set("taken_up", refs(m.Ideas...))
		if err := c.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) beginIdeas() error    { return nil }
func (c *csvWriter) beginComments() error { return nil }

func (c *csvWriter) idea(r *IdeaRow) error {
	c.reset()
	c.row[0] = "idea"
	c.set("field", r.Field)
	c.set("id", itoa(r.ID))
	c.set("title", r.Title)
	c.set("text", r.Body)
	c.set("triage_state", c.lb.triage[r.TriageState])
	c.set("lang", r.Lang)
	c.set("themes", c.themes.list(r.Themes))
	c.set("author", r.Author)
	c.set("votes_for", itoa(r.Tally.For))
	c.set("votes_against", itoa(r.Tally.Against))
	c.set("votes_neutral", itoa(r.Tally.Neutral))
	c.set("approval_share", share(r.Tally.Approval(), c.comma))
	c.set("comments", itoa(r.Comments))
	c.set("votes", itoa(r.Tally.Total()))
	c.set("date", localTime(r.CreatedAt))
	c.set("response", r.Response)
	c.set("measure", ref(r.Measure))
	return c.flush()
}

func (c *csvWriter) comment(r *CommentRow) error {
	c.reset()
	c.row[0] = "comment"
	c.set("field", r.Field)
	c.set("id", itoa(r.ID))
	c.set("target", c.lb.kind[r.TargetKind]+" "+itoa(r.TargetID))
	c.set("title", r.TargetTitle)
	c.set("text", r.Body)
	c.set("triage_state", c.lb.triage[r.TriageState])
	c.set("stance", c.lb.stance[r.Stance])
	c.set("lang", r.Lang)
	c.set("author", r.Author)
	c.set("date", localTime(r.CreatedAt))
	c.set("response", r.Response)
	return c.flush()
}

func (c *csvWriter) end() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}
