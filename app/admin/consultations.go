package admin

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
)

// The consultation form writes guidelines and priorities as one textarea
// per language, one item a line: line N is item N in every language, so a
// translation can leave a line empty (it falls back to German). Themes are
// rows of a key and a title per language; a row left empty is dropped, and
// spareThemeRows empty rows let an administrator add themes.
const (
	spareThemeRows = 3
	maxThemeRows   = 60
)

type consultationPage struct {
	// Detail is nil while the consultation is being created.
	Detail          *consultations.Detail
	ThemeRows       []themeRow
	Phases          []string
	ModerationModes []string
}

// themeRow is one row of the themes on the form: its inputs are named
// Prefix.key and Prefix.title.<lang>.
type themeRow struct {
	Number int
	Prefix string
}

func (h *Handlers) renderConsultation(c *fiber.Ctx, d *consultations.Detail, form map[string]string, err error, from origin) error {
	rows, _ := strconv.Atoi(form["theme_rows"])
	rows = min(max(rows, 0), maxThemeRows)
	data := consultationPage{Detail: d, Phases: consultations.Phases, ModerationModes: consultations.ModerationModes}
	for i := range rows {
		data.ThemeRows = append(data.ThemeRows, themeRow{Number: i + 1, Prefix: "themes." + strconv.Itoa(i)})
	}
	var v *pages.View
	if d == nil {
		v = h.view(c, "admin.consultation.new")
	} else {
		v = h.view(c, "admin.consultation.edit", "Title", d.Title.String(locale.From(c).Lang.Code))
	}
	v.Data = data
	if err != nil {
		return h.invalid(c, err, "admin_consultation", v, form, from.rename(locale.From(c)))
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_consultation", v)
}

// consultationForm fills the form from a stored consultation.
func consultationForm(d *consultations.Detail) map[string]string {
	form := map[string]string{
		"slug": d.Slug, "phase": d.Phase, "moderation": d.Moderation,
		"opens_at": localInput(d.OpensAt), "closes_at": localInput(d.ClosesAt),
	}
	fillText(form, "title", d.Title)
	fillText(form, "description", d.Description)
	fillText(form, "process", d.Process)
	for _, list := range []struct {
		name  string
		items []consultations.Numbered
	}{{"guidelines", d.Guidelines}, {"priorities", d.Priorities}} {
		lines := map[string][]string{}
		for i, item := range list.items {
			for code, s := range item.Text {
				for len(lines[code]) < i {
					lines[code] = append(lines[code], "")
				}
				lines[code] = append(lines[code], s)
			}
		}
		for code, l := range lines {
			form[list.name+"."+code] = strings.Join(l, "\n")
		}
	}
	for i, t := range d.Themes {
		form["themes."+strconv.Itoa(i)+".key"] = t.Key
		fillText(form, "themes."+strconv.Itoa(i)+".title", t.Title)
	}
	form["theme_rows"] = strconv.Itoa(len(d.Themes) + spareThemeRows)
	return form
}

// The schedule's dates are entered as datetime-local inputs, in the
// city's time.
const localLayout = "2006-01-02T15:04"

// localInput is a date as a datetime-local input shows it, "" for none.
func localInput(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(locale.CityTime()).Format(localLayout)
}

// dateFrom reads a datetime-local input. A date shown as stored is left
// alone, so saving the form for another change does not make a date that
// has fired fire again; an empty input removes the date.
func dateFrom(raw string, stored *time.Time) consultations.DateChange {
	raw = strings.TrimSpace(raw)
	switch {
	case stored != nil && raw == localInput(stored):
		return consultations.DateChange{}
	case raw == "":
		return consultations.SetDate(nil)
	}
	for _, layout := range []string{localLayout, localLayout + ":05"} {
		if t, err := time.ParseInLocation(layout, raw, locale.CityTime()); err == nil {
			return consultations.SetDate(&t)
		}
	}
	// Refused by the service as not a time.
	d := consultations.DateChange{}
	d.Set, d.Value = true, &raw
	return d
}

// origin remembers where in the form each list item came from, so an
// error about guidelines[2] can point at its line.
type origin struct {
	lines map[string][]int // guidelines, priorities: item -> line (from 1)
	rows  []int            // theme -> row
}

// consultationInput reads the form; stored is the consultation as it is
// (nil while it is being created).
func (h *Handlers) consultationInput(form map[string]string, stored *consultations.Detail) (consultations.Input, origin) {
	slug := strings.TrimSpace(form["slug"])
	phase, moderation := form["phase"], form["moderation"]
	in := consultations.Input{
		Slug: &slug, Phase: &phase, Moderation: &moderation,
		Title: h.textFrom(form, "title"), Description: h.textFrom(form, "description"),
		Process: h.textFrom(form, "process"),
	}
	var opens, closes *time.Time
	if stored != nil {
		opens, closes = stored.OpensAt, stored.ClosesAt
	}
	in.OpensAt, in.ClosesAt = dateFrom(form["opens_at"], opens), dateFrom(form["closes_at"], closes)
	from := origin{lines: map[string][]int{}}
	guidelines, lines := h.linesFrom(form, "guidelines")
	from.lines["guidelines"] = lines
	priorities, lines := h.linesFrom(form, "priorities")
	from.lines["priorities"] = lines
	in.Guidelines, in.Priorities = &guidelines, &priorities
	themes := []consultations.ThemeInput{}
	rows, _ := strconv.Atoi(form["theme_rows"])
	for i := range min(rows, maxThemeRows) {
		prefix := "themes." + strconv.Itoa(i)
		key := strings.TrimSpace(form[prefix+".key"])
		title := h.textFrom(form, prefix+".title")
		if key == "" && strings.TrimSpace(strings.Join(valuesOf(title), "")) == "" {
			continue
		}
		themes = append(themes, consultations.ThemeInput{Key: key, Title: title})
		from.rows = append(from.rows, i)
	}
	in.Themes = &themes
	return in, from
}

func valuesOf(t locale.Text) []string {
	out := make([]string, 0, len(t))
	for _, s := range t {
		out = append(out, s)
	}
	return out
}

// linesFrom reads one list (guidelines or priorities) from its textareas
// and the line each item stands on. A line empty in every language is no item.
func (h *Handlers) linesFrom(form map[string]string, name string) ([]locale.Text, []int) {
	perLang := map[string][]string{}
	n := 0
	for _, l := range h.catalog.Langs() {
		perLang[l.Code] = strings.Split(form[name+"."+l.Code], "\n")
		n = max(n, len(perLang[l.Code]))
	}
	items, lines := []locale.Text{}, []int{}
	for i := range n {
		t := locale.Text{}
		for code, ls := range perLang {
			if i < len(ls) && strings.TrimSpace(ls[i]) != "" {
				t[code] = ls[i]
			}
		}
		if len(t) > 0 {
			items, lines = append(items, t), append(lines, i+1)
		}
	}
	return items, lines
}

// rename points the service's field names at the form's inputs.
func (o origin) rename(l *locale.Localizer) fieldRename {
	return func(field string) (string, string, bool) {
		switch field {
		case "guidelines", "priorities":
			return field + "." + locale.Default, "", true
		case "themes":
			return "themes.0.key", "", true
		}
		list, i, rest, ok := indexed(field)
		if !ok {
			return "", "", false
		}
		if list == "themes" {
			if i >= len(o.rows) {
				return "", "", false
			}
			return "themes." + strconv.Itoa(o.rows[i]) + "." + rest, "", true
		}
		lines := o.lines[list]
		if i >= len(lines) {
			return "", "", false
		}
		return list + "." + rest, l.T("admin.line", "Line", lines[i]), true
	}
}

// NewConsultationPage is GET /admin/consultations/new.
func (h *Handlers) NewConsultationPage(c *fiber.Ctx) error {
	form := map[string]string{
		"phase": consultations.PhaseDraft, "moderation": consultations.ModerationPre,
		"theme_rows": strconv.Itoa(spareThemeRows),
	}
	return h.renderConsultation(c, nil, form, nil, origin{})
}

// CreateConsultation is POST /admin/consultations.
func (h *Handlers) CreateConsultation(c *fiber.Ctx) error {
	form := postedForm(c)
	in, from := h.consultationInput(form, nil)
	d, err := h.Consultations.Create(c.UserContext(), access.From(c).UserID, in)
	if err != nil {
		return h.renderConsultation(c, nil, form, onField(err, consultations.ErrSlugTaken, "slug"), from)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/consultations/"+d.Slug)
}

// consultation loads the consultation at {slug}, drafts included.
func (h *Handlers) consultation(c *fiber.Ctx) (*consultations.Detail, error) {
	return h.Consultations.Get(c.UserContext(), strings.Clone(c.Params("slug")), true)
}

// ConsultationPage is GET /admin/consultations/{slug}.
func (h *Handlers) ConsultationPage(c *fiber.Ctx) error {
	d, err := h.consultation(c)
	if err != nil {
		return err
	}
	return h.renderConsultation(c, d, consultationForm(d), nil, origin{})
}

// UpdateConsultation is POST /admin/consultations/{slug}.
func (h *Handlers) UpdateConsultation(c *fiber.Ctx) error {
	before, err := h.consultation(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	in, from := h.consultationInput(form, before)
	d, err := h.Consultations.Update(c.UserContext(), access.From(c).UserID, before.Slug, in)
	if err != nil {
		return h.renderConsultation(c, before, form, onField(err, consultations.ErrSlugTaken, "slug"), from)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/consultations/"+d.Slug)
}

type fieldPage struct {
	Consultation consultations.Consultation
	// Field is nil while the field is being created.
	Field   *consultations.FieldSummary
	Groups  []experts.Group
	Checked map[int64]bool
	// Measures are the field's, each linked to its edit page.
	Measures []consultations.MeasureRow
}

func (h *Handlers) renderField(c *fiber.Ctx, data fieldPage, form map[string]string, err error) error {
	groups, gerr := h.Experts.List(c.UserContext(), 0, listAll)
	if gerr != nil {
		return gerr
	}
	data.Groups = groups
	if data.Field != nil {
		if data.Measures, gerr = h.Consultations.ListMeasures(c.UserContext(), data.Field.ID, 0, listAll); gerr != nil {
			return gerr
		}
	}
	lang := locale.From(c).Lang.Code
	var v *pages.View
	if data.Field == nil {
		v = h.view(c, "admin.field.new", "Consultation", data.Consultation.Title.String(lang))
	} else {
		v = h.view(c, "admin.field.edit", "Title", data.Field.Title.String(lang))
	}
	v.Data = data
	if err != nil {
		return h.invalid(c, err, "admin_field", v, form, nil)
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_field", v)
}

func (h *Handlers) fieldInput(c *fiber.Ctx, form map[string]string) (consultations.FieldInput, map[int64]bool) {
	slug := strings.TrimSpace(form["slug"])
	groups := postedIDs(c, "expert_groups")
	checked := map[int64]bool{}
	for _, g := range groups {
		checked[g] = true
	}
	return consultations.FieldInput{
		Slug: &slug, Title: h.textFrom(form, "title"), Description: h.textFrom(form, "description"), ExpertGroups: &groups,
	}, checked
}

// NewFieldPage is GET /admin/consultations/{slug}/fields/new.
func (h *Handlers) NewFieldPage(c *fiber.Ctx) error {
	d, err := h.consultation(c)
	if err != nil {
		return err
	}
	return h.renderField(c, fieldPage{Consultation: d.Consultation, Checked: map[int64]bool{}}, map[string]string{}, nil)
}

// CreateField is POST /admin/consultations/{slug}/fields.
func (h *Handlers) CreateField(c *fiber.Ctx) error {
	d, err := h.consultation(c)
	if err != nil {
		return err
	}
	return h.saveField(c, fieldPage{Consultation: d.Consultation}, func(in consultations.FieldInput) (int64, error) {
		f, err := h.Consultations.CreateField(c.UserContext(), access.From(c).UserID, d.Slug, in)
		if err != nil {
			return 0, err
		}
		return f.ID, nil
	})
}

// saveField saves the posted field form through save, which answers the
// field's id, and goes to the field's page; on errors the form shows again
// beside them.
func (h *Handlers) saveField(c *fiber.Ctx, data fieldPage, save func(consultations.FieldInput) (int64, error)) error {
	form := postedForm(c)
	in, checked := h.fieldInput(c, form)
	id, err := save(in)
	if err != nil {
		data.Checked = checked
		return h.renderField(c, data, form, onField(err, consultations.ErrSlugTaken, "slug"))
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/fields/"+strconv.FormatInt(id, 10))
}

// FieldPage is GET /admin/fields/{id}.
func (h *Handlers) FieldPage(c *fiber.Ctx) error {
	fc, err := h.fieldContext(c)
	if err != nil {
		return err
	}
	form := map[string]string{"slug": fc.Field.Slug}
	fillText(form, "title", fc.Field.Title)
	fillText(form, "description", fc.Field.Description)
	checked := map[int64]bool{}
	for _, g := range fc.Field.GroupIDs() {
		checked[g] = true
	}
	return h.renderField(c, fieldPage{Consultation: fc.Consultation, Field: &fc.Field, Checked: checked}, form, nil)
}

func (h *Handlers) fieldContext(c *fiber.Ctx) (*consultations.FieldContext, error) {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return nil, err
	}
	return h.Consultations.GetField(c.UserContext(), id, true)
}

// UpdateField is POST /admin/fields/{id}.
func (h *Handlers) UpdateField(c *fiber.Ctx) error {
	fc, err := h.fieldContext(c)
	if err != nil {
		return err
	}
	return h.saveField(c, fieldPage{Consultation: fc.Consultation, Field: &fc.Field}, func(in consultations.FieldInput) (int64, error) {
		_, err := h.Consultations.UpdateField(c.UserContext(), access.From(c).UserID, fc.Field.ID, in)
		return fc.Field.ID, err
	})
}
