// Package admin is the administration's web interface, /admin: plain
// HTML forms over the domain services (consultations, expert groups,
// accounts, screening lists, legal texts, the audit log). It holds no rules
// of its own: the services validate, check and audit every change, and the
// routes let only administrators in.
package admin

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/legal"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/site"
	"github.com/mitreden/mitreden/app/store"
)

// Services are what the administration works on.
type Services struct {
	Accounts      *accounts.Service
	Consultations *consultations.Service
	Experts       *experts.Service
	Screening     *screening.Lists
	Legal         *legal.Service
	// Identity is the site's name, accent colour and logo.
	Identity *site.Service
	// Store is read for the audit log.
	Store *store.Store
	// Site is the public URL that printed participation codes lead to.
	Site func() string
}

// Handlers serve the /admin pages and their form posts.
type Handlers struct {
	Services
	pages   *pages.Renderer
	catalog *locale.Catalog
}

// NewHandlers wires the handlers.
func NewHandlers(s Services, r *pages.Renderer) *Handlers {
	return &Handlers{Services: s, pages: r, catalog: r.Catalog()}
}

// listAll is how many consultations and groups the overview shows; a city
// has a handful of each.
const listAll = 200

type indexData struct {
	Consultations []consultations.Consultation
	Groups        []experts.Group
	LegalPages    []legal.Page
	// Placeholders are the legal pages still showing the default text.
	Placeholders []legal.Page
}

// Index is GET /admin.
func (h *Handlers) Index(c *fiber.Ctx) error {
	ctx := c.UserContext()
	list, err := h.Consultations.List(ctx, true, 0, listAll)
	if err != nil {
		return err
	}
	groups, err := h.Experts.List(ctx, 0, listAll)
	if err != nil {
		return err
	}
	placeholders, err := h.Legal.Placeholders(ctx)
	if err != nil {
		return err
	}
	v := h.view(c, "admin.title")
	v.Data = indexData{Consultations: list, Groups: groups, LegalPages: legal.Pages, Placeholders: placeholders}
	return h.pages.Render(c, fiber.StatusOK, "admin", v)
}

func (h *Handlers) view(c *fiber.Ctx, titleKey string, args ...any) *pages.View {
	return h.pages.NewView(c, locale.From(c).T(titleKey, args...))
}

// postedForm copies every posted field: Fiber reuses the request's memory,
// and the values outlive the handler's first use of them.
func postedForm(c *fiber.Ctx) map[string]string {
	form := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) != "_csrf" {
			form[string(k)] = plaintext.FromForm(string(v))
		}
	})
	return form
}

// postedIDs reads the ids of a group of checkboxes.
func postedIDs(c *fiber.Ctx, name string) []int64 {
	ids := []int64{}
	for _, raw := range c.Request().PostArgs().PeekMulti(name) {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// textFrom gathers a translated text from the inputs prefix.de, prefix.en, …
func (h *Handlers) textFrom(form map[string]string, prefix string) locale.Text {
	t := locale.Text{}
	for _, l := range h.catalog.Langs() {
		if s := form[prefix+"."+l.Code]; strings.TrimSpace(s) != "" || l.Code == locale.Default {
			t[l.Code] = s
		}
	}
	return t
}

// fillText puts a translated text into the inputs prefix.de, prefix.en, …
func fillText(form map[string]string, prefix string, t locale.Text) {
	for code, s := range t {
		form[prefix+"."+code] = s
	}
}

// fieldRename maps a service's field name to the form input holding it,
// with a prefix for the message (such as "Line 3:"); ok false keeps it.
type fieldRename func(field string) (input, prefix string, ok bool)

// invalid shows the form again with the errors beside the fields when err
// is the user's to fix; any other error goes to the error page.
func (h *Handlers) invalid(c *fiber.Ctx, err error, page string, v *pages.View, form map[string]string, rename fieldRename) error {
	var p *problem.Problem
	if !errors.As(err, &p) || (p.Status != fiber.StatusUnprocessableEntity && p.Status != fiber.StatusConflict) {
		return err
	}
	v.SetFormErrors(err, form)
	if rename != nil {
		for i, e := range v.Errors {
			if input, prefix, ok := rename(e.Field); ok {
				v.Errors[i].Field = input
				if prefix != "" {
					v.Errors[i].Message = prefix + " " + e.Message
				}
			}
		}
	}
	return h.pages.Render(c, p.Status, page, v)
}

// onField ties a conflict to the input that caused it, so the form can
// show it there: the slug that is taken, the role of the last admin.
func onField(err error, conflict *problem.Problem, field string) error {
	if err != conflict {
		return err
	}
	return &problem.Problem{Status: conflict.Status, DetailKey: conflict.DetailKey, Errors: []problem.FieldError{problem.Field(field, conflict.DetailKey)}}
}

// indexed splits "guidelines[3].en" into "guidelines", 3 and "en".
func indexed(field string) (list string, i int, rest string, ok bool) {
	list, after, found := strings.Cut(field, "[")
	if !found {
		return "", 0, "", false
	}
	num, rest, found := strings.Cut(after, "]")
	if !found {
		return "", 0, "", false
	}
	i, err := strconv.Atoi(num)
	if err != nil {
		return "", 0, "", false
	}
	return list, i, strings.TrimPrefix(rest, "."), true
}
