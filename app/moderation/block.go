package moderation

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// BlockSubmit is POST /moderation/{kind}/{id}/block from the queue page:
// the author of the item is blocked through the given day (the city's
// time), with a reason they are shown. Who may block whom is the
// accounts' rule (access.Viewer.CanBlock, and a moderator does not replace
// an administrator's block).
func (h *Handlers) BlockSubmit(c *fiber.Ctx) error {
	id, err := consultations.IDParam(c, "id")
	if err != nil {
		return err
	}
	kind := strings.Clone(c.Params("kind"))
	table, err := tableOf(kind)
	if err != nil {
		return err
	}
	var authors []int64
	if err := h.svc.st.DB.NewRaw("SELECT author_id FROM "+table+" WHERE id = ?", id).Scan(c.UserContext(), &authors); err != nil || len(authors) == 0 {
		return problem.NotFound()
	}
	key := "block-" + kind + "-" + strconv.FormatInt(id, 10)
	back := pages.SafeNext(strings.Clone(c.FormValue("back")), "/moderation")
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(c.FormValue("until")), locale.CityTime())
	if err != nil {
		return h.formFailed(c, problem.Invalid(problem.Field("until", "error.date_format")), key, back)
	}
	blocked, err := h.accounts.Block(c.UserContext(), access.From(c), authors[0], day.AddDate(0, 0, 1), strings.Clone(c.FormValue("reason")))
	if err != nil {
		return h.formFailed(c, err, key, back)
	}
	accounts.BlockedEvent(c, authors[0], blocked.BlockedUntil)
	pages.Flash(c, "ok", "flash.blocked_author")
	return pages.Redirect(c, back)
}
