package participation

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// The form posts of the discussion pages: votes, comments, ideas,
// reports and withdrawals. Each answers with the page again on a mistake
// (what was typed kept) or a redirect with a message.

// pageFor re-renders the page a form came from.
func (h *Handlers) pageFor(kind Kind) func(*fiber.Ctx, *formFailure) error {
	if kind == KindMeasure {
		return h.measurePage
	}
	return h.ideaPage
}

// formError answers a failed form post: sign in first (401), or the page
// again with the message.
func formError(c *fiber.Ctx, err error, render func(*fiber.Ctx, *formFailure) error, form map[string]string, prefix string) error {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= 500 {
		return err
	}
	if p.Status == fiber.StatusUnauthorized {
		return pages.Redirect(c, "/login?next="+url.QueryEscape(string(c.Request().URI().Path())))
	}
	return render(c, &formFailure{err: err, form: form, prefix: prefix})
}

// VoteSubmit is POST /m/{id}/vote and /i/{id}/vote: value 1, 0, -1 or "withdraw".
func (h *Handlers) VoteSubmit(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		v := access.From(c)
		raw := c.FormValue("value")
		flash := "flash.vote_withdrawn"
		if raw == "withdraw" {
			_, err = h.svc.Unvote(c.UserContext(), v, kind, id)
		} else {
			value, convErr := strconv.Atoi(raw)
			if convErr != nil {
				value = 2 // refused by Vote as out of range
			}
			_, err = h.svc.Vote(c.UserContext(), v, kind, id, value)
			flash = "flash.voted"
		}
		if err != nil {
			return formError(c, err, h.pageFor(kind), nil, "")
		}
		return pages.RedirectFlash(c, "ok", flash, itemPath(kind, id)+"#vote")
	}
}

func itemPath(kind Kind, id int64) string {
	if kind == KindMeasure {
		return "/m/" + strconv.FormatInt(id, 10)
	}
	return "/i/" + strconv.FormatInt(id, 10)
}

// CommentSubmit is POST /m/{id}/comments and /i/{id}/comments.
func (h *Handlers) CommentSubmit(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		form := map[string]string{
			"body":      plaintext.FromForm(strings.Clone(c.FormValue("body"))),
			"stance":    strings.Clone(c.FormValue("stance")),
			"parent_id": strings.Clone(c.FormValue("parent_id")),
		}
		stance := form["stance"]
		in := CommentInput{Body: form["body"], Stance: &stance}
		prefix := ""
		if form["parent_id"] != "" {
			parent, convErr := strconv.ParseInt(form["parent_id"], 10, 64)
			if convErr != nil {
				return problem.Invalid(problem.Field("parent_id", "error.parent_unknown"))
			}
			in.ParentID = &parent
			prefix = "reply-" + form["parent_id"] + "-"
		}
		res, err := h.svc.Comment(c.UserContext(), access.From(c), lang(c), kind, id, in)
		if err != nil {
			return formError(c, err, h.pageFor(kind), form, prefix)
		}
		if res.Status == StatusPending {
			return pages.RedirectFlash(c, "ok", "flash.comment_pending", itemPath(kind, id)+"#comments")
		}
		return pages.RedirectFlash(c, "ok", "flash.comment_published", itemPath(kind, id)+"#comment-"+strconv.FormatInt(res.ID, 10))
	}
}

// IdeaSubmit is POST /f/{id}/ideas.
func (h *Handlers) IdeaSubmit(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	form := map[string]string{
		"title": strings.Clone(c.FormValue("title")),
		"body":  plaintext.FromForm(strings.Clone(c.FormValue("body"))),
	}
	var themes []string
	for _, raw := range c.Request().PostArgs().PeekMulti("themes") {
		themes = append(themes, string(raw))
		form["theme:"+string(raw)] = "on"
	}
	res, err := h.svc.SubmitIdea(c.UserContext(), access.From(c), lang(c), id, IdeaInput{Title: form["title"], Body: form["body"], Themes: &themes})
	if err != nil {
		return formError(c, err, h.fieldPage, form, "idea-")
	}
	if res.Status == StatusPending {
		pages.Flash(c, "ok", "flash.idea_pending")
	} else {
		pages.Flash(c, "ok", "flash.idea_published")
	}
	return pages.Redirect(c, "/i/"+strconv.FormatInt(res.ID, 10))
}

// ReportSubmit is POST /reports from a report form; back is the page to return to.
func (h *Handlers) ReportSubmit(c *fiber.Ctx) error {
	id, _ := strconv.ParseInt(c.FormValue("id"), 10, 64)
	note := plaintext.FromForm(strings.Clone(c.FormValue("note")))
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/")
	err := h.svc.Report(c.UserContext(), access.From(c), ReportInput{
		Target: strings.Clone(c.FormValue("target")), ID: id, Reason: strings.Clone(c.FormValue("reason")), Note: &note,
	}, h.afterReport)
	if err != nil {
		var p *problem.Problem
		if errors.As(err, &p) && p.Status == fiber.StatusUnauthorized {
			return pages.Redirect(c, "/login?next="+url.QueryEscape(back))
		}
		if kind, itemID, ok := itemOf(back); ok && errors.As(err, &p) && p.Status == fiber.StatusUnprocessableEntity {
			// The page again with the report form open and the error on
			// its field, as any other form on it.
			form := map[string]string{"target": strings.Clone(c.FormValue("target")), "id": strconv.FormatInt(id, 10),
				"reason": strings.Clone(c.FormValue("reason")), "note": note}
			return h.pageFor(kind)(c, &formFailure{err: err, form: form, prefix: "report-" + form["target"] + "-" + form["id"] + "-", itemID: itemID})
		}
		if errors.As(err, &p) && p.Status < 500 {
			return pages.RedirectFlash(c, "error", "flash.report_failed", back)
		}
		return err
	}
	return pages.RedirectFlash(c, "ok", "flash.reported", back)
}

// itemOf reads the measure or idea page a report form came from ("/m/12#comment-3").
func itemOf(back string) (Kind, int64, bool) {
	path, _, _ := strings.Cut(back, "#")
	kind := KindIdea
	rest, ok := strings.CutPrefix(path, "/i/")
	if !ok {
		kind = KindMeasure
		if rest, ok = strings.CutPrefix(path, "/m/"); !ok {
			return kind, 0, false
		}
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return kind, id, err == nil && id > 0
}

// WithdrawCommentSubmit is POST /comments/{id}/withdraw.
func (h *Handlers) WithdrawCommentSubmit(c *fiber.Ctx) error {
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/me")
	return withdrawSubmit(c, h.svc.WithdrawComment, "flash.comment_withdrawn", back)
}

// WithdrawIdeaSubmit is POST /ideas/{id}/withdraw.
func (h *Handlers) WithdrawIdeaSubmit(c *fiber.Ctx) error {
	return withdrawSubmit(c, h.svc.WithdrawIdea, "flash.idea_withdrawn", "/me")
}

// withdrawSubmit takes back one's own comment or idea from a form and
// returns to back with the message flash.
func withdrawSubmit(c *fiber.Ctx, fn withdraw, flash, back string) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	if err := fn(c.UserContext(), access.From(c), id); err != nil {
		return err
	}
	return pages.RedirectFlash(c, "ok", flash, back)
}
