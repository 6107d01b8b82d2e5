package consultations

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// MeasureEditData is what the measure edit page shows.
type MeasureEditData struct {
	Measure  *MeasureDetail
	Themes   []Theme
	Statuses []string
	Langs    []locale.Lang
	// Milestones and Documents are the rows of the record's list forms;
	// Takeable the ideas that can be taken up.
	Milestones []RecordRow
	Documents  []RecordRow
	Takeable   []IdeaRef
}

// HasTheme reports whether the measure carries a theme.
func (d *MeasureEditData) HasTheme(key string) bool {
	for _, k := range d.Measure.Themes {
		if k == key {
			return true
		}
	}
	return false
}

// EditMeasurePage is GET /measures/{id}/edit (experts of the field's groups, admins).
func (h *Handlers) EditMeasurePage(c *fiber.Ctx) error { return h.editMeasurePage(c, nil) }

func (h *Handlers) editMeasurePage(c *fiber.Ctx, failed error) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	fc, err := h.svc.GetField(c.UserContext(), m.FieldID, true)
	if err != nil {
		return err
	}
	takeable, err := h.svc.takeableIdeas(c.UserContext(), m)
	if err != nil {
		return err
	}
	view := h.pages.NewView(c, locale.From(c).T("measure.edit_title"))
	view.Data = &MeasureEditData{
		Measure: m, Themes: fc.Themes, Statuses: MeasureStatuses, Langs: h.svc.catalog.Langs(),
		Milestones: rows("milestones", len(m.Record.Milestones)), Documents: rows("documents", len(m.Record.Documents)), Takeable: takeable,
	}
	form := map[string]string{"status": m.Status}
	for _, l := range h.svc.catalog.Langs() {
		form["title_"+l.Code] = m.Title[l.Code]
		form["summary_"+l.Code] = m.Summary[l.Code]
		form["description_"+l.Code] = m.Description[l.Code]
		form["lead_"+l.Code] = m.Lead[l.Code]
		form["statement_"+l.Code] = ""
	}
	recordForm(form, &m.Record)
	view.Form = form
	status := fiber.StatusOK
	if failed != nil {
		status = problem.StatusOf(failed)
		// What was sent is shown again; the other forms keep the values
		// they had.
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			form[string(k)] = plaintext.FromForm(string(v))
		})
		view.SetFormErrors(failed, form)
		for i := range view.Errors {
			f := formName.Replace(view.Errors[i].Field)
			if f == "statement" {
				f = "statement_de" // none was given: German is the one needed
			}
			view.Errors[i].Field = f
		}
	}
	return h.pages.Render(c, status, "measure-edit", view)
}

// formName turns an API field ("milestones[1].due_on") into the name of
// its input on the page ("milestones_1_due_on").
var formName = strings.NewReplacer(".", "_", "[", "_", "]", "")

// EditMeasureSubmit is POST /measures/{id}/edit.
func (h *Handlers) EditMeasureSubmit(c *fiber.Ctx) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	texts := map[string]locale.Text{"title": {}, "summary": {}, "description": {}, "lead": {}, "statement": {}}
	for name, t := range texts {
		for _, l := range h.svc.catalog.Langs() {
			if s := plaintext.FromForm(strings.Clone(c.FormValue(name + "_" + l.Code))); s != "" || l.Code == locale.Default {
				t[l.Code] = s
			}
		}
	}
	// A form sends every field: an empty lead removes it, an empty
	// statement is none.
	lead := locale.Text{}
	for code, v := range texts["lead"] {
		if v != "" {
			lead[code] = v
		}
	}
	for code, v := range texts["statement"] {
		if v == "" {
			delete(texts["statement"], code)
		}
	}
	status := strings.Clone(c.FormValue("status"))
	themes := []string{}
	for _, raw := range c.Request().PostArgs().PeekMulti("themes") {
		themes = append(themes, string(raw))
	}
	in := MeasureInput{Title: texts["title"], Summary: texts["summary"], Description: texts["description"], Status: &status, Themes: &themes,
		Lead: jsonapi.Nullable[locale.Text]{Set: true, Value: &lead}}
	if len(texts["statement"]) > 0 {
		in.Statement = texts["statement"]
	}
	if _, err := h.svc.UpdateMeasure(c.UserContext(), access.From(c).UserID, m.ID, in); err != nil {
		if problem.StatusOf(err) == fiber.StatusUnprocessableEntity {
			return h.editMeasurePage(c, err)
		}
		return err
	}
	pages.Flash(c, "ok", "flash.measure_saved")
	return pages.Redirect(c, "/m/"+strconv.FormatInt(m.ID, 10))
}

// managedMeasure loads the measure at /measures/{id} for someone who may
// change it: 404 when they cannot see it, 403 when they may not manage
// its field's measures.
func (h *Handlers) managedMeasure(c *fiber.Ctx) (*MeasureDetail, error) {
	id, err := IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	m, err := h.svc.GetMeasure(c.UserContext(), id, access.From(c).SeesDrafts(), 0)
	if err != nil {
		return nil, err
	}
	return m, h.mayManageMeasures(c, m.FieldID)
}
