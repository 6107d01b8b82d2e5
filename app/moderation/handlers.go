package moderation

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
)

// Handlers serve the moderation endpoints and pages.
type Handlers struct {
	svc      *Service
	cons     *consultations.Service
	accounts *accounts.Service
	pages    *pages.Renderer
}

// NewHandlers wires the handlers; accounts blocks authors from the queue.
func NewHandlers(svc *Service, cons *consultations.Service, acc *accounts.Service, r *pages.Renderer) *Handlers {
	return &Handlers{svc: svc, cons: cons, accounts: acc, pages: r}
}

// ItemJSON is a queue item as the API shows it.
type ItemJSON struct {
	Kind           string               `json:"kind"`
	ID             int64                `json:"id"`
	Consultation   string               `json:"consultation"`
	FieldID        int64                `json:"field_id"`
	Title          *string              `json:"title,omitempty"`
	Body           string               `json:"body"`
	Lang           string               `json:"lang"`
	Author         participation.Author `json:"author"`
	AuthorRejected int64                `json:"author_rejected"`
	Reports        []Report             `json:"reports"`
	Flags          []string             `json:"flags"`
	Appeal         *Appeal              `json:"appeal,omitempty"`
	State          string               `json:"state"`
	Version        int                  `json:"version"`
	CreatedAt      time.Time            `json:"created_at"`
}

func itemOut(it *Item, l *locale.Localizer) ItemJSON {
	out := ItemJSON{
		Kind: it.Kind, ID: it.ID, Consultation: it.Consultation, FieldID: it.FieldID, Body: it.Body, Lang: it.Lang,
		Author: it.Contributor(l), AuthorRejected: it.AuthorRejected,
		Reports: it.Reports, Flags: it.Flags(), Appeal: it.Appeal, State: it.Status, Version: it.Version, CreatedAt: it.CreatedAt.UTC(),
	}
	if it.Kind == "idea" {
		out.Title = &it.Title
	}
	return out
}

type queueJSON struct {
	Items      []ItemJSON              `json:"items"`
	NextCursor *string                 `json:"next_cursor"`
	Counts     queues.ModerationCounts `json:"counts"`
}

// parseFilter reads ?state=, ?consultation=, ?field=, ?content_lang= and ?cursor=.
func parseFilter(c *fiber.Ctx) (Filter, *queues.Cursor, error) {
	f := Filter{State: strings.Clone(c.Query("state", "all")), Consultation: strings.Clone(c.Query("consultation"))}
	var v problem.Validator
	v.Check(slices.Contains(States, f.State), "state", "error.queue_state")
	var after *queues.Cursor
	f.Filter, after = queues.ParseFilter(c, &v)
	return f, after, v.Err()
}

func cursorOf(it *Item) queues.Cursor {
	return queues.Cursor{CreatedAt: it.CreatedAt, KindRank: it.KindRank, ID: it.ID}
}

func (h *Handlers) page(c *fiber.Ctx, f Filter, after *queues.Cursor, limit int) ([]Item, *string, queues.ModerationCounts, error) {
	items, err := h.svc.Queue(c.UserContext(), f, after, limit+1)
	if err != nil {
		return nil, nil, queues.ModerationCounts{}, err
	}
	items, next := queues.Page(items, limit, cursorOf)
	counts, err := h.svc.Counts(c.UserContext())
	return items, next, counts, err
}

// APIQueue is GET /api/v1/moderation/queue.
func (h *Handlers) APIQueue(c *fiber.Ctx) error {
	f, after, err := parseFilter(c)
	if err != nil {
		return err
	}
	limit, err := jsonapi.ParseLimit(c)
	if err != nil {
		return err
	}
	items, next, counts, err := h.page(c, f, after, limit)
	if err != nil {
		return err
	}
	l := locale.From(c)
	out := queueJSON{Items: make([]ItemJSON, 0, len(items)), NextCursor: next, Counts: counts}
	for i := range items {
		out.Items = append(out.Items, itemOut(&items[i], l))
	}
	return c.JSON(out)
}

// APIDecide is POST /api/v1/moderation/{kind}/{id}/decision.
func (h *Handlers) APIDecide() fiber.Handler {
	return jsonapi.UpdateByID(func(c *fiber.Ctx, id int64, d *Decision) (*Decided, error) {
		return h.svc.Decide(c.UserContext(), access.From(c), strings.Clone(c.Params("kind")), id, *d)
	})
}

// APIAppeal is POST /api/v1/{comments|ideas}/{id}/appeal.
func (h *Handlers) APIAppeal(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		if !access.From(c).SignedIn() {
			return problem.Unauthorized()
		}
		var in AppealInput
		if err := jsonapi.Decode(c, &in); err != nil {
			return err
		}
		if err := h.svc.Appeal(c.UserContext(), access.From(c), kind, id, in); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "appealed"})
	}
}

// LogEntryJSON is a log entry as the API shows it.
type LogEntryJSON struct {
	ID        int64                `json:"id"`
	Actor     participation.Author `json:"actor"`
	Kind      string               `json:"kind"`
	TargetID  int64                `json:"target_id"`
	Action    string               `json:"action"`
	Reason    string               `json:"reason"`
	Statement string               `json:"statement"`
	CreatedAt time.Time            `json:"created_at"`
}

func logOut(e *LogEntry, l *locale.Localizer) LogEntryJSON {
	actor := participation.Author{DisplayName: l.T("moderation.system")}
	if e.ActorID != nil {
		actor = participation.AuthorOf(*e.ActorID, e.ActorName, e.ActorDeleted, l)
	}
	return LogEntryJSON{ID: e.ID, Actor: actor, Kind: e.Kind, TargetID: e.TargetID, Action: e.Action, Reason: e.Reason, Statement: e.Statement, CreatedAt: e.CreatedAt.UTC()}
}

func logKey(e LogEntry) int64 { return e.ID }

// APILog is GET /api/v1/moderation/log.
func (h *Handlers) APILog(c *fiber.Ctx) error {
	l := locale.From(c)
	return jsonapi.ServeList(c, h.svc.Log, logKey, func(e *LogEntry) LogEntryJSON { return logOut(e, l) })
}

// QueuePageData is what /moderation shows.
type QueuePageData struct {
	Filter        Filter
	Items         []Item
	Next          *string
	Counts        queues.ModerationCounts
	States        []string
	Reasons       []string
	Consultations []*consultations.Detail
	Failed        string // "kind-id" of the item whose form came back with errors
	Viewer        *access.Viewer
}

// NextURL is the link to the queue's next page, every filter kept.
func (d *QueuePageData) NextURL() string {
	return queues.NextURL("/moderation", d.Next, d.Filter.Filter, "state", d.Filter.State, "consultation", d.Filter.Consultation)
}

// FilterSelects narrow the queue by field (under its consultation's
// title) and by consultation.
func (d *QueuePageData) FilterSelects(v *pages.View) []pages.FilterSelect {
	field := pages.FilterSelect{Name: "field", LabelKey: "moderation.filter_field", AllKey: "moderation.all_fields"}
	consultation := pages.FilterSelect{Name: "consultation", LabelKey: "moderation.filter_consultation", AllKey: "moderation.all_consultations"}
	for _, co := range d.Consultations {
		title := v.Loc(co.Title).Text
		fields := pages.OptionGroup{Label: title}
		for _, f := range co.Fields {
			fields.Options = append(fields.Options, pages.Option{Value: strconv.FormatInt(f.ID, 10), Label: v.Loc(f.Title).Text, Selected: f.ID == d.Filter.FieldID})
		}
		field.Groups = append(field.Groups, fields)
		consultation.Options = append(consultation.Options, pages.Option{Value: co.Slug, Label: title, Selected: co.Slug == d.Filter.Consultation})
	}
	return []pages.FilterSelect{field, consultation}
}

// CanBlock reports whether the viewer may block the item's author.
func (d *QueuePageData) CanBlock(it Item) bool {
	return !it.AuthorDeleted && d.Viewer.CanBlock(it.AuthorID, access.Role(it.AuthorRole))
}

// AppealNotMine reports whether the item's open appeal contests the
// viewer's own decision: someone else decides it.
func (d *QueuePageData) AppealNotMine(it Item) bool {
	return it.Appeal != nil && it.Appeal.DecidedBy != nil && *it.Appeal.DecidedBy == d.Viewer.UserID
}

// MoveTargets are the fields a misplaced idea can be moved to: the other
// fields of its consultation. None for a comment, or an idea that can no
// longer move.
func (d *QueuePageData) MoveTargets(it Item) []consultations.FieldSummary {
	if it.Kind != "idea" || (it.Status != participation.StatusPending && it.Status != participation.StatusPublished) {
		return nil
	}
	var out []consultations.FieldSummary
	for _, co := range d.Consultations {
		if co.Slug != it.Consultation {
			continue
		}
		for _, f := range co.Fields {
			if f.ID != it.FieldID {
				out = append(out, f)
			}
		}
	}
	return out
}

// CanTake reports whether action can be taken on the item now.
func (d *QueuePageData) CanTake(it Item, action string) bool {
	tr := transitions[action]
	if !slices.Contains(tr.from, it.Status) {
		return false
	}
	return it.Status != tr.to || action == "approve" || it.Appeal != nil || it.NeedsReview
}

// QueuePage is GET /moderation.
func (h *Handlers) QueuePage(c *fiber.Ctx) error { return h.queuePage(c, nil, "") }

func (h *Handlers) queuePage(c *fiber.Ctx, failed error, failedItem string) error {
	f, after, err := parseFilter(c)
	if err != nil {
		return err
	}
	items, next, counts, err := h.page(c, f, after, 50)
	if err != nil {
		return err
	}
	list, err := h.cons.List(c.UserContext(), true, 0, 200)
	if err != nil {
		return err
	}
	data := &QueuePageData{Filter: f, Items: items, Next: next, Counts: counts, States: States, Reasons: participation.Reasons, Failed: failedItem, Viewer: access.From(c)}
	for _, co := range list {
		d, err := h.cons.Get(c.UserContext(), co.Slug, true)
		if err != nil {
			return err
		}
		data.Consultations = append(data.Consultations, d)
	}
	v := h.pages.NewView(c, locale.From(c).T("moderation.title"))
	v.Data = data
	status := fiber.StatusOK
	if failed != nil {
		var p *problem.Problem
		errors.As(failed, &p)
		status = p.Status
		if len(p.Errors) == 0 {
			// A refusal (an administrator's block, an appeal against one's
			// own decision) is a notice: there is nothing to correct.
			v.Flash, v.FlashKind = locale.From(c).T(p.DetailKey, p.DetailArgs), "error"
			return h.pages.Render(c, status, "moderation", v)
		}
		form := map[string]string{"reason": strings.Clone(c.FormValue("reason")), "statement": plaintext.FromForm(strings.Clone(c.FormValue("statement"))),
			"until": strings.Clone(c.FormValue("until")), "field_id": strings.Clone(c.FormValue("field_id"))}
		v.SetFormErrors(failed, form)
		for i := range v.Errors {
			if v.Errors[i].Field != "" {
				v.Errors[i].Field = "mod-" + failedItem + "-" + v.Errors[i].Field
			}
		}
	}
	return h.pages.Render(c, status, "moderation", v)
}

// DecideSubmit is POST /moderation/{kind}/{id}/decision from the queue page.
func (h *Handlers) DecideSubmit(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	kind := strings.Clone(c.Params("kind"))
	action := strings.Clone(c.FormValue("action"))
	reason := strings.Clone(c.FormValue("reason"))
	statement := plaintext.FromForm(strings.Clone(c.FormValue("statement")))
	d := Decision{Action: action, Reason: &reason, Statement: &statement}
	if raw := c.FormValue("version"); raw != "" {
		if version, err := strconv.Atoi(raw); err == nil {
			d.Version = &version
		}
	}
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/moderation")
	if _, err := h.svc.Decide(c.UserContext(), access.From(c), kind, id, d); err != nil {
		return h.formFailed(c, err, kind+"-"+strconv.FormatInt(id, 10), back)
	}
	pages.Flash(c, "ok", "flash.decided")
	return pages.Redirect(c, back)
}

// LogPageData is what /moderation/log shows.
type LogPageData struct {
	Entries []LogEntry
	Next    *string
}

// LogPage is GET /moderation/log.
func (h *Handlers) LogPage(c *fiber.Ctx) error {
	rows, next, err := jsonapi.FetchPage(c, h.svc.Log, logKey)
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, locale.From(c).T("moderation.log_title"))
	v.Data = &LogPageData{Entries: rows, Next: next}
	return h.pages.Render(c, fiber.StatusOK, "moderation-log", v)
}

// AppealSubmit is POST /comments/{id}/appeal and /ideas/{id}/appeal from /me.
func (h *Handlers) AppealSubmit(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		err = h.svc.Appeal(c.UserContext(), access.From(c), kind, id, AppealInput{Statement: plaintext.FromForm(strings.Clone(c.FormValue("statement")))})
		var p *problem.Problem
		switch {
		case err == nil:
			pages.Flash(c, "ok", "flash.appealed")
		case errors.As(err, &p) && p.Status == fiber.StatusUnauthorized:
			return pages.Redirect(c, "/login?next=/me")
		case errors.As(err, &p) && p.Status < 500:
			pages.Flash(c, "error", "flash.appeal_failed")
		default:
			return err
		}
		return pages.Redirect(c, "/me")
	}
}
