package participation

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// Handlers serve participation's endpoints and pages.
type Handlers struct {
	svc   *Service
	cons  *consultations.Service
	pages *pages.Renderer
	// afterReport is moderation's hook into a new report (may be nil).
	afterReport AfterReport
}

// NewHandlers wires the handlers; afterReport (may be nil) runs inside
// every report's write.
func NewHandlers(svc *Service, cons *consultations.Service, r *pages.Renderer, afterReport AfterReport) *Handlers {
	return &Handlers{svc: svc, cons: cons, pages: r, afterReport: afterReport}
}

func lang(c *fiber.Ctx) string { return locale.From(c).Lang.Code }

// itemWrite reads what every API write to an item checks, in this order:
// the item's id from the path, that the caller may write, then the JSON
// body into dst.
func itemWrite(c *fiber.Ctx, dst any) (int64, error) {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return 0, err
	}
	if err := access.MayWrite(access.From(c)); err != nil {
		return 0, err
	}
	return id, jsonapi.Decode(c, dst)
}

// withdraw is how an author takes back a comment or an idea.
type withdraw func(ctx context.Context, v *access.Viewer, id int64) error

// apiWithdraw answers DELETE on one's own comment or idea.
func apiWithdraw(c *fiber.Ctx, fn withdraw) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	if err := fn(c.UserContext(), access.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type voteBody struct {
	Value *int `json:"value"`
}

// itemUpdate serves an API write to the item in the path (see
// itemWrite): fn's answer is the JSON response.
func itemUpdate[B, T any](fn func(c *fiber.Ctx, id int64, body *B) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body B
		id, err := itemWrite(c, &body)
		if err != nil {
			return err
		}
		out, err := fn(c, id, &body)
		return jsonapi.Answer(c, out, err)
	}
}

// APIVote is PUT /api/v1/{measures|ideas}/{id}/vote.
func (h *Handlers) APIVote(kind Kind) fiber.Handler {
	return itemUpdate(func(c *fiber.Ctx, id int64, b *voteBody) (*VoteResult, error) {
		if b.Value == nil {
			return nil, problem.Invalid(problem.Field("value", "error.vote_value"))
		}
		return h.svc.Vote(c.UserContext(), access.From(c), kind, id, *b.Value)
	})
}

// APIUnvote is DELETE /api/v1/{measures|ideas}/{id}/vote.
func (h *Handlers) APIUnvote(kind Kind) fiber.Handler {
	return jsonapi.ByID(func(c *fiber.Ctx, id int64) (*VoteResult, error) {
		return h.svc.Unvote(c.UserContext(), access.From(c), kind, id)
	})
}

// APIComments is GET /api/v1/{measures|ideas}/{id}/comments.
func (h *Handlers) APIComments(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		list := func(ctx context.Context, after int64, limit int) ([]CommentRow, error) {
			return h.svc.ListComments(ctx, access.From(c), kind, id, after, limit)
		}
		l := locale.From(c)
		return jsonapi.ServeList(c, list, func(r CommentRow) int64 { return r.ID }, func(r *CommentRow) CommentJSON { return r.JSON(l) })
	}
}

// APIPostComment is POST /api/v1/{measures|ideas}/{id}/comments.
func (h *Handlers) APIPostComment(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in CommentInput
		id, err := itemWrite(c, &in)
		if err != nil {
			return err
		}
		res, err := h.svc.Comment(c.UserContext(), access.From(c), lang(c), kind, id, in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(res)
	}
}

type commentWithStatus struct {
	CommentJSON
	Status string `json:"status"`
}

// APIEditComment is PATCH /api/v1/comments/{id}.
func (h *Handlers) APIEditComment() fiber.Handler {
	return itemUpdate(func(c *fiber.Ctx, id int64, in *CommentEdit) (*commentWithStatus, error) {
		row, err := h.svc.EditComment(c.UserContext(), access.From(c), id, *in)
		if err != nil {
			return nil, err
		}
		return &commentWithStatus{CommentJSON: row.JSON(locale.From(c)), Status: row.Status}, nil
	})
}

// APIWithdrawComment is DELETE /api/v1/comments/{id}.
func (h *Handlers) APIWithdrawComment(c *fiber.Ctx) error {
	return apiWithdraw(c, h.svc.WithdrawComment)
}

// APIFieldIdeas is GET /api/v1/fields/{id}/ideas.
func (h *Handlers) APIFieldIdeas(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	list := func(ctx context.Context, after int64, limit int) ([]IdeaRow, error) {
		return h.svc.ListIdeas(ctx, access.From(c), id, after, limit, 0)
	}
	l := locale.From(c)
	return jsonapi.ServeList(c, list, func(r IdeaRow) int64 { return r.ID }, func(r *IdeaRow) IdeaJSON { return r.JSON(l) })
}

// APIPostIdea is POST /api/v1/fields/{id}/ideas.
func (h *Handlers) APIPostIdea(c *fiber.Ctx) error {
	var in IdeaInput
	id, err := itemWrite(c, &in)
	if err != nil {
		return err
	}
	res, err := h.svc.SubmitIdea(c.UserContext(), access.From(c), lang(c), id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(res)
}

// IdeaDetailJSON is an idea as its GET shows it: with the caller's vote.
type IdeaDetailJSON struct {
	IdeaJSON
	MyVote    *int `json:"my_vote"`
	Following bool `json:"following"`
}

// APIIdea is GET /api/v1/ideas/{id}.
func (h *Handlers) APIIdea(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	v := access.From(c)
	row, err := h.svc.GetIdea(c.UserContext(), v, id)
	if err != nil {
		return err
	}
	r, err := h.svc.readerOf(c.UserContext(), v, KindIdea, id)
	if err != nil {
		return err
	}
	return c.JSON(IdeaDetailJSON{IdeaJSON: row.JSON(locale.From(c)), MyVote: r.MyVote, Following: r.Following})
}

// APIEditIdea is PATCH /api/v1/ideas/{id}.
func (h *Handlers) APIEditIdea() fiber.Handler {
	return itemUpdate(func(c *fiber.Ctx, id int64, in *IdeaEdit) (*IdeaJSON, error) {
		row, err := h.svc.EditIdea(c.UserContext(), access.From(c), id, *in)
		if err != nil {
			return nil, err
		}
		out := row.JSON(locale.From(c))
		return &out, nil
	})
}

// APIWithdrawIdea is DELETE /api/v1/ideas/{id}.
func (h *Handlers) APIWithdrawIdea(c *fiber.Ctx) error { return apiWithdraw(c, h.svc.WithdrawIdea) }

// APIReport is POST /api/v1/reports.
func (h *Handlers) APIReport(c *fiber.Ctx) error {
	if err := access.MayWrite(access.From(c)); err != nil {
		return err
	}
	var in ReportInput
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	if err := h.svc.Report(c.UserContext(), access.From(c), in, h.afterReport); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "received"})
}
