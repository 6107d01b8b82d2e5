package export

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/locale"
)

// mdWriter writes a document meant to be read and printed: headings, the
// breakdowns and measures as tables, each idea and comment as a short
// block with its text quoted.
type mdWriter struct {
	buf    *bufio.Writer
	lb     *labels
	themes themeTitles
	err    error
}

func newMarkdown(w io.Writer, lb *labels, themes themeTitles) *mdWriter {
	return &mdWriter{buf: bufio.NewWriterSize(w, 64<<10), lb: lb, themes: themes}
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`)

// mdInline escapes text for one line (a table cell or a heading).
func mdInline(s string) string {
	s = mdEscaper.Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// mdQuote quotes a contribution's text line by line, escaped, so nothing
// a person wrote turns into a heading, a link or a table.
func mdQuote(s string) string {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n")
	for i, l := range lines {
		l = mdEscaper.Replace(l)
		if t := strings.TrimLeft(l, " "); strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "=") {
			l = `\` + t
		}
		lines[i] = strings.TrimRight("> "+l, " ")
	}
	return strings.Join(lines, "\n")
}

func (m *mdWriter) p(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.buf, format, args...)
	}
}

func (m *mdWriter) table(header []string, rows [][]string) {
	if len(rows) == 0 {
		m.p("%s\n\n", mdInline(m.lb.l.T("export.none")))
		return
	}
	m.p("| %s |\n|", strings.Join(header, " | "))
	for range header {
		m.p(" --- |")
	}
	m.p("\n")
	for _, r := range rows {
		for i := range r {
			r[i] = mdInline(r[i])
		}
		m.p("| %s |\n", strings.Join(r, " | "))
	}
	m.p("\n")
}

func percent(a *float64) string {
	if a == nil {
		return "–"
	}
	return fmt.Sprintf("%d %%", int(math.Round(*a*100)))
}

func (m *mdWriter) col(k string) string { return mdInline(m.lb.col(k)) }

func (m *mdWriter) begin(sum *Summary) error {
	l := m.lb.l
	m.p("# %s\n\n", mdInline(l.T("export.title", "Name", sum.Scope.Name)))
	m.p("%s\n\n", mdInline(l.T("export.generated", "Date", l.DateTime(sum.GeneratedAt))))
	m.p("%s\n\n", mdInline(l.T("export.privacy_note")))
	m.p("## %s\n\n", mdInline(l.T("experts.fields")))
	for _, f := range sum.Fields {
		m.p("- %s (%s)\n", mdInline(f.Title), mdInline(f.Consultation))
	}
	m.p("\n## %s\n\n", mdInline(l.T("export.overview")))
	t := sum.Totals
	m.table([]string{m.col("ideas"), m.col("comments"), m.col("votes"), m.col("people")},
		[][]string{{itoa(t.Ideas), itoa(t.Comments), itoa(t.Votes), itoa(people(t.People))}})

	m.p("### %s\n\n", mdInline(m.lb.sections["triage"]))
	var rows [][]string
	for _, r := range sum.Triage {
		rows = append(rows, []string{r.Label, itoa(r.Ideas), itoa(r.Comments)})
	}
	m.table([]string{m.col("triage_state"), m.col("ideas"), m.col("comments")}, rows)

	m.p("### %s\n\n", mdInline(m.lb.sections["stance"]))
	rows = nil
	for _, r := range sum.Stances {
		rows = append(rows, []string{r.Label, itoa(r.Comments)})
	}
	m.table([]string{m.col("stance"), m.col("comments")}, rows)

	m.p("### %s\n\n", mdInline(m.lb.sections["theme"]))
	rows = nil
	for _, r := range sum.Themes {
		rows = append(rows, []string{r.Label, itoa(r.Ideas), itoa(r.Comments), itoa(r.Votes), itoa(people(r.People))})
	}
	m.table([]string{m.col("themes"), m.col("ideas"), m.col("comments"), m.col("votes"), m.col("people")}, rows)

	m.p("### %s\n\n", mdInline(m.lb.sections["language"]))
	rows = nil
	for _, r := range sum.Languages {
		rows = append(rows, []string{r.Label, itoa(r.Ideas), itoa(r.Comments), itoa(people(r.People))})
	}
	m.table([]string{m.col("lang"), m.col("ideas"), m.col("comments"), m.col("people")}, rows)

	m.p("### %s\n\n", mdInline(m.lb.sections["day"]))
	rows = nil
	for _, r := range sum.Days {
		rows = append(rows, []string{r.Key, itoa(r.Ideas), itoa(r.Comments), itoa(r.Votes)})
	}
	m.table([]string{m.col("date"), m.col("ideas"), m.col("comments"), m.col("votes")}, rows)

	m.p("## %s\n\n", mdInline(l.T("export.sheet_measures")))
	rows = nil
	for _, x := range sum.Measures {
		rows = append(rows, []string{x.Field, x.Title, m.lb.status[x.Status], itoa(x.Tally.For), itoa(x.Tally.Against), itoa(x.Tally.Neutral),
			percent(x.Tally.Approval()), itoa(x.Comments.Pro), itoa(x.Comments.Contra), itoa(x.Comments.Neutral)})
	}
	m.table([]string{m.col("field"), m.col("title"), m.col("status"), m.col("votes_for"), m.col("votes_against"), m.col("votes_neutral"),
		m.col("approval_share"), m.col("comments_pro"), m.col("comments_contra"), m.col("comments_neutral")}, rows)
	m.records(sum.Measures)
	return m.err
}

// records lists each measure's lead, history and the ideas taken up in it.
func (m *mdWriter) records(measures []MeasureRow) {
	if len(measures) == 0 {
		return
	}
	m.p("### %s\n\n", mdInline(m.lb.col("history")))
	for _, x := range measures {
		m.p("- **%s**\n", mdInline(fmt.Sprintf("%s %d: %s", m.lb.kind["measure"], x.ID, x.Title)))
		if x.Lead != "" {
			m.p("  - %s: %s\n", m.col("lead"), mdInline(x.Lead))
		}
		for _, h := range x.History {
			line := h.At.In(locale.CityTime()).Format(time.DateOnly) + " " + m.lb.status[h.Status]
			if h.Statement != "" {
				line += ": " + h.Statement
			}
			m.p("  - %s\n", mdInline(line))
		}
		if len(x.Ideas) > 0 {
			m.p("  - %s: %s\n", m.col("taken_up"), mdInline(refs(x.Ideas...)))
		}
	}
	m.p("\n")
}

func (m *mdWriter) beginIdeas() error {
	m.p("## %s\n\n", mdInline(m.lb.l.T("export.sheet_ideas")))
	return m.err
}

func (m *mdWriter) idea(r *IdeaRow) error {
	m.p("### %s\n\n", mdInline(fmt.Sprintf("%s %d: %s", m.lb.kind["idea"], r.ID, r.Title)))
	meta := []string{r.Author, r.Field, r.Lang, r.CreatedAt.In(locale.CityTime()).Format(time.DateOnly), m.lb.triage[r.TriageState],
		fmt.Sprintf("%s %d · %s %d · %s %d · %s %s", m.lb.col("votes_for"), r.Tally.For, m.lb.col("votes_against"), r.Tally.Against,
			m.lb.col("votes_neutral"), r.Tally.Neutral, m.lb.col("approval_share"), percent(r.Tally.Approval()))}
	if len(r.Themes) > 0 {
		meta = append(meta, m.themes.list(r.Themes))
	}
	m.p("%s\n\n%s\n\n", mdInline(strings.Join(meta, " · ")), mdQuote(r.Body))
	if r.Measure != nil {
		m.p("**%s:** %s\n\n", m.col("measure"), mdInline(ref(r.Measure)))
	}
	if r.Response != "" {
		m.p("**%s:** %s\n\n", mdInline(m.lb.col("response")), mdInline(r.Response))
	}
	return m.err
}

func (m *mdWriter) beginComments() error {
	m.p("## %s\n\n", mdInline(m.lb.l.T("export.sheet_comments")))
	return m.err
}

func (m *mdWriter) comment(r *CommentRow) error {
	target := fmt.Sprintf("%s %d: %s", m.lb.kind[r.TargetKind], r.TargetID, r.TargetTitle)
	m.p("**%s %d** · %s\n\n", mdInline(m.lb.kind["comment"]), r.ID, mdInline(strings.Join([]string{r.Author, m.lb.stance[r.Stance],
		r.Lang, r.CreatedAt.In(locale.CityTime()).Format(time.DateOnly), m.lb.triage[r.TriageState], target}, " · ")))
	m.p("%s\n\n", mdQuote(r.Body))
	if r.Response != "" {
		m.p("**%s:** %s\n\n", mdInline(m.lb.col("response")), mdInline(r.Response))
	}
	return m.err
}

func (m *mdWriter) end() error {
	if m.err != nil {
		return m.err
	}
	if _, err := m.buf.WriteString("\n"); err != nil {
		return m.err
	}
	return m.buf.Flush()
}
