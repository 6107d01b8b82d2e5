package participation

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/store"
)

// HasPendingComment reports whether userID has a comment or reply on an
// item that waits for moderation (one lookup in a small partial index).
func (s *Service) HasPendingComment(ctx context.Context, userID int64, kind Kind, id int64) (bool, error) {
	var one int
	err := s.st.QueryRow(ctx, "SELECT 1 FROM comments c WHERE c.author_id = ? AND c.target_kind = ? AND c.target_id = ? AND "+access.PendingSQL("c")+" LIMIT 1",
		userID, string(kind), id).Scan(&one)
	if store.IsNoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// OwnPendingFirst serves a measure page through cached, the page kept for
// every signed-in reader of one kind (pages.CachedPersonal), except to a
// reader with a comment of their own waiting for moderation on it: that
// page shows them their comment, marked, so it is rendered for them. The
// kept page never holds a pending comment, so nobody else can see one
// there, and no kept page can lack the author's: the rule is decided per
// request, not per kept page.
func (h *Handlers) OwnPendingFirst(cached fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := access.From(c)
		if !v.SignedIn() {
			return cached(c)
		}
		id, ok := jsonapi.ParseID(c.Params("id"))
		if !ok {
			return cached(c)
		}
		pending, err := h.svc.HasPendingComment(c.UserContext(), v.UserID, KindMeasure, id)
		if err != nil {
			return err
		}
		if pending {
			return h.MeasurePage(c)
		}
		return cached(c)
	}
}
