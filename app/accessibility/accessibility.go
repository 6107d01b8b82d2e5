// Package accessibility serves the accessibility statement that BITV 2.0
// asks of a German public body's site (/barrierefreiheit), with a form to
// report a barrier, and the list of reports the administration works
// through.
package accessibility

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Report is a reported barrier.
type Report struct {
	ID          int64      `bun:"id"`
	Description string     `bun:"description"`
	Page        string     `bun:"page"`
	Contact     string     `bun:"contact"`
	Lang        string     `bun:"lang"`
	CreatedAt   time.Time  `bun:"created_at"`
	ResolvedAt  *time.Time `bun:"resolved_at"`
}

// Limits of a report, in characters.
const (
	MaxDescription = 5000
	MaxPage        = 500
	MaxContact     = 254
)

// Service stores and lists reports.
type Service struct{ st *store.Store }

// NewService builds the service.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Input is a report as the form sends it.
type Input struct {
	Description, Page, Contact string
}

// Submit stores a report; reporterID 0 is an anonymous visitor.
func (s *Service) Submit(ctx context.Context, reporterID int64, lang string, in Input) error {
	var v problem.Validator
	desc := plaintext.Check(&v, "description", in.Description, 10, MaxDescription)
	page := plaintext.Check(&v, "page", in.Page, 0, MaxPage)
	contact := plaintext.Check(&v, "contact", in.Contact, 0, MaxContact)
	if err := v.Err(); err != nil {
		return err
	}
	var reporter *int64
	if reporterID != 0 {
		reporter = &reporterID
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO barrier_reports (description, page, contact, lang, reporter_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			desc, page, contact, lang, reporter, time.Now().UTC())
		return err
	})
}

// List answers reports, newest first, before the cursor.
func (s *Service) List(ctx context.Context, before int64, limit int) ([]Report, error) {
	q := "SELECT id, description, page, contact, lang, created_at, resolved_at FROM barrier_reports"
	return jsonapi.Newest[Report](ctx, s.st.DB, q, "", nil, "id", before, limit)
}

// Resolve marks a report as dealt with.
func (s *Service) Resolve(ctx context.Context, actorID, id int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE barrier_reports SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL", time.Now().UTC(), actorID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound()
		}
		return nil
	})
}

// Handlers serve the statement, the form and the admin list.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

// StatementPage is GET /barrierefreiheit.
func (h *Handlers) StatementPage(c *fiber.Ctx) error { return h.statement(c, fiber.StatusOK, nil) }

func (h *Handlers) statement(c *fiber.Ctx, status int, failed error) error {
	v := h.pages.NewView(c, locale.From(c).T("accessibility.title"))
	v.Form = map[string]string{"page": pages.SafeNext(strings.Clone(c.Query("page")), "")}
	if failed != nil {
		v.SetFormErrors(failed, map[string]string{
			"description": plaintext.FromForm(strings.Clone(c.FormValue("description"))),
			"page":        strings.Clone(c.FormValue("page")),
			"contact":     strings.Clone(c.FormValue("contact")),
		})
	}
	return h.pages.Render(c, status, "accessibility", v)
}

// ReportSubmit is POST /barrierefreiheit: anyone may report a barrier.
func (h *Handlers) ReportSubmit(c *fiber.Ctx) error {
	in := Input{
		Description: plaintext.FromForm(strings.Clone(c.FormValue("description"))),
		Page:        strings.Clone(c.FormValue("page")),
		Contact:     strings.Clone(c.FormValue("contact")),
	}
	if err := h.svc.Submit(c.UserContext(), access.From(c).UserID, locale.From(c).Lang.Code, in); err != nil {
		var p *problem.Problem
		if errors.As(err, &p) && p.Status == fiber.StatusUnprocessableEntity {
			return h.statement(c, p.Status, err)
		}
		return err
	}
	pages.Flash(c, "ok", "flash.barrier_reported")
	return pages.Redirect(c, "/barrierefreiheit")
}

// ReportsData is what the admin list shows.
type ReportsData struct {
	Reports []Report
	Next    *string
}

// ReportsPage is GET /admin/barriers (admins).
func (h *Handlers) ReportsPage(c *fiber.Ctx) error {
	rows, next, err := jsonapi.FetchPage(c, h.svc.List, func(r Report) int64 { return r.ID })
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, locale.From(c).T("barriers.title"))
	v.Data = &ReportsData{Reports: rows, Next: next}
	return h.pages.Render(c, fiber.StatusOK, "admin_barriers", v)
}

// ResolveSubmit is POST /admin/barriers/{id}/resolve (admins).
func (h *Handlers) ResolveSubmit(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Resolve(c.UserContext(), access.From(c).UserID, id); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.barrier_resolved")
	return pages.Redirect(c, "/admin/barriers#report-"+strconv.FormatInt(id, 10))
}
