package participation

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// EditPageData is what the edit pages show.
type EditPageData struct {
	Kind    string // "idea" or "comment"
	ID      int64
	Back    string
	Pending bool // the change waits for moderation
	Stances []string
}

// ownItem reads what both edit pages check first: the item's id, then
// that someone is signed in (whose item it is each page checks itself).
func ownItem(c *fiber.Ctx) (int64, *access.Viewer, error) {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	v := access.From(c)
	if !v.SignedIn() {
		return 0, nil, problem.Unauthorized()
	}
	return id, v, nil
}

// EditCommentPage is GET /comments/{id}/edit (its author).
func (h *Handlers) EditCommentPage(c *fiber.Ctx) error { return h.editCommentPage(c, nil) }

func (h *Handlers) editCommentPage(c *fiber.Ctx, failed *formFailure) error {
	id, v, err := ownItem(c)
	if err != nil {
		return err
	}
	row, moderation, err := h.svc.ownCommentForEdit(c.UserContext(), v, id)
	if err != nil {
		return err
	}
	view := h.pages.NewView(c, locale.From(c).T("edit.comment_title"))
	view.Data = &EditPageData{Kind: "comment", ID: id, Back: itemPath(row.TargetKind, row.TargetID) + "#comment-" + strconv.FormatInt(id, 10),
		Pending: moderation == consultations.ModerationPre, Stances: Stances}
	view.Form = map[string]string{"body": row.Body, "stance": row.Stance}
	return h.render(c, "edit", view, failed)
}

// EditCommentSubmit is POST /comments/{id}/edit.
func (h *Handlers) EditCommentSubmit(c *fiber.Ctx) error {
	form := map[string]string{"body": plaintext.FromForm(strings.Clone(c.FormValue("body"))), "stance": strings.Clone(c.FormValue("stance"))}
	return editSubmit(c, form, h.editCommentPage, func(v *access.Viewer, id int64) (string, error) {
		body, stance := form["body"], form["stance"]
		row, err := h.svc.EditComment(c.UserContext(), v, id, CommentEdit{Body: &body, Stance: &stance})
		if err != nil {
			return "", err
		}
		return itemPath(row.TargetKind, row.TargetID) + "#comments", nil
	})
}

// editSubmit answers an edit form: apply changes the item of the path and
// answers the page to go back to; a refusal shows the form again with
// what was typed.
func editSubmit(c *fiber.Ctx, form map[string]string, page func(*fiber.Ctx, *formFailure) error, apply func(v *access.Viewer, id int64) (string, error)) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	back, err := apply(access.From(c), id)
	if err != nil {
		return formError(c, err, page, form, "")
	}
	return pages.RedirectFlash(c, "ok", "flash.changed", back)
}

// EditIdeaPage is GET /ideas/{id}/edit (its author).
func (h *Handlers) EditIdeaPage(c *fiber.Ctx) error { return h.editIdeaPage(c, nil) }

func (h *Handlers) editIdeaPage(c *fiber.Ctx, failed *formFailure) error {
	id, v, err := ownItem(c)
	if err != nil {
		return err
	}
	idea, err := h.svc.GetIdea(c.UserContext(), v, id)
	if err != nil {
		return err
	}
	if idea.AuthorID != v.UserID {
		return problem.Forbidden()
	}
	fc, err := h.cons.GetField(c.UserContext(), idea.FieldID, true)
	if err != nil {
		return err
	}
	view := h.pages.NewView(c, locale.From(c).T("edit.idea_title"))
	view.Data = &EditPageData{Kind: "idea", ID: id, Back: "/i/" + strconv.FormatInt(id, 10), Pending: fc.Consultation.Moderation == consultations.ModerationPre}
	view.Form = map[string]string{"title": idea.Title, "body": idea.Body}
	return h.render(c, "edit", view, failed)
}

// EditIdeaSubmit is POST /ideas/{id}/edit.
func (h *Handlers) EditIdeaSubmit(c *fiber.Ctx) error {
	form := map[string]string{"title": strings.Clone(c.FormValue("title")), "body": plaintext.FromForm(strings.Clone(c.FormValue("body")))}
	return editSubmit(c, form, h.editIdeaPage, func(v *access.Viewer, id int64) (string, error) {
		title, body := form["title"], form["body"]
		if _, err := h.svc.EditIdea(c.UserContext(), v, id, IdeaEdit{Title: &title, Body: &body}); err != nil {
			return "", err
		}
		return "/i/" + strconv.FormatInt(id, 10), nil
	})
}
