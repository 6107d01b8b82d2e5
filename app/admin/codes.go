package admin

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
)

type codesPage struct {
	Consultation *consultations.Detail
	Batches      []accounts.CodeBatch
	Now          time.Time
	Max          int
}

// CodesPage is GET /admin/consultations/{slug}/codes: the batches of
// participation codes, and the form that makes one.
func (h *Handlers) CodesPage(c *fiber.Ctx) error { return h.renderCodes(c, fiber.StatusOK, nil, nil) }

func (h *Handlers) renderCodes(c *fiber.Ctx, status int, form map[string]string, err error) error {
	d, derr := h.consultation(c)
	if derr != nil {
		return derr
	}
	batches, derr := h.Accounts.CodeBatches(c.UserContext(), d.Slug)
	if derr != nil {
		return derr
	}
	v := h.view(c, "admin.codes.title")
	v.Data = codesPage{Consultation: d, Batches: batches, Now: time.Now(), Max: accounts.MaxCodes}
	if form == nil {
		form = map[string]string{"count": "20"}
	}
	v.Form = form
	if err != nil {
		return h.invalid(c, err, "admin_codes", v, form, nil)
	}
	return h.pages.Render(c, status, "admin_codes", v)
}

// CreateCodes is POST /admin/consultations/{slug}/codes: the new batch's
// cards open, ready to print.
func (h *Handlers) CreateCodes(c *fiber.Ctx) error {
	form := map[string]string{"count": strings.Clone(c.FormValue("count")), "label": strings.Clone(c.FormValue("label"))}
	slug := strings.Clone(c.Params("slug"))
	count, convErr := strconv.Atoi(strings.TrimSpace(form["count"]))
	if convErr != nil {
		count = 0 // refused as out of range, beside the field
	}
	b, _, err := h.Accounts.CreateCodes(c.UserContext(), access.From(c), slug, count, form["label"])
	if err != nil {
		return h.renderCodes(c, fiber.StatusOK, form, err)
	}
	pages.Flash(c, "ok", "flash.codes_created")
	return pages.Redirect(c, "/admin/consultations/"+slug+"/codes/"+strconv.FormatInt(b.ID, 10))
}

// VoidCodes is POST /admin/consultations/{slug}/codes/{batch}/void.
func (h *Handlers) VoidCodes(c *fiber.Ctx) error {
	b, err := h.batch(c)
	if err != nil {
		return err
	}
	if err := h.Accounts.VoidBatch(c.UserContext(), access.From(c), b.ID); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.codes_voided")
	return pages.Redirect(c, "/admin/consultations/"+strings.Clone(c.Params("slug"))+"/codes")
}

func (h *Handlers) batch(c *fiber.Ctx) (*accounts.CodeBatch, error) {
	id, err := jsonapi.PathID(c, "batch")
	if err != nil {
		return nil, err
	}
	return h.Accounts.CodeBatch(c.UserContext(), strings.Clone(c.Params("slug")), id)
}

// card is one printed card: the code, and a QR code of the link that
// carries it.
type card struct {
	Code string
	QR   template.HTML
}

// instruction is the card's short text in one language.
type instruction struct {
	Lang locale.Lang
	Text string
}

type cardsPage struct {
	Consultation *consultations.Detail
	Batch        *accounts.CodeBatch
	Address      string
	Cards        []card
	Instructions []instruction
	Printable    bool
}

// CardsPage is GET /admin/consultations/{slug}/codes/{batch}: one card per
// unused code, to print (while the batch is printable, see
// accounts.PrintableFor). The QR code leads to {PUBLIC_URL}/code#CODE: in
// the fragment, the code never reaches a server or its logs.
func (h *Handlers) CardsPage(c *fiber.Ctx) error {
	d, err := h.consultation(c)
	if err != nil {
		return err
	}
	b, err := h.batch(c)
	if err != nil {
		return err
	}
	codes, err := h.Accounts.Cards(c.UserContext(), b)
	if err != nil {
		return err
	}
	address := h.Site() + "/code"
	data := cardsPage{Consultation: d, Batch: b, Address: address, Printable: b.Printable(time.Now())}
	for _, code := range codes {
		qr, err := qrSVG(address + "#" + code)
		if err != nil {
			return err
		}
		data.Cards = append(data.Cards, card{Code: accounts.FormatCode(code), QR: qr})
	}
	for _, l := range h.catalog.Langs() {
		loc := h.catalog.Get(l.Code)
		data.Instructions = append(data.Instructions, instruction{Lang: l, Text: loc.T("codes.card_instructions", "Address", address, "Title", d.Title.String(l.Code))})
	}
	v := h.view(c, "admin.codes.cards_title")
	v.Data = data
	return h.pages.Render(c, fiber.StatusOK, "admin_code_cards", v)
}

// qrSVG draws a QR code as an SVG path, one square per dark module, with
// the quiet zone of four modules around it that scanners need: it prints
// sharp at any size and needs no image request. The path holds numbers
// only. (The QR library is the one the two-factor setup uses already.)
func qrSVG(content string) (template.HTML, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	const quiet = 4
	size := code.Bounds().Dx()
	var path strings.Builder
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				path.WriteString("M" + strconv.Itoa(x+quiet) + " " + strconv.Itoa(y+quiet) + "h1v1h-1z")
			}
		}
	}
	n := strconv.Itoa(size + 2*quiet)
	return template.HTML(`<svg class="qr" viewBox="0 0 ` + n + ` ` + n + `" aria-hidden="true" focusable="false" shape-rendering="crispEdges">` +
		`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="` + path.String() + `"/></svg>`), nil
}
