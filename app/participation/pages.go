package participation

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/topics"
)

// Page sizes.
const (
	threadsPerPage = 50
	cardsPerPage   = 50
)

// formFailure is a form post that did not go through: the page is shown
// again with the message beside the form and the text as typed.
type formFailure struct {
	err  error
	form map[string]string
	// prefix marks which form on the page failed (e.g. "reply-12-"), so
	// the error links to the right field.
	prefix string
	// itemID is the measure or idea shown again when the form was not
	// posted below its page (a report); 0 reads it from the path.
	itemID int64
}

// pageID is the item a page shows: from the path, or from a failed form.
func pageID(c *fiber.Ctx, failed *formFailure) (int64, error) {
	if failed != nil && failed.itemID != 0 {
		return failed.itemID, nil
	}
	return consultations.IDParam(c, "id")
}

// Discussion is the comment section shared by measure and idea pages.
type Discussion struct {
	// Path is the item's page, "/m/12" or "/i/3"; forms post below it.
	Path     string
	Kind     Kind
	ItemID   int64
	Threads  []CommentRow
	Next     *string
	Count    int64
	CanWrite bool
	Open     bool
	// Ended is true once the consultation is closed or evaluated: the
	// page says it has ended rather than that it is not open.
	Ended      bool
	Moderation string
	// Reasons are the report reasons, for the report forms.
	Reasons []string
	Stances []string
	// personal is set while the page is rendered with markers.
	personal *personalParts
}

// CommentItem is one comment for the "comment" template.
type CommentItem struct {
	View    *pages.View
	Comment *CommentRow
}

// Item pairs a comment with the page's view for the template.
func (d *Discussion) Item(v *pages.View, c CommentRow) CommentItem {
	return CommentItem{View: v, Comment: &c}
}

// CommentForm is the comment form (ParentID 0) or a reply form.
type CommentForm struct {
	View      *pages.View
	ParentID  int64
	Prefix    string
	LabelKey  string
	SubmitKey string
	// Mine is true when this form was sent and came back with errors.
	Mine bool
}

// Form prepares the comment form, or the reply form under parentID.
func (d *Discussion) Form(v *pages.View, parentID int64) CommentForm {
	f := CommentForm{View: v, ParentID: parentID, LabelKey: "comment.your_comment", SubmitKey: "comment.submit"}
	sent := v.Form != nil && v.Errors != nil
	if parentID != 0 {
		f.Prefix = "reply-" + strconv.FormatInt(parentID, 10) + "-"
		f.LabelKey = "comment.your_reply"
		f.SubmitKey = "comment.submit_reply"
		f.Mine = sent && v.Form["parent_id"] == strconv.FormatInt(parentID, 10)
	} else {
		f.Mine = sent && v.Form["parent_id"] == ""
	}
	return f
}

// ReportForm is a report form for a comment or an idea.
type ReportForm struct {
	View *pages.View
	Kind string
	ID   int64
	Back string
}

// Report prepares the report form for a comment or the idea.
func (d *Discussion) Report(v *pages.View, kind string, id int64) ReportForm {
	// The confirmation is shown where the report was made (FlashAt).
	back := d.Path + "#report-" + kind + "-" + strconv.FormatInt(id, 10)
	if kind == "comment" {
		back = d.Path + "#comment-" + strconv.FormatInt(id, 10)
	}
	return ReportForm{View: v, Kind: kind, ID: id, Back: back}
}

// FieldPageData is what /f/{id} shows.
type FieldPageData struct {
	*consultations.FieldContext
	Measures     []consultations.MeasureRow
	NextMeasures *string
	Ideas        []IdeaRow
	NextIdeas    *string
	CanWrite     bool
	Open         bool
	Ended        bool
	// Kept shows the idea form that was refused again, with what was
	// typed, also once the consultation is no longer open.
	Kept bool
}

// FieldPage is GET /f/{id}: a field's measures and ideas, and the idea form.
func (h *Handlers) FieldPage(c *fiber.Ctx) error { return h.fieldPage(c, nil) }

func (h *Handlers) fieldPage(c *fiber.Ctx, failed *formFailure) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	v := access.From(c)
	fc, err := h.cons.GetField(c.UserContext(), id, v.SeesDrafts())
	if err != nil {
		return err
	}
	mAfter, err := cursorParam(c, "measures")
	if err != nil {
		return err
	}
	iBefore, err := cursorParam(c, "ideas")
	if err != nil {
		return err
	}
	measures, err := h.cons.ListMeasures(c.UserContext(), id, mAfter, cardsPerPage+1)
	if err != nil {
		return err
	}
	ideas, err := h.svc.ListIdeas(c.UserContext(), v, id, iBefore, cardsPerPage+1, v.UserID)
	if err != nil {
		return err
	}
	data := &FieldPageData{FieldContext: fc, Open: fc.Consultation.Phase == consultations.PhaseOpen,
		Ended: consultations.HasEnded(fc.Consultation.Phase), Kept: failed != nil}
	data.CanWrite = data.Open && v.SignedIn()
	data.Measures, data.NextMeasures = jsonapi.Paginate(measures, cardsPerPage, func(m consultations.MeasureRow) int64 { return m.ID })
	data.Ideas, data.NextIdeas = jsonapi.Paginate(ideas, cardsPerPage, func(i IdeaRow) int64 { return i.ID })
	view := h.pages.NewView(c, fc.Field.Title.String(lang(c)))
	view.Data = data
	return h.render(c, "field", view, failed)
}

func cursorParam(c *fiber.Ctx, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	n, ok := jsonapi.DecodeCursor(raw)
	if !ok {
		return 0, problem.Invalid(problem.Field(name, "error.cursor"))
	}
	return n, nil
}

func (h *Handlers) render(c *fiber.Ctx, name string, view *pages.View, failed *formFailure) error {
	status := fiber.StatusOK
	if failed != nil {
		var p *problem.Problem
		errors.As(failed.err, &p)
		status = p.Status
		view.SetFormErrors(failed.err, failed.form)
		for i := range view.Errors {
			if view.Errors[i].Field != "" {
				view.Errors[i].Field = failed.prefix + view.Errors[i].Field
			}
		}
	}
	return h.pages.Render(c, status, name, view)
}

// discussion reads an item's comment section; reader (0 for none) also
// sees their own comments waiting for moderation.
func (h *Handlers) discussion(c *fiber.Ctx, kind Kind, id, reader int64, path, phase, moderation string, count int64) (*Discussion, error) {
	after, err := cursorParam(c, "cursor")
	if err != nil {
		return nil, err
	}
	threads, err := h.svc.Threads(c.UserContext(), kind, id, after, threadsPerPage+1, reader)
	if err != nil {
		return nil, err
	}
	d := h.newDiscussion(c, kind, id, path, phase, moderation, count)
	d.Threads, d.Next = jsonapi.Paginate(threads, threadsPerPage, func(r CommentRow) int64 { return r.ID })
	if err := h.inContext(c, d); err != nil {
		return nil, err
	}
	l := locale.From(c)
	for i := range d.Threads {
		show(&d.Threads[i], l)
		for j := range d.Threads[i].Replies {
			show(&d.Threads[i].Replies[j], l)
		}
	}
	return d, nil
}

// newDiscussion is an item's comment section without its comments.
func (h *Handlers) newDiscussion(c *fiber.Ctx, kind Kind, id int64, path, phase, moderation string, count int64) *Discussion {
	d := &Discussion{
		Path: path, Kind: kind, ItemID: id, Count: count, Open: phase == consultations.PhaseOpen,
		Ended: consultations.HasEnded(phase), Moderation: moderation, Reasons: Reasons, Stances: Stances,
	}
	d.CanWrite = d.Open && access.From(c).SignedIn()
	return d
}

// placeFlash shows a confirmation left for a comment that is not on this
// page of the discussion (or not shown at all) above the discussion.
func placeFlash(view *pages.View, d *Discussion) {
	if !strings.HasPrefix(view.FlashPlace, "comment-") {
		return
	}
	for _, t := range d.Threads {
		if view.FlashPlace == "comment-"+strconv.FormatInt(t.ID, 10) {
			return
		}
		for _, r := range t.Replies {
			if view.FlashPlace == "comment-"+strconv.FormatInt(r.ID, 10) {
				return
			}
		}
	}
	view.MoveFlash("comments")
}

// Prefixes of catalog keys built from values: stances (stance.pro, …),
// roles (role.expert, …) and triage states (triage.adopted, …).
const (
	stanceKeys = "stance."
	roleKeys   = "role."
	triageKeys = "triage."
)

// show prepares what the comment template prints of r.
func show(r *CommentRow, l *locale.Localizer) {
	r.Shown = CommentShown{
		When: l.DateTime(r.CreatedAt), ISO: r.CreatedAt.UTC().Format(time.RFC3339),
		Stance: l.T(stanceKeys + r.Stance), Body: pages.Paragraphs(r.Body), Answer: r.Triage.Shown(l),
	}
	if role := r.Role(); role != "" {
		r.Shown.Role = l.T(roleKeys + role)
	}
}

// Voting is the tally and vote form shared by measure and idea pages.
type Voting struct {
	Path         string
	Topic        string
	Tally        consultations.Tally
	MyVote       *int
	Following    bool
	ApprovalRate *int
	Open         bool
	Ended        bool
	// Votable is false for an idea that is not published yet.
	Votable bool
}

// Is reports whether the reader's vote is value (for aria-pressed).
func (v *Voting) Is(value int) bool { return v.MyVote != nil && *v.MyVote == value }

// MineKey names the reader's vote as a message key, "" without one.
func (v *Voting) MineKey() string {
	switch {
	case v.MyVote == nil:
		return ""
	case *v.MyVote == 1:
		return "vote.for"
	case *v.MyVote == -1:
		return "vote.against"
	}
	return "vote.neutral"
}

// ItemPage is what the measure and idea pages show around their item:
// its field, its discussion and its vote box.
type ItemPage struct {
	Field      *consultations.FieldContext
	Discussion *Discussion
	Voting     *Voting
}

// itemPage reads the field and the discussion (as reader sees it) of an
// item's page; the vote box is the caller's, from what it read.
func (h *Handlers) itemPage(c *fiber.Ctx, kind Kind, id, fieldID, reader, comments int64) (ItemPage, error) {
	fc, err := h.cons.GetField(c.UserContext(), fieldID, true)
	if err != nil {
		return ItemPage{}, err
	}
	d, err := h.discussion(c, kind, id, reader, itemPath(kind, id), fc.Consultation.Phase, fc.Consultation.Moderation, comments)
	return ItemPage{Field: fc, Discussion: d}, err
}

// voting is the vote box of the discussion's item, with its tally and the
// reader's vote r; votable is false for an idea not published yet.
func (d *Discussion) voting(tally consultations.Tally, r consultations.Reader, votable bool) *Voting {
	return &Voting{
		Path: d.Path, Topic: string(topics.Item(string(d.Kind), d.ItemID)), Tally: tally, MyVote: r.MyVote, Following: r.Following,
		ApprovalRate: approval(tally), Open: d.Open, Ended: d.Ended, Votable: votable,
	}
}

// MeasurePageData is what /m/{id} shows.
type MeasurePageData struct {
	Measure *consultations.MeasureDetail
	ItemPage
	// CanManage shows the edit link to experts of the field's groups and admins.
	CanManage bool
}

// MeasurePage is GET /m/{id}: a measure, its tally, the vote form and the discussion.
func (h *Handlers) MeasurePage(c *fiber.Ctx) error { return h.measurePage(c, nil) }

func (h *Handlers) measurePage(c *fiber.Ctx, failed *formFailure) error {
	id, err := pageID(c, failed)
	if err != nil {
		return err
	}
	v := access.From(c)
	reader := v.UserID
	if pages.Stenciling(c) {
		// Kept for every reader like this one: the vote is filled in.
		reader = 0
	}
	m, err := h.cons.GetMeasure(c.UserContext(), id, v.SeesDrafts(), reader)
	if err != nil {
		return err
	}
	item, err := h.itemPage(c, KindMeasure, id, m.FieldID, reader, m.CommentCount)
	if err != nil {
		return err
	}
	d := item.Discussion
	item.Voting = d.voting(m.Tally, m.Reader, true)
	view := h.pages.NewView(c, m.Title.String(lang(c)))
	view.Data = &MeasurePageData{Measure: m, ItemPage: item, CanManage: h.cons.MayManage(c.UserContext(), v, m.FieldID)}
	if view.Stencil {
		data := view.Data.(*MeasurePageData)
		p, err := h.newPersonalParts(KindMeasure, id, view, data.Voting, func(vt *Voting) any {
			withVote := *data
			withVote.Voting = vt
			return &withVote
		})
		if err != nil {
			return err
		}
		d.personal = p
		pages.SetParts(c, p)
	}
	placeFlash(view, d)
	return h.render(c, "measure", view, failed)
}

// approval is for/(for+against) in whole percent, nil when both are 0.
func approval(t consultations.Tally) *int {
	if t.For+t.Against == 0 {
		return nil
	}
	p := int((t.For*100 + (t.For+t.Against)/2) / (t.For + t.Against))
	return &p
}

// IdeaPageData is what /i/{id} shows.
type IdeaPageData struct {
	Idea *IdeaRow
	ItemPage
	IsAuthor bool
}

// IdeaPage is GET /i/{id}: an idea, its tally, the expert group's answer
// and the discussion. Its author also sees it while it waits for moderation.
func (h *Handlers) IdeaPage(c *fiber.Ctx) error { return h.ideaPage(c, nil) }

func (h *Handlers) ideaPage(c *fiber.Ctx, failed *formFailure) error {
	id, err := pageID(c, failed)
	if err != nil {
		return err
	}
	v := access.From(c)
	idea, err := h.svc.GetIdea(c.UserContext(), v, id)
	if err != nil {
		return err
	}
	item, err := h.itemPage(c, KindIdea, id, idea.FieldID, v.UserID, idea.CommentCount)
	if err != nil {
		return err
	}
	reader, err := h.svc.readerOf(c.UserContext(), v, KindIdea, id)
	if err != nil {
		return err
	}
	d := item.Discussion
	d.CanWrite = d.CanWrite && idea.Status == StatusPublished
	item.Voting = d.voting(idea.Tally, reader, idea.Status == StatusPublished)
	view := h.pages.NewView(c, idea.Title)
	view.Data = &IdeaPageData{Idea: idea, ItemPage: item, IsAuthor: v.SignedIn() && v.UserID == idea.AuthorID}
	placeFlash(view, d)
	return h.render(c, "idea", view, failed)
}

// ItemTopics names, for the page cache, the topic of the measure or idea
// whose id is in the path (/m/{id}, its JSON, its comments): it carries
// the item's tally, its comments and its changes (an idea that is hidden
// or withdrawn too). A path whose id is not canonical is not cached.
func ItemTopics(kind Kind) func(c *fiber.Ctx) []string {
	return func(c *fiber.Ctx) []string {
		raw := c.Params("id")
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
			return nil
		}
		return []string{string(topics.Item(string(kind), id))}
	}
}
