package admin

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/legal"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/screening"
)

// ScreeningPage is GET /admin/screening: one form per language.
func (h *Handlers) ScreeningPage(c *fiber.Ctx) error {
	return h.renderScreening(c, "", map[string]string{}, nil)
}

// renderScreening shows every language's list; the one in lang shows what
// was posted (with its errors), the others what is stored.
func (h *Handlers) renderScreening(c *fiber.Ctx, lang string, form map[string]string, err error) error {
	for _, l := range h.catalog.Langs() {
		if l.Code == lang {
			continue
		}
		terms, terr := h.Screening.Terms(c.UserContext(), l.Code)
		if terr != nil {
			return terr
		}
		form["terms."+l.Code] = strings.Join(terms, "\n")
	}
	v := h.view(c, "admin.screening.title")
	if err != nil {
		_, lines := screening.ParseLines(form["terms."+lang])
		return h.invalid(c, err, "admin_screening", v, form, func(field string) (string, string, bool) {
			list, i, _, ok := indexed(field)
			switch {
			case field == "terms":
				return "terms." + lang, "", true
			case !ok || list != "terms" || i >= len(lines):
				return "", "", false
			}
			return "terms." + lang, locale.From(c).T("admin.line", "Line", lines[i]), true
		})
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_screening", v)
}

// SetScreening is POST /admin/screening/{lang}.
func (h *Handlers) SetScreening(c *fiber.Ctx) error {
	lang := strings.Clone(c.Params("lang"))
	form := postedForm(c)
	terms, _ := screening.ParseLines(form["terms."+lang])
	if _, err := h.Screening.SetTerms(c.UserContext(), access.From(c).UserID, lang, terms); err != nil {
		return h.renderScreening(c, lang, form, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/screening")
}

type legalPage struct {
	Text *legal.Text
}

func (h *Handlers) renderLegal(c *fiber.Ctx, t *legal.Text, form map[string]string, err error) error {
	v := h.view(c, "admin.legal.title", "Page", locale.From(c).T(t.Catalog+".title"))
	v.Data = legalPage{Text: t}
	if err != nil {
		return h.invalid(c, err, "admin_legal", v, form, nil)
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_legal", v)
}

// LegalPage is GET /admin/legal/{key}. Until the city writes its own text,
// the form starts from the catalogs' default texts.
func (h *Handlers) LegalPage(c *fiber.Ctx) error {
	t, err := h.Legal.Get(c.UserContext(), c.Params("key"))
	if err != nil {
		return err
	}
	form := map[string]string{}
	body := t.Body
	if len(body) == 0 {
		body = locale.Text{}
		for _, l := range h.catalog.Langs() {
			body[l.Code] = h.catalog.Get(l.Code).T(t.Catalog + ".body")
		}
	}
	fillText(form, "body", body)
	return h.renderLegal(c, t, form, nil)
}

// SetLegal is POST /admin/legal/{key}.
func (h *Handlers) SetLegal(c *fiber.Ctx) error {
	key := strings.Clone(c.Params("key"))
	t, err := h.Legal.Get(c.UserContext(), key)
	if err != nil {
		return err
	}
	form := postedForm(c)
	if _, err := h.Legal.Set(c.UserContext(), access.From(c).UserID, key, h.textFrom(form, "body")); err != nil {
		return h.renderLegal(c, t, form, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, "/admin/legal/"+key)
}

type auditPage struct {
	Entries []auditEntry
	Next    *string
}

type auditEntry struct {
	audit.Entry
	Before, After string
}

// indentJSON shows a stored state readably; a state that is not JSON is
// shown as stored.
func indentJSON(s string) string {
	var b bytes.Buffer
	if s == "" || json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// AuditPage is GET /admin/audit?cursor=: newest first.
func (h *Handlers) AuditPage(c *fiber.Ctx) error {
	page, err := jsonapi.ParsePage(c)
	if err != nil {
		return err
	}
	rows, err := audit.List(c.UserContext(), h.Store.DB, page.After, page.Limit+1)
	if err != nil {
		return err
	}
	rows, next := jsonapi.Paginate(rows, page.Limit, func(e audit.Entry) int64 { return e.ID })
	data := auditPage{Next: next}
	for _, e := range rows {
		data.Entries = append(data.Entries, auditEntry{Entry: e, Before: indentJSON(e.BeforeState), After: indentJSON(e.AfterState)})
	}
	v := h.view(c, "admin.audit.title")
	v.Data = data
	return h.pages.Render(c, fiber.StatusOK, "admin_audit", v)
}
