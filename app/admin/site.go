package admin

import (
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/site"
)

type sitePage struct {
	Identity *site.Identity
	MaxName  int
	MaxLogo  int
}

// renderSite shows the identity's forms: form holds what was posted
// (nil: the stored values), err what was wrong with it.
func (h *Handlers) renderSite(c *fiber.Ctx, form map[string]string, err error) error {
	id, gerr := h.Identity.Get(c.UserContext())
	if gerr != nil {
		return gerr
	}
	if form == nil {
		form = map[string]string{}
	}
	if _, ok := form["name"]; !ok {
		form["name"], form["accent_color"] = id.Name, id.Accent
	}
	if !site.ValidColor(form["accent_picker"]) {
		form["accent_picker"] = id.Accent
	}
	v := h.view(c, "admin.site.title")
	v.Data = sitePage{Identity: id, MaxName: site.MaxName, MaxLogo: site.MaxLogo >> 10}
	v.Form = form
	status := fiber.StatusOK
	var p *problem.Problem
	if err != nil {
		// The logo's 413 and 415 name their field too: all are shown
		// beside the form.
		if !errors.As(err, &p) || p.Status >= 500 || len(p.Errors) == 0 {
			return err
		}
		v.SetFormErrors(err, form)
		status = p.Status
	}
	return h.pages.Render(c, status, "admin_site", v)
}

// SitePage is GET /admin/site.
func (h *Handlers) SitePage(c *fiber.Ctx) error { return h.renderSite(c, nil, nil) }

// SetSite is POST /admin/site: the name and the accent colour. The colour
// comes as text and from a colour picker; without a script to tie them
// together, whichever of the two was changed counts.
func (h *Handlers) SetSite(c *fiber.Ctx) error {
	id, err := h.Identity.Get(c.UserContext())
	if err != nil {
		return err
	}
	form := postedForm(c)
	accent := form["accent_color"]
	if picked := form["accent_picker"]; strings.EqualFold(strings.TrimSpace(accent), id.Accent) && picked != "" && !strings.EqualFold(picked, id.Accent) {
		accent = picked
		form["accent_color"] = picked
	}
	if _, err := h.Identity.Set(c.UserContext(), access.From(c).UserID, form["name"], accent); err != nil {
		return h.renderSite(c, form, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/site")
}

// SetLogo is POST /admin/site/logo, a multipart form with the file.
func (h *Handlers) SetLogo(c *fiber.Ctx) error {
	file, err := c.FormFile("logo")
	if err != nil || file.Size == 0 {
		return h.renderSite(c, nil, problem.Invalid(problem.Field("logo", "error.required")))
	}
	f, err := file.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, site.MaxLogo+1))
	if err != nil {
		return err
	}
	if _, err := h.Identity.SetLogo(c.UserContext(), access.From(c).UserID, site.MediaType(file.Header.Get(fiber.HeaderContentType)), body); err != nil {
		return h.renderSite(c, nil, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/site")
}

// RemoveLogo is POST /admin/site/logo/remove.
func (h *Handlers) RemoveLogo(c *fiber.Ctx) error {
	if _, err := h.Identity.RemoveLogo(c.UserContext(), access.From(c).UserID); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/site")
}
