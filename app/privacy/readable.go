package privacy

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
)

// nameTargets gives the rows about a measure or an idea the title of it:
// measures in the account's language, ideas when public or one's own.
func (s *Service) nameTargets(ctx context.Context, e *Export) error {
	var targets []*Target
	for i := range e.Comments {
		targets = append(targets, &e.Comments[i].Target)
	}
	for i := range e.Votes {
		targets = append(targets, &e.Votes[i].Target)
	}
	for i := range e.Reports {
		targets = append(targets, &e.Reports[i].Target)
	}
	for i := range e.Follows {
		targets = append(targets, &e.Follows[i].Target)
	}
	ids := map[string][]int64{}
	for _, t := range targets {
		ids[t.TargetKind] = append(ids[t.TargetKind], t.TargetID)
	}
	titles := map[string]map[int64]string{"measure": {}, "idea": {}}
	if len(ids["measure"]) > 0 {
		var rows []struct {
			ID    int64       `bun:"id"`
			Title locale.Text `bun:"title,type:text"`
		}
		if err := s.st.DB.NewRaw("SELECT id, title FROM measures WHERE id IN (?)", bun.List(ids["measure"])).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			titles["measure"][r.ID] = r.Title.String(e.Account.Locale)
		}
	}
	if len(ids["idea"]) > 0 {
		var rows []struct {
			ID    int64  `bun:"id"`
			Title string `bun:"title"`
		}
		if err := s.st.DB.NewRaw("SELECT i.id, i.title FROM ideas i WHERE i.id IN (?) AND ("+access.PublicSQL("i")+" OR i.author_id = ?)",
			bun.List(ids["idea"]), e.Account.ID).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			titles["idea"][r.ID] = r.Title
		}
	}
	for _, t := range targets {
		if byID, ok := titles[t.TargetKind]; ok {
			t.TargetTitle = byID[t.TargetID]
		}
	}
	return nil
}

// ExportPage is GET /me/export?format=html: the export as a page to read
// or print, with titles rather than ids. Any other format is the JSON
// download.
func (h *Handlers) ExportPage(c *fiber.Ctx) error {
	if c.Query("format") != "html" {
		return c.Redirect("/api/v1/me/export", fiber.StatusSeeOther)
	}
	e, err := h.svc.Export(c.UserContext(), access.From(c).UserID)
	if err != nil {
		return err
	}
	view := h.pages.NewView(c, locale.From(c).T("data.title"))
	view.Data = e
	return h.pages.Render(c, fiber.StatusOK, "my-data", view)
}
