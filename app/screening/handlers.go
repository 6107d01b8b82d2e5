package screening

import (
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/problem"
)

// Handlers serve the screening list endpoints.
type Handlers struct{ svc *Lists }

// NewHandlers wires the handlers.
func NewHandlers(svc *Lists) *Handlers { return &Handlers{svc: svc} }

type listJSON struct {
	Lang  string   `json:"lang"`
	Terms []string `json:"terms"`
}

type listBody struct {
	Terms []string `json:"terms"`
}

// APIScreening is GET /api/v1/moderation/screening/{lang} (admin).
func (h *Handlers) APIScreening(c *fiber.Ctx) error {
	lang := strings.Clone(c.Params("lang"))
	terms, err := h.svc.Terms(c.UserContext(), lang)
	if err != nil {
		return err
	}
	return c.JSON(listJSON{Lang: lang, Terms: terms})
}

// APISetScreening is PUT /api/v1/moderation/screening/{lang} (admin). The
// body is JSON {"terms":[…]}, or text/plain in the seed files' format (one
// term a line, # comments), whose errors name the line ("line 3").
func (h *Handlers) APISetScreening(c *fiber.Ctx) error {
	lang := strings.Clone(c.Params("lang"))
	if !h.svc.catalog.Supported(lang) {
		return problem.NotFound()
	}
	var (
		terms []string
		lines []int
	)
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt == fiber.MIMETextPlain {
		if !utf8.Valid(c.Body()) {
			return problem.Invalid(problem.Field("body", "error.text_utf8"))
		}
		terms, lines = ParseLines(string(c.Body()))
	} else {
		var b listBody
		if err := jsonapi.Decode(c, &b); err != nil {
			return err
		}
		if b.Terms == nil {
			return problem.Invalid(problem.Field("terms", "error.required"))
		}
		terms = b.Terms
	}
	terms, err := h.svc.SetTerms(c.UserContext(), access.From(c).UserID, lang, terms)
	if err != nil {
		if lines != nil {
			return RenameTermFields(err, func(i int) string { return "line " + strconv.Itoa(lines[i]) })
		}
		return err
	}
	return c.JSON(listJSON{Lang: lang, Terms: terms})
}

// RenameTermFields renames the terms[i] fields of a validation problem,
// for inputs that do not number terms the way the list does.
func RenameTermFields(err error, name func(i int) string) error {
	p, ok := err.(*problem.Problem)
	if !ok || len(p.Errors) == 0 {
		return err
	}
	out := *p
	out.Errors = make([]problem.FieldError, len(p.Errors))
	for k, fe := range p.Errors {
		if rest, ok := strings.CutPrefix(fe.Field, "terms["); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil {
				fe.Field = name(i)
			}
		}
		out.Errors[k] = fe
	}
	return &out
}
