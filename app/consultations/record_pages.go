package consultations

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// The record's lists are edited on the measure's edit page, each in a form
// of its own, without JavaScript: every row of a list is a group of inputs
// named after the API's fields ("milestones_0_title_de", so an error about
// "milestones[0].title.de" points at its input), and two empty rows stand
// ready for new entries. A row left empty is dropped.

// blankRows is how many empty rows a list offers for new entries.
const blankRows = 2

// RecordRow is one row of a list form: its input name prefix and values.
type RecordRow struct {
	Prefix string // "milestones_0"
	Number int    // 1-based, for the legend
}

// rows lists n rows of list plus the blank ones.
func rows(list string, n int) []RecordRow {
	out := make([]RecordRow, 0, n+blankRows)
	for i := range n + blankRows {
		out = append(out, RecordRow{Prefix: list + "_" + strconv.Itoa(i), Number: i + 1})
	}
	return out
}

// recordForm fills the form values of the record's lists.
func recordForm(form map[string]string, r *Record) {
	for i, m := range r.Milestones {
		p := "milestones_" + strconv.Itoa(i) + "_"
		for code, t := range m.Title {
			form[p+"title_"+code] = t
		}
		if m.DueOn != nil {
			form[p+"due_on"] = *m.DueOn
		}
		if m.DoneOn != nil {
			form[p+"done_on"] = *m.DoneOn
		}
	}
	for i, d := range r.Documents {
		p := "documents_" + strconv.Itoa(i) + "_"
		for code, t := range d.Title {
			form[p+"title_"+code] = t
		}
		form[p+"url"] = d.URL
	}
}

// postedRows reads the rows of list from the form, leaving out empty ones;
// orig maps each kept row to its row on the page.
func (h *Handlers) postedRows(c *fiber.Ctx, list string, max int, extra ...string) (rowsOut []map[string]string, titles []locale.Text, orig []int) {
	for i := range max + blankRows {
		p := list + "_" + strconv.Itoa(i) + "_"
		if !c.Request().PostArgs().Has(p + "title_" + locale.Default) {
			break
		}
		title := locale.Text{}
		values := map[string]string{}
		empty := true
		for _, l := range h.svc.catalog.Langs() {
			if v := plaintext.FromForm(strings.Clone(c.FormValue(p + "title_" + l.Code))); v != "" {
				title[l.Code], empty = v, false
			}
		}
		for _, name := range extra {
			v := strings.TrimSpace(strings.Clone(c.FormValue(p + name)))
			values[name] = v
			empty = empty && v == ""
		}
		if empty {
			continue
		}
		rowsOut, titles, orig = append(rowsOut, values), append(titles, title), append(orig, i)
	}
	return rowsOut, titles, orig
}

// onPage renames the fields of a list's errors from the rows sent to the
// rows on the page.
func onPage(err error, list string, orig []int) error {
	p, ok := err.(*problem.Problem)
	if !ok {
		return err
	}
	for i := range p.Errors {
		for j, o := range orig {
			from := list + "[" + strconv.Itoa(j) + "]"
			if strings.HasPrefix(p.Errors[i].Field, from+".") {
				p.Errors[i].Field = list + "[" + strconv.Itoa(o) + "]" + strings.TrimPrefix(p.Errors[i].Field, from)
				break
			}
		}
	}
	return err
}

func optionalDay(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MilestonesSubmit is POST /measures/{id}/milestones.
func (h *Handlers) MilestonesSubmit(c *fiber.Ctx) error {
	return h.listSubmit(c, "milestones", MaxMilestones, []string{"due_on", "done_on"}, func(ctx context.Context, actor, id int64, values []map[string]string, titles []locale.Text) error {
		list := make([]MilestoneInput, len(values))
		for i, v := range values {
			list[i] = MilestoneInput{Title: titles[i], DueOn: optionalDay(v["due_on"]), DoneOn: optionalDay(v["done_on"])}
		}
		_, err := h.svc.ReplaceMilestones(ctx, actor, id, list)
		return err
	})
}

// DocumentsSubmit is POST /measures/{id}/documents.
func (h *Handlers) DocumentsSubmit(c *fiber.Ctx) error {
	return h.listSubmit(c, "documents", MaxDocuments, []string{"url"}, func(ctx context.Context, actor, id int64, values []map[string]string, titles []locale.Text) error {
		list := make([]DocumentInput, len(values))
		for i, v := range values {
			list[i] = DocumentInput{Title: titles[i], URL: v["url"]}
		}
		_, err := h.svc.ReplaceDocuments(ctx, actor, id, list)
		return err
	})
}

func (h *Handlers) listSubmit(c *fiber.Ctx, list string, max int, extra []string, save func(ctx context.Context, actor, id int64, values []map[string]string, titles []locale.Text) error) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	values, titles, orig := h.postedRows(c, list, max, extra...)
	if err := save(c.UserContext(), access.From(c).UserID, m.ID, values, titles); err != nil {
		if problem.StatusOf(err) == fiber.StatusUnprocessableEntity {
			return h.editMeasurePage(c, onPage(err, list, orig))
		}
		return err
	}
	pages.Flash(c, "ok", "flash.record_saved")
	return pages.Redirect(c, "/measures/"+strconv.FormatInt(m.ID, 10)+"/edit#"+list)
}

// TakeUpSubmit is POST /measures/{id}/ideas: the chosen idea is taken up.
func (h *Handlers) TakeUpSubmit(c *fiber.Ctx) error {
	return h.ideaSubmit(c, strings.Clone(c.FormValue("idea_id")), h.svc.TakeUpIdea)
}

// DropSubmit is POST /measures/{id}/ideas/{idea_id}/drop.
func (h *Handlers) DropSubmit(c *fiber.Ctx) error {
	return h.ideaSubmit(c, strings.Clone(c.Params("idea_id")), h.svc.DropIdea)
}

func (h *Handlers) ideaSubmit(c *fiber.Ctx, rawIdea string, change func(ctx context.Context, actorID, measureID, ideaID int64) error) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	ideaID, err := strconv.ParseInt(rawIdea, 10, 64)
	if err != nil || ideaID <= 0 {
		return h.editMeasurePage(c, problem.Invalid(problem.Field("idea_id", "error.choose_idea")))
	}
	if err := change(c.UserContext(), access.From(c).UserID, m.ID, ideaID); err != nil {
		if problem.StatusOf(err) == fiber.StatusUnprocessableEntity {
			return h.editMeasurePage(c, err)
		}
		return err
	}
	pages.Flash(c, "ok", "flash.record_saved")
	return pages.Redirect(c, "/measures/"+strconv.FormatInt(m.ID, 10)+"/edit#ideas")
}

// takeableIdeas lists the published ideas of a measure's consultation not
// taken up in it yet, newest first, for the edit page's choice.
func (s *Service) takeableIdeas(ctx context.Context, m *MeasureDetail) ([]IdeaRef, error) {
	var out []IdeaRef
	err := s.st.DB.NewRaw(`SELECT i.id, i.title, i.lang FROM ideas i JOIN fields f ON f.id = i.field_id
WHERE f.consultation_id = ? AND `+access.PublicSQL("i")+` AND (i.measure_id IS NULL OR i.measure_id <> ?) ORDER BY i.id DESC LIMIT 500`,
		m.ConsultationID, m.ID).Scan(ctx, &out)
	if store.IsNoRows(err) {
		err = nil
	}
	return out, err
}
