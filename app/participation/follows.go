package participation

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// SetFollowing makes v follow an item (follow true) or stop following it.
// Followers hear what becomes of it: a measure's status, an answer to an
// idea. Anyone signed in who may see the item may follow it, also after
// its consultation has closed (that is when its outcome comes). Doing it
// twice changes nothing.
func (s *Service) SetFollowing(ctx context.Context, v *access.Viewer, kind Kind, id int64, follow bool) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	if _, err := s.preloadTarget(ctx, v, kind, id); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if !follow {
			_, err := tx.Exec(ctx, "DELETE FROM follows WHERE user_id = ? AND target_kind = ? AND target_id = ?", v.UserID, string(kind), id)
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO follows (user_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (user_id, target_kind, target_id) DO NOTHING`, v.UserID, string(kind), id, tx.Time(s.now()))
		return err
	})
}

// readerOf answers v's vote on an item and whether v follows it.
func (s *Service) readerOf(ctx context.Context, v *access.Viewer, kind Kind, id int64) (consultations.Reader, error) {
	return consultations.ReaderOf(ctx, s.st, v.UserID, string(kind), id)
}

// APIFollow is PUT (follow) and DELETE (stop) on
// /api/v1/{measures|ideas}/{id}/follow.
func (h *Handlers) APIFollow(kind Kind, follow bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		if err := h.svc.SetFollowing(c.UserContext(), access.From(c), kind, id, follow); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// FollowSubmit is POST /m/{id}/follow and /i/{id}/follow, the form under
// an item's vote box: follow=1 follows, follow=0 stops; back to the item.
func (h *Handlers) FollowSubmit(kind Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := consultations.IDParam(c, "id")
		if err != nil {
			return err
		}
		follow := strings.TrimSpace(c.FormValue("follow")) == "1"
		if err := h.svc.SetFollowing(c.UserContext(), access.From(c), kind, id, follow); err != nil {
			return formError(c, err, h.pageFor(kind), nil, "")
		}
		flash := "flash.unfollowed"
		if follow {
			flash = "flash.followed"
		}
		return pages.RedirectFlash(c, "ok", flash, itemPath(kind, id)+"#follow")
	}
}
