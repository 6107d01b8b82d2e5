package experts

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
)

// InboxHandlers serve a group's inbox and its page.
type InboxHandlers struct {
	svc   *Service
	cons  *consultations.Service
	pages *pages.Renderer
}

// NewInboxHandlers wires the handlers.
func NewInboxHandlers(svc *Service, cons *consultations.Service, r *pages.Renderer) *InboxHandlers {
	return &InboxHandlers{svc: svc, cons: cons, pages: r}
}

// InboxItemJSON is an inbox item as the API shows it.
type InboxItemJSON struct {
	Kind        string                `json:"kind"`
	ID          int64                 `json:"id"`
	FieldID     int64                 `json:"field_id"`
	Title       *string               `json:"title,omitempty"`
	Body        string                `json:"body"`
	Lang        string                `json:"lang"`
	Author      participation.Author  `json:"author"`
	Tally       *consultations.Tally  `json:"tally,omitempty"`
	TriageState string                `json:"triage_state"`
	Response    *participation.Answer `json:"response"`
	CreatedAt   time.Time             `json:"created_at"`
}

func inboxOut(it *InboxItem, l *locale.Localizer) InboxItemJSON {
	out := InboxItemJSON{
		Kind: it.Kind, ID: it.ID, FieldID: it.FieldID, Body: it.Body, Lang: it.Lang,
		Author:      it.Contributor(l),
		TriageState: it.TriageState, Response: it.Answer(l.Lang.Code), CreatedAt: it.CreatedAt.UTC(),
	}
	if it.Kind == "idea" {
		out.Title = &it.Title
		tally := it.Tally
		out.Tally = &tally
	}
	return out
}

// group loads the group of :id and checks that the viewer works in it.
func (h *InboxHandlers) group(c *fiber.Ctx) (*Group, error) {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	g, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if v := access.From(c); !v.CanServeGroup(id) {
		return nil, access.Refusal(v)
	}
	return g, nil
}

// inboxItem reads the group, the kind and the item of
// .../{id}/inbox/{kind}/{item}/triage.
func (h *InboxHandlers) inboxItem(c *fiber.Ctx) (g *Group, kind string, itemID int64, err error) {
	if g, err = h.group(c); err != nil {
		return nil, "", 0, err
	}
	if itemID, err = consultations.IDParam(c, "item"); err != nil {
		return nil, "", 0, err
	}
	return g, strings.Clone(c.Params("kind")), itemID, nil
}

func parseInboxFilter(c *fiber.Ctx) (InboxFilter, *queues.Cursor, error) {
	f := InboxFilter{State: strings.Clone(c.Query("state", "all")), Theme: strings.Clone(c.Query("theme"))}
	var v problem.Validator
	v.Check(f.State == "all" || slices.Contains(TriageStates, f.State), "state", "error.triage_state")
	v.Check(f.Theme == "" || consultations.ValidSlug(f.Theme), "theme", "error.theme_unknown")
	var before *queues.Cursor
	f.Filter, before = queues.ParseFilter(c, &v)
	return f, before, v.Err()
}

func inboxCursorOf(it *InboxItem) queues.Cursor {
	return queues.Cursor{CreatedAt: it.CreatedAt, KindRank: it.KindRank, ID: it.ID}
}

func (h *InboxHandlers) inboxPage(c *fiber.Ctx, g *Group, limit int) ([]InboxItem, *string, InboxFilter, error) {
	f, before, err := parseInboxFilter(c)
	if err != nil {
		return nil, nil, f, err
	}
	items, err := h.svc.Inbox(c.UserContext(), g.ID, f, before, limit+1)
	if err != nil {
		return nil, nil, f, err
	}
	items, next := queues.Page(items, limit, inboxCursorOf)
	return items, next, f, nil
}

// APIInbox is GET /api/v1/expert-groups/{id}/inbox.
func (h *InboxHandlers) APIInbox(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	limit, err := jsonapi.ParseLimit(c)
	if err != nil {
		return err
	}
	items, next, _, err := h.inboxPage(c, g, limit)
	if err != nil {
		return err
	}
	l := locale.From(c)
	out := make([]InboxItemJSON, 0, len(items))
	for i := range items {
		out = append(out, inboxOut(&items[i], l))
	}
	return c.JSON(jsonapi.NewList(out, next))
}

// APITriage is POST /api/v1/expert-groups/{id}/inbox/{kind}/{item}/triage.
func (h *InboxHandlers) APITriage(c *fiber.Ctx) error {
	g, kind, itemID, err := h.inboxItem(c)
	if err != nil {
		return err
	}
	var in TriageInput
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	if err := h.svc.Triage(c.UserContext(), access.From(c), g.ID, kind, itemID, in); err != nil {
		return err
	}
	t, err := h.svc.TriageOf(c.UserContext(), kind, itemID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kind": kind, "id": itemID, "triage_state": t.TriageState, "response": t.Answer(locale.From(c).Lang.Code)})
}

// GroupPageData is what /experts/{id} shows.
type GroupPageData struct {
	Group   *Group
	Fields  []*consultations.FieldContext
	Counts  queues.InboxCounts
	Items   []InboxItem
	Next    *string
	Filter  InboxFilter
	States  []string
	Targets []string
	// Themes are all themes of the group's consultations, for the filter.
	Themes []consultations.Theme
	Failed string
}

// Filtered is true when the inbox is narrowed by any filter, so an empty
// list says "nothing with these filters" rather than "nothing yet".
func (d *GroupPageData) Filtered() bool {
	f := d.Filter
	return (f.State != "" && f.State != "all") || f.FieldID != 0 || f.Theme != "" || f.ContentLang != ""
}

// NextURL is the link to the inbox's next page, every filter kept.
func (d *GroupPageData) NextURL() string {
	return queues.NextURL("/experts/"+strconv.FormatInt(d.Group.ID, 10), d.Next, d.Filter.Filter, "state", d.Filter.State, "theme", d.Filter.Theme)
}

// FilterSelects narrow the inbox by triage state, field and theme.
func (d *GroupPageData) FilterSelects(v *pages.View) []pages.FilterSelect {
	state := pages.FilterSelect{Name: "state", LabelKey: "experts.filter_state", All: "all", AllKey: "experts.all_states"}
	for _, st := range d.States {
		state.Options = append(state.Options, pages.Option{Value: st, Label: v.T(triageKeys + st), Selected: st == d.Filter.State})
	}
	field := pages.FilterSelect{Name: "field", LabelKey: "moderation.filter_field", AllKey: "moderation.all_fields"}
	for _, f := range d.Fields {
		field.Options = append(field.Options, pages.Option{Value: strconv.FormatInt(f.Field.ID, 10), Label: v.Loc(f.Field.Title).Text, Selected: f.Field.ID == d.Filter.FieldID})
	}
	theme := pages.FilterSelect{Name: "theme", LabelKey: "experts.filter_theme", AllKey: "experts.all_themes"}
	for _, th := range d.Themes {
		theme.Options = append(theme.Options, pages.Option{Value: th.Key, Label: v.Loc(th.Title).Text, Selected: th.Key == d.Filter.Theme})
	}
	return []pages.FilterSelect{state, field, theme}
}

// FieldTitle finds the title of one of the group's fields.
func (d *GroupPageData) FieldTitle(id int64) *consultations.FieldContext {
	for _, f := range d.Fields {
		if f.Field.ID == id {
			return f
		}
	}
	return nil
}

// GroupPage is GET /experts/{id}.
func (h *InboxHandlers) GroupPage(c *fiber.Ctx) error { return h.groupPage(c, nil, "") }

func (h *InboxHandlers) groupPage(c *fiber.Ctx, failed error, failedItem string) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	items, next, f, err := h.inboxPage(c, g, 50)
	if err != nil {
		return err
	}
	counts, err := queues.CountInbox(c.UserContext(), h.svc.st.DB, g.ID)
	if err != nil {
		return err
	}
	data := &GroupPageData{Group: g, Counts: counts, Items: items, Next: next, Filter: f, States: TriageStates, Targets: TriageTargets, Failed: failedItem}
	seen := map[string]bool{}
	for _, fid := range g.Fields {
		fc, err := h.cons.GetField(c.UserContext(), fid, true)
		if err != nil {
			return err
		}
		data.Fields = append(data.Fields, fc)
		for _, th := range fc.Themes {
			if !seen[th.Key] {
				seen[th.Key] = true
				data.Themes = append(data.Themes, th)
			}
		}
	}
	v := h.pages.NewView(c, g.Name.String(locale.From(c).Lang.Code))
	v.Data = data
	// The new-measure form starts at the field the page is filtered by
	// (the admin field page links here that way).
	v.Form = map[string]string{"field_id": strings.Clone(c.Query("field"))}
	status := fiber.StatusOK
	if failed != nil {
		var p *problem.Problem
		errors.As(failed, &p)
		status = p.Status
		v.SetFormErrors(failed, map[string]string{
			"response": plaintext.FromForm(strings.Clone(c.FormValue("response"))),
			"title_de": strings.Clone(c.FormValue("title_de")), "title_en": strings.Clone(c.FormValue("title_en")),
			"summary_de": strings.Clone(c.FormValue("summary_de")), "summary_en": strings.Clone(c.FormValue("summary_en")),
			"description_de": plaintext.FromForm(strings.Clone(c.FormValue("description_de"))),
			"field_id":       strings.Clone(c.FormValue("field_id")),
		})
		for i := range v.Errors {
			if v.Errors[i].Field != "" {
				v.Errors[i].Field = failedItem + "-" + strings.ReplaceAll(v.Errors[i].Field, ".", "_")
			}
		}
	}
	return h.pages.Render(c, status, "experts", v)
}

// TriageSubmit is POST /experts/{id}/inbox/{kind}/{item}/triage from the group page.
func (h *InboxHandlers) TriageSubmit(c *fiber.Ctx) error {
	g, kind, itemID, err := h.inboxItem(c)
	if err != nil {
		return err
	}
	response := plaintext.FromForm(strings.Clone(c.FormValue("response")))
	in := TriageInput{State: strings.Clone(c.FormValue("state")), Response: &response}
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/experts/"+strconv.FormatInt(g.ID, 10))
	if err := h.svc.Triage(c.UserContext(), access.From(c), g.ID, kind, itemID, in); err != nil {
		var p *problem.Problem
		if errors.As(err, &p) && p.Status == fiber.StatusUnprocessableEntity {
			return h.groupPage(c, err, "triage-"+kind+"-"+strconv.FormatInt(itemID, 10))
		}
		return err
	}
	pages.Flash(c, "ok", "flash.triaged")
	return pages.Redirect(c, back)
}

// MeasureSubmit is POST /experts/{id}/measures: a new measure in one of
// the group's fields, in German and optionally English.
func (h *InboxHandlers) MeasureSubmit(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	fieldID, _ := strconv.ParseInt(c.FormValue("field_id"), 10, 64)
	if !slices.Contains(g.Fields, fieldID) {
		return h.groupPage(c, problem.Invalid(problem.Field("field_id", "error.field_unknown")), "measure")
	}
	text := func(name string) locale.Text {
		t := locale.Text{"de": plaintext.FromForm(strings.Clone(c.FormValue(name + "_de")))}
		if en := plaintext.FromForm(strings.Clone(c.FormValue(name + "_en"))); en != "" {
			t["en"] = en
		}
		return t
	}
	var themes []string
	for _, raw := range c.Request().PostArgs().PeekMulti("themes") {
		themes = append(themes, string(raw))
	}
	m, err := h.cons.CreateMeasure(c.UserContext(), access.From(c).UserID, fieldID, consultations.MeasureInput{
		Title: text("title"), Summary: text("summary"), Description: text("description"), Themes: &themes,
	}, false)
	if err != nil {
		var p *problem.Problem
		if errors.As(err, &p) && p.Status == fiber.StatusUnprocessableEntity {
			return h.groupPage(c, err, "measure")
		}
		return err
	}
	pages.Flash(c, "ok", "flash.measure_created")
	return pages.Redirect(c, "/m/"+strconv.FormatInt(m.ID, 10))
}
