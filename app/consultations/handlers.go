package consultations

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/topics"
)

// Handlers serve consultations, fields and measures.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

type consultationItem struct {
	Slug       string `json:"slug"`
	Title      string `json:"title"`
	Phase      string `json:"phase"`
	Moderation string `json:"moderation"`
	scheduleJSON
}

// scheduleJSON is a consultation's schedule as the API shows it.
type scheduleJSON struct {
	OpensAt  *string `json:"opens_at"`
	ClosesAt *string `json:"closes_at"`
	Process  string  `json:"process"`
}

func scheduleOut(c *Consultation, lang string) scheduleJSON {
	return scheduleJSON{OpensAt: rfc3339(c.OpensAt), ClosesAt: rfc3339(c.ClosesAt), Process: c.Process.String(lang)}
}

// rfc3339 is a time as the API writes it (UTC), nil for none.
func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

type numberedJSON struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
}

type themeJSON struct {
	Key   string `json:"key"`
	Title string `json:"title"`
}

// FieldJSON is a field as the API shows it.
type FieldJSON struct {
	ID           int64   `json:"id"`
	Slug         string  `json:"slug"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	ExpertGroups []int64 `json:"expert_groups"`
	MeasureCount int64   `json:"measure_count"`
	IdeaCount    int64   `json:"idea_count"`
}

type consultationJSON struct {
	Slug        string         `json:"slug"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Phase       string         `json:"phase"`
	Moderation  string         `json:"moderation"`
	Guidelines  []numberedJSON `json:"guidelines"`
	Priorities  []numberedJSON `json:"priorities"`
	Themes      []themeJSON    `json:"themes"`
	Fields      []FieldJSON    `json:"fields"`
	scheduleJSON
}

func numberedOut(list []Numbered, lang string) []numberedJSON {
	out := make([]numberedJSON, 0, len(list))
	for _, n := range list {
		out = append(out, numberedJSON{Number: n.Number, Text: n.Text.String(lang)})
	}
	return out
}

// FieldOut renders a field for the API.
func FieldOut(f *FieldSummary, lang string) FieldJSON {
	return FieldJSON{
		ID: f.ID, Slug: f.Slug, Title: f.Title.String(lang), Description: f.Description.String(lang),
		ExpertGroups: f.GroupIDs(), MeasureCount: f.MeasureCount, IdeaCount: f.IdeaCount,
	}
}

func detailOut(d *Detail, lang string) consultationJSON {
	out := consultationJSON{
		Slug: d.Slug, Title: d.Title.String(lang), Description: d.Description.String(lang),
		Phase: d.Phase, Moderation: d.Moderation,
		Guidelines: numberedOut(d.Guidelines, lang), Priorities: numberedOut(d.Priorities, lang),
		Themes: make([]themeJSON, 0, len(d.Themes)), Fields: make([]FieldJSON, 0, len(d.Fields)),
		scheduleJSON: scheduleOut(&d.Consultation, lang),
	}
	for _, t := range d.Themes {
		out.Themes = append(out.Themes, themeJSON{Key: t.Key, Title: t.Title.String(lang)})
	}
	for i := range d.Fields {
		out.Fields = append(out.Fields, FieldOut(&d.Fields[i], lang))
	}
	return out
}

func lang(c *fiber.Ctx) string { return locale.From(c).Lang.Code }

// APIList is GET /api/v1/consultations.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	list := func(ctx context.Context, after int64, limit int) ([]Consultation, error) {
		return h.svc.List(ctx, access.From(c).SeesDrafts(), after, limit)
	}
	l := lang(c)
	out := func(r *Consultation) consultationItem {
		return consultationItem{Slug: r.Slug, Title: r.Title.String(l), Phase: r.Phase, Moderation: r.Moderation, scheduleJSON: scheduleOut(r, l)}
	}
	return jsonapi.ServeList(c, list, func(r Consultation) int64 { return r.ID }, out)
}

// APIGet is GET /api/v1/consultations/{slug}.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	d, err := h.svc.Get(c.UserContext(), c.Params("slug"), access.From(c).SeesDrafts())
	if err != nil {
		return err
	}
	return c.JSON(detailOut(d, lang(c)))
}

// APICreate is POST /api/v1/consultations (admin).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	return serveChange(c, fiber.StatusCreated, h.svc.Create, detailOut)
}

// APIUpdate is PATCH /api/v1/consultations/{slug} (admin).
func (h *Handlers) APIUpdate(c *fiber.Ctx) error {
	return serveChange(c, fiber.StatusOK, inSlug(c, h.svc.Update), detailOut)
}

// APICreateField is POST /api/v1/consultations/{slug}/fields (admin).
func (h *Handlers) APICreateField(c *fiber.Ctx) error {
	return serveChange(c, fiber.StatusCreated, inSlug(c, h.svc.CreateField), FieldOut)
}

// serveChange serves an administrator's change with a JSON body B: fn makes
// it as the caller, and out renders its result in the caller's language,
// answered with status.
func serveChange[B, T, J any](c *fiber.Ctx, status int, fn func(ctx context.Context, actorID int64, in B) (T, error), out func(T, string) J) error {
	var in B
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	res, err := fn(c.UserContext(), access.From(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(out(res, lang(c)))
}

// inSlug makes fn a change of the consultation the path's slug names.
func inSlug[B, T any](c *fiber.Ctx, fn func(ctx context.Context, actorID int64, slug string, in B) (T, error)) func(context.Context, int64, B) (T, error) {
	slug := strings.Clone(c.Params("slug"))
	return func(ctx context.Context, actorID int64, in B) (T, error) { return fn(ctx, actorID, slug, in) }
}

// APIUpdateField is PATCH /api/v1/fields/{id} (admin).
func (h *Handlers) APIUpdateField() fiber.Handler {
	return jsonapi.UpdateByID(func(c *fiber.Ctx, id int64, in *FieldInput) (any, error) {
		f, err := h.svc.UpdateField(c.UserContext(), access.From(c).UserID, id, *in)
		if err != nil {
			return nil, err
		}
		return FieldOut(f, lang(c)), nil
	})
}

// IDParam reads a positive integer path parameter; anything else is 404,
// as no such resource can exist.
func IDParam(c *fiber.Ctx, name string) (int64, error) { return jsonapi.PathID(c, name) }

// HomePage is GET /.
func (h *Handlers) HomePage(c *fiber.Ctx) error {
	rows, err := h.svc.List(c.UserContext(), access.From(c).SeesDrafts(), 0, 100)
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, locale.From(c).T("home.title"))
	v.Data = rows
	return h.pages.Render(c, fiber.StatusOK, "home", v)
}

// PageTopics names what /c/{slug} shows, for the page cache: its fields'
// counts of measures and ideas change with events on the consultation's
// topic, everything else with pages.changed.
func PageTopics(c *fiber.Ctx) []string {
	slug := c.Params("slug")
	if slug == "" || len(slug) > 100 || strings.ContainsAny(slug, ", \t\r\n") {
		return nil
	}
	return []string{string(topics.Consultation(slug))}
}

// ConsultationPageData is what /c/{slug} shows.
type ConsultationPageData struct {
	*Detail
	Schedule Schedule
}

// ConsultationPage is GET /c/{slug}.
func (h *Handlers) ConsultationPage(c *fiber.Ctx) error {
	d, err := h.svc.Get(c.UserContext(), c.Params("slug"), access.From(c).SeesDrafts())
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, d.Title.String(lang(c)))
	v.Data = &ConsultationPageData{Detail: d, Schedule: d.ScheduleAt(h.svc.now())}
	return h.pages.Render(c, fiber.StatusOK, "consultation", v)
}

// APIFieldMeasures is GET /api/v1/fields/{id}/measures.
func (h *Handlers) APIFieldMeasures(c *fiber.Ctx) error {
	id, err := IDParam(c, "id")
	if err != nil {
		return err
	}
	list := func(ctx context.Context, after int64, limit int) ([]MeasureRow, error) {
		// A field the caller may not see has no measures to list: 404.
		if _, err := h.svc.GetField(ctx, id, access.From(c).SeesDrafts()); err != nil {
			return nil, err
		}
		return h.svc.ListMeasures(ctx, id, after, limit)
	}
	l := lang(c)
	out := func(m *MeasureRow) MeasureJSON { return m.JSON(l) }
	return jsonapi.ServeList(c, list, func(m MeasureRow) int64 { return m.ID }, out)
}

// APIMeasure is GET /api/v1/measures/{id}.
func (h *Handlers) APIMeasure(c *fiber.Ctx) error {
	id, err := IDParam(c, "id")
	if err != nil {
		return err
	}
	v := access.From(c)
	d, err := h.svc.GetMeasure(c.UserContext(), id, v.SeesDrafts(), v.UserID)
	if err != nil {
		return err
	}
	return c.JSON(d.JSON(lang(c)))
}

// mayManageMeasures refuses everyone but admins and experts of the field's
// groups who may act now (a block binds staff too).
func (h *Handlers) mayManageMeasures(c *fiber.Ctx, fieldID int64) error {
	v := access.From(c)
	if !v.SignedIn() {
		return access.Refusal(v)
	}
	groups, err := h.svc.FieldGroups(c.UserContext(), fieldID)
	if err != nil {
		return err
	}
	if !v.CanServeAnyGroup(groups) {
		return access.Refusal(v)
	}
	return nil
}

// APICreateMeasure is POST /api/v1/fields/{id}/measures (experts of the
// field's groups, admins).
func (h *Handlers) APICreateMeasure(c *fiber.Ctx) error {
	fieldID, err := IDParam(c, "id")
	if err != nil {
		return err
	}
	v := access.From(c)
	if _, err := h.svc.GetField(c.UserContext(), fieldID, v.SeesDrafts()); err != nil {
		return err
	}
	if err := h.mayManageMeasures(c, fieldID); err != nil {
		return err
	}
	var in MeasureInput
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	m, err := h.svc.CreateMeasure(c.UserContext(), v.UserID, fieldID, in, false)
	if err != nil {
		return err
	}
	d, err := h.svc.GetMeasure(c.UserContext(), m.ID, true, v.UserID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d.JSON(lang(c)))
}

// APIUpdateMeasure is PATCH /api/v1/measures/{id} (experts of the field's
// groups, admins).
func (h *Handlers) APIUpdateMeasure(c *fiber.Ctx) error {
	d, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	var in MeasureInput
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	v := access.From(c)
	if _, err := h.svc.UpdateMeasure(c.UserContext(), v.UserID, d.ID, in); err != nil {
		return err
	}
	if d, err = h.svc.GetMeasure(c.UserContext(), d.ID, true, v.UserID); err != nil {
		return err
	}
	return c.JSON(d.JSON(lang(c)))
}
