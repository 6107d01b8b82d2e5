package export

import (
	"context"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// MaxConcurrent is how many exports one instance writes at a time; more
// are answered 503 with a Retry-After.
const MaxConcurrent = 2

// Exporter writes feedback summaries.
type Exporter struct {
	st    *store.Store
	slots chan struct{}
}

// New builds an exporter on st.
func New(st *store.Store) *Exporter {
	return &Exporter{st: st, slots: make(chan struct{}, MaxConcurrent)}
}

// Acquire takes one of the instance's export slots, or answers 503.
// Release gives it back.
func (e *Exporter) Acquire() error {
	select {
	case e.slots <- struct{}{}:
		return nil
	default:
		return &problem.Problem{Status: http.StatusServiceUnavailable, DetailKey: "error.export_busy", RetryAfter: 30 * time.Second}
	}
}

// Release gives back a slot taken by Acquire.
func (e *Exporter) Release() { <-e.slots }

// ValidFormat reports a known format.
func ValidFormat(f string) bool { return slices.Contains(Formats, f) }

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "json":
		return "application/json"
	}
	return "text/markdown; charset=utf-8"
}

// GroupScope is the scope of an expert group's export.
func (e *Exporter) GroupScope(ctx context.Context, id int64, l *locale.Localizer) (Scope, error) {
	var name string
	if err := e.st.QueryRow(ctx, "SELECT name FROM expert_groups WHERE id = ?", id).Scan(&name); err != nil {
		if store.IsNoRows(err) {
			return Scope{}, problem.NotFound()
		}
		return Scope{}, err
	}
	var t locale.Text
	_ = t.Scan(name)
	sc := Scope{Kind: "expert_group", ID: id, Name: t.String(l.Lang.Code)}
	return sc, e.fieldIDs(ctx, &sc, "SELECT field_id FROM expert_group_fields WHERE group_id = ? ORDER BY field_id", id)
}

// ConsultationScope is the scope of a whole consultation's export.
func (e *Exporter) ConsultationScope(ctx context.Context, slug string, l *locale.Localizer) (Scope, error) {
	var (
		id    int64
		title string
	)
	if err := e.st.QueryRow(ctx, "SELECT id, title FROM consultations WHERE slug = ?", slug).Scan(&id, &title); err != nil {
		if store.IsNoRows(err) {
			return Scope{}, problem.NotFound()
		}
		return Scope{}, err
	}
	var t locale.Text
	_ = t.Scan(title)
	sc := Scope{Kind: "consultation", ID: id, Slug: slug, Name: t.String(l.Lang.Code)}
	return sc, e.fieldIDs(ctx, &sc, "SELECT id FROM fields WHERE consultation_id = ? ORDER BY position, id", id)
}

func (e *Exporter) fieldIDs(ctx context.Context, sc *Scope, query string, arg any) error {
	err := e.st.DB.NewRaw(query, arg).Scan(ctx, &sc.FieldIDs)
	if store.IsNoRows(err) {
		return nil
	}
	return err
}

// Summary reads the aggregates of a scope, for the overview page.
func (e *Exporter) Summary(ctx context.Context, sc Scope, l *locale.Localizer) (*Summary, error) {
	return newSource(e.st, sc, l).summary(ctx)
}

// writer is one format.
type writer interface {
	begin(*Summary) error
	beginIdeas() error
	idea(*IdeaRow) error
	beginComments() error
	comment(*CommentRow) error
	end() error
}

// Progress is told how many ideas and comments have been written so far.
type Progress func(rows int64)

// Write writes the export of sc in format to w, reading rows in pages and
// writing each as it is read. Texts and column headers are in l's
// language.
func (e *Exporter) Write(ctx context.Context, w io.Writer, sc Scope, format string, l *locale.Localizer, progress Progress) error {
	src := newSource(e.st, sc, l)
	sum, err := src.summary(ctx)
	if err != nil {
		return err
	}
	var out writer
	switch format {
	case "csv":
		out = newCSV(w, src.labels, src.themes)
	case "xlsx":
		x, err := newXLSX(w, src.labels, src.themes)
		if err != nil {
			return err
		}
		out = x
	case "json":
		out = newJSON(w)
	case "md":
		out = newMarkdown(w, src.labels, src.themes)
	default:
		return problem.BadRequest("error.export_format")
	}
	var n int64
	count := func() {
		n++
		if progress != nil && n%10000 == 0 {
			progress(n)
		}
	}
	if err := out.begin(sum); err != nil {
		return err
	}
	if err := out.beginIdeas(); err != nil {
		return err
	}
	if err := src.ideas(ctx, func(r *IdeaRow) error { count(); return out.idea(r) }); err != nil {
		return err
	}
	if err := out.beginComments(); err != nil {
		return err
	}
	if err := src.comments(ctx, func(r *CommentRow) error { count(); return out.comment(r) }); err != nil {
		return err
	}
	if err := out.end(); err != nil {
		return err
	}
	if progress != nil {
		progress(n)
	}
	return nil
}
