package moderation

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// MoveInput moves a misplaced idea to another field.
type MoveInput struct {
	FieldID int64 `json:"field_id"`
}

// errMoveField refuses a field that is not another field of the idea's
// consultation.
var errMoveField = problem.Invalid(problem.Field("field_id", "error.move_field"))

// Move puts a misplaced idea, waiting or published, in another field of
// its consultation instead of rejecting it. Like a decision it is logged
// and the author is told; it changes neither the idea's state nor its
// reports, so a reported idea stays in the queue.
func (s *Service) Move(ctx context.Context, v *access.Viewer, id int64, in MoveInput) (*participation.IdeaRow, error) {
	if !v.CanModerate() {
		return nil, access.Refusal(v)
	}
	var out *participation.IdeaRow
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		st, err := loadState(ctx, tx, "ideas", id)
		if err != nil {
			return err
		}
		if st.AuthorID == v.UserID {
			return ErrSelfDecision
		}
		if st.Status != participation.StatusPending && st.Status != participation.StatusPublished {
			return ErrWrongState
		}
		var same []int64
		if err := tx.NewRaw(`SELECT t.id FROM fields t JOIN fields f ON f.consultation_id = t.consultation_id
WHERE f.id = ? AND t.id = ? AND t.id <> f.id`, st.FieldID, in.FieldID).Scan(ctx, &same); err != nil && !store.IsNoRows(err) {
			return err
		}
		if len(same) == 0 {
			return errMoveField
		}
		if out, err = participation.MoveIdea(ctx, tx, id, in.FieldID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO moderation_decisions (actor_id, target_kind, target_id, action, reason, statement, from_status, to_status, created_at)
VALUES (?, 'idea', ?, 'move', '', '', ?, ?, ?)`, v.UserID, id, st.Status, st.Status, s.now()); err != nil {
			return err
		}
		err = notifications.Notify(ctx, tx, s.catalog, notifications.To(st.AuthorID), notifications.Notice{
			Kind: notifications.Decision, Title: notifications.Plain(queues.Excerpt(st.Text)),
			URL: "/i/" + strconv.FormatInt(id, 10), Body: "notifications.decision.move",
		})
		if err != nil {
			return err
		}
		return queues.AnnounceModeration(ctx, tx, &queues.Item{Kind: "idea", ID: id, FieldID: in.FieldID, State: st.Status})
	})
	return out, err
}

// APIMove is POST /api/v1/moderation/idea/{id}/move.
func (h *Handlers) APIMove() fiber.Handler {
	return jsonapi.UpdateByID(func(c *fiber.Ctx, id int64, in *MoveInput) (*participation.IdeaJSON, error) {
		row, err := h.svc.Move(c.UserContext(), access.From(c), id, *in)
		if err != nil {
			return nil, err
		}
		out := row.JSON(locale.From(c))
		return &out, nil
	})
}

// MoveSubmit is POST /moderation/idea/{id}/move from the queue page.
func (h *Handlers) MoveSubmit(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	fieldID, _ := strconv.ParseInt(c.FormValue("field_id"), 10, 64)
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/moderation")
	if _, err := h.svc.Move(c.UserContext(), access.From(c), id, MoveInput{FieldID: fieldID}); err != nil {
		return h.formFailed(c, err, "move-idea-"+strconv.FormatInt(id, 10), back)
	}
	pages.Flash(c, "ok", "flash.moved")
	return pages.Redirect(c, back)
}

// formFailed answers a queue form that was refused: field errors beside
// the item, a conflict as a notice, anything else as it is.
func (h *Handlers) formFailed(c *fiber.Ctx, err error, failedItem, back string) error {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= 500 || p.Status == fiber.StatusForbidden && !access.From(c).CanModerate() {
		return err
	}
	if p.Status == fiber.StatusConflict {
		pages.Flash(c, "error", "flash.decision_conflict")
		return pages.Redirect(c, back)
	}
	return h.queuePage(c, err, failedItem)
}
