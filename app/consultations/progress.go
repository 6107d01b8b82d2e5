package consultations

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Progress says what became of a consultation's measures: how many are in
// each status, overall, per field and per theme, and each measure with
// its latest statement. Every measure counts, the demo's examples too (the
// pages mark them); a measure counts in every theme it carries.

// StatusCounts counts measures per status, in the order of MeasureStatuses.
type StatusCounts [5]int64

// Add counts one measure in status; an unknown status is not counted.
func (c *StatusCounts) Add(status string) {
	if i := statusIndex(status); i >= 0 {
		c[i]++
	}
}

// Total is the number of measures counted.
func (c StatusCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Max is the largest count of one status.
func (c StatusCounts) Max() int64 {
	var n int64
	for _, v := range c {
		n = max(n, v)
	}
	return n
}

// MarshalJSON writes {"proposed":N,…}, every status present.
func (c StatusCounts) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range MeasureStatuses {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(s)
		v, _ := json.Marshal(c[i])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func statusIndex(status string) int {
	for i, s := range MeasureStatuses {
		if s == status {
			return i
		}
	}
	return -1
}

// FieldProgress is a field with the statuses of its measures.
type FieldProgress struct {
	Field
	Counts StatusCounts
}

// ThemeProgress is a theme with the statuses of the measures carrying it.
type ThemeProgress struct {
	Theme
	Counts StatusCounts
}

// ProgressMeasure is a measure as the progress shows it, with its newest
// history entry (Statement empty when that entry has none).
type ProgressMeasure struct {
	ID          int64       `bun:"id"`
	FieldID     int64       `bun:"field_id"`
	Title       locale.Text `bun:"title,type:text"`
	Status      string      `bun:"status"`
	Themes      Keys        `bun:"themes,type:text"`
	Lead        locale.Text `bun:"lead,type:text"`
	IsExample   bool        `bun:"is_example"`
	UpdatedAt   time.Time   `bun:"updated_at"`
	Statement   locale.Text `bun:"statement,type:text"`
	StatementAt *time.Time  `bun:"statement_at"`
	// FieldTitle is the title of the measure's field, for the page.
	FieldTitle locale.Text `bun:"-"`
}

// StatementDate is the day of the newest history entry, else of the
// measure's last change.
func (m ProgressMeasure) StatementDate() time.Time {
	if m.StatementAt != nil {
		return *m.StatementAt
	}
	return m.UpdatedAt
}

// Progress is what became of a consultation's measures.
type Progress struct {
	Consultation Consultation
	Counts       StatusCounts
	Fields       []FieldProgress
	Themes       []ThemeProgress
	// Measures in the order of their fields, then of creation.
	Measures []ProgressMeasure
}

// progressMeasures reads a consultation's measures with the newest entry
// of each one's history, in one query.
const progressMeasures = `
SELECT m.id, m.field_id, m.title, m.status, m.themes, m.lead, m.is_example, m.updated_at,
  COALESCE(h.statement, '{}') AS statement, h.created_at AS statement_at
FROM measures m JOIN fields f ON f.id = m.field_id
LEFT JOIN measure_history h ON h.id = (SELECT MAX(hh.id) FROM measure_history hh WHERE hh.measure_id = m.id)
WHERE f.consultation_id = ?
ORDER BY f.position, f.id, m.id`

// Progress reads what became of the measures of the consultation slug;
// drafts are hidden (404) unless includeDrafts.
func (s *Service) Progress(ctx context.Context, slug string, includeDrafts bool) (*Progress, error) {
	p := &Progress{}
	db := s.st.DB
	err := db.NewSelect().Model(&p.Consultation).Where("slug = ?", slug).Scan(ctx)
	if store.IsNoRows(err) || (err == nil && p.Consultation.Phase == PhaseDraft && !includeDrafts) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, err
	}
	id := p.Consultation.ID
	var fields []Field
	if err := db.NewSelect().Model(&fields).Where("consultation_id = ?", id).Order("position", "id").Scan(ctx); err != nil {
		return nil, err
	}
	var themes []Theme
	if err := db.NewSelect().Model(&themes).Where("consultation_id = ?", id).Order("position", "id").Scan(ctx); err != nil {
		return nil, err
	}
	if err := db.NewRaw(progressMeasures, id).Scan(ctx, &p.Measures); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	p.Fields = make([]FieldProgress, len(fields))
	fieldAt := map[int64]int{}
	for i, f := range fields {
		p.Fields[i].Field = f
		fieldAt[f.ID] = i
	}
	p.Themes = make([]ThemeProgress, len(themes))
	themeAt := map[string]int{}
	for i, t := range themes {
		p.Themes[i].Theme = t
		themeAt[t.Key] = i
	}
	if p.Measures == nil {
		p.Measures = []ProgressMeasure{}
	}
	for i := range p.Measures {
		m := &p.Measures[i]
		p.Counts.Add(m.Status)
		if at, ok := fieldAt[m.FieldID]; ok {
			p.Fields[at].Counts.Add(m.Status)
			m.FieldTitle = p.Fields[at].Title
		}
		for _, k := range m.Themes {
			if at, ok := themeAt[k]; ok {
				p.Themes[at].Counts.Add(m.Status)
			}
		}
	}
	return p, nil
}

// ProgressJSON is GET /consultations/{slug}/progress.
type ProgressJSON struct {
	ByStatus StatusCounts          `json:"by_status"`
	Fields   []FieldProgressJSON   `json:"fields"`
	Themes   []ThemeProgressJSON   `json:"themes"`
	Measures []ProgressMeasureJSON `json:"measures"`
}

// FieldProgressJSON is a field's counts.
type FieldProgressJSON struct {
	ID       int64        `json:"id"`
	Title    string       `json:"title"`
	ByStatus StatusCounts `json:"by_status"`
}

// ThemeProgressJSON is a theme's counts.
type ThemeProgressJSON struct {
	Key      string       `json:"key"`
	Title    string       `json:"title"`
	ByStatus StatusCounts `json:"by_status"`
}

// ProgressMeasureJSON is a measure in the progress.
type ProgressMeasureJSON struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	FieldID   int64     `json:"field_id"`
	Status    string    `json:"status"`
	Lead      *string   `json:"lead"`
	UpdatedAt time.Time `json:"updated_at"`
}

// JSON renders the progress in lang.
func (p *Progress) JSON(lang string) ProgressJSON {
	out := ProgressJSON{
		ByStatus: p.Counts, Fields: make([]FieldProgressJSON, 0, len(p.Fields)),
		Themes: make([]ThemeProgressJSON, 0, len(p.Themes)), Measures: make([]ProgressMeasureJSON, 0, len(p.Measures)),
	}
	for _, f := range p.Fields {
		out.Fields = append(out.Fields, FieldProgressJSON{ID: f.ID, Title: f.Title.String(lang), ByStatus: f.Counts})
	}
	for _, t := range p.Themes {
		out.Themes = append(out.Themes, ThemeProgressJSON{Key: t.Key, Title: t.Title.String(lang), ByStatus: t.Counts})
	}
	for _, m := range p.Measures {
		out.Measures = append(out.Measures, ProgressMeasureJSON{
			ID: m.ID, Title: m.Title.String(lang), FieldID: m.FieldID, Status: m.Status,
			Lead: optionalText(m.Lead, lang), UpdatedAt: m.UpdatedAt.UTC(),
		})
	}
	return out
}

// APIProgress is GET /api/v1/consultations/{slug}/progress.
func (h *Handlers) APIProgress(c *fiber.Ctx) error {
	p, err := h.svc.Progress(c.UserContext(), c.Params("slug"), access.From(c).SeesDrafts())
	if err != nil {
		return err
	}
	return c.JSON(p.JSON(lang(c)))
}

// ProgressPage is GET /c/{slug}/progress.
func (h *Handlers) ProgressPage(c *fiber.Ctx) error {
	p, err := h.svc.Progress(c.UserContext(), c.Params("slug"), access.From(c).SeesDrafts())
	if err != nil {
		return err
	}
	l := locale.From(c)
	v := h.pages.NewView(c, l.T("progress.title")+" · "+p.Consultation.Title.String(l.Lang.Code))
	v.Data = &progressPage{Progress: p, rtl: l.Lang.Dir == "rtl"}
	return h.pages.Render(c, fiber.StatusOK, "progress", v)
}
