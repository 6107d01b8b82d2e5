package consultations

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
)

// APIMilestones is PUT /api/v1/measures/{id}/milestones (experts of the
// field's groups, admins): the list replaces the measure's milestones.
func (h *Handlers) APIMilestones(c *fiber.Ctx) error {
	return replaceList(c, h, h.svc.ReplaceMilestones)
}

// APIDocuments is PUT /api/v1/measures/{id}/documents.
func (h *Handlers) APIDocuments(c *fiber.Ctx) error {
	return replaceList(c, h, h.svc.ReplaceDocuments)
}

// replaceList replaces one of a measure's lists with the list of I in the
// body, once the caller may manage the measure, and answers the measure
// as the caller reads it.
func replaceList[I any](c *fiber.Ctx, h *Handlers, replace func(ctx context.Context, actorID, id int64, list []I) (*MeasureDetail, error)) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	var list []I
	if err := jsonapi.Decode(c, &list); err != nil {
		return err
	}
	v := access.From(c)
	if _, err := replace(c.UserContext(), v.UserID, m.ID, list); err != nil {
		return err
	}
	d, err := h.svc.GetMeasure(c.UserContext(), m.ID, true, v.UserID)
	if err != nil {
		return err
	}
	return c.JSON(d.JSON(lang(c)))
}

// APITakeUpIdea is PUT /api/v1/measures/{id}/ideas/{idea_id}: the idea is
// taken up in the measure.
func (h *Handlers) APITakeUpIdea(c *fiber.Ctx) error {
	return h.linkIdea(c, h.svc.TakeUpIdea)
}

// APIDropIdea is DELETE /api/v1/measures/{id}/ideas/{idea_id}.
func (h *Handlers) APIDropIdea(c *fiber.Ctx) error {
	return h.linkIdea(c, h.svc.DropIdea)
}

func (h *Handlers) linkIdea(c *fiber.Ctx, change func(ctx context.Context, actorID, measureID, ideaID int64) error) error {
	m, err := h.managedMeasure(c)
	if err != nil {
		return err
	}
	ideaID, err := IDParam(c, "idea_id")
	if err != nil {
		return err
	}
	if err := change(c.UserContext(), access.From(c).UserID, m.ID, ideaID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
