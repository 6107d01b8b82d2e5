package pages

import (
	"crypto/rand"
	"encoding/hex"
	"html"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// A page kept for signed-in readers is rendered once per kind of reader
// (language, role and expert groups: everything the layout and the page
// decide on) with markers where one reader's page differs from another's:
// the CSRF token, and the parts a page names itself, such as the reader's
// own vote or the actions under their own comments. Serving it fills the
// markers in for the reader at hand, which is string work and one small
// query instead of rendering the page.
//
// The markers carry a prefix drawn at random when the process starts, so
// that nobody can write one into a comment and have it filled in.
var markPrefix = func() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("pages: no randomness for page markers: " + err.Error())
	}
	// Letters and digits only: the templates print them unchanged in every
	// context, attribute values included.
	return "zq" + hex.EncodeToString(b) + "q"
}()

// standInUserID is the reader a kept page is rendered for: signed in,
// and nobody's own comment matches it.
const standInUserID = -1

// markCSRF stands for the reader's CSRF token.
var markCSRF = markPrefix + "C"

// markUnread stands for the reader's count of unread notifications in the
// header of a kept page.
var markUnread = markPrefix + "N0q"

// withBadge fills the header's unread marker with badge, and the page's
// own parts with fill (nil: none).
func withBadge(fill func(tag byte, arg int64) string, badge string) func(tag byte, arg int64) string {
	return func(tag byte, arg int64) string {
		switch {
		case tag == 'N':
			return badge
		case fill == nil:
			return ""
		}
		return fill(tag, arg)
	}
}

// Mark is the marker for a page's own part: tag is a letter other than C and N,
// arg (digits) tells the part apart, e.g. a comment's ID.
func Mark(tag byte, arg int64) string {
	return markPrefix + string(tag) + strconv.FormatInt(arg, 10) + "q"
}

// Parts fills in a kept page's own markers for one reader.
type Parts interface {
	// Personal prepares the reader's parts (one query at most, say) and
	// answers the function that fills each marker; the text it answers
	// may contain the CSRF marker.
	Personal(c *fiber.Ctx, v *access.Viewer) (func(tag byte, arg int64) string, error)
	// Size is about how many bytes the parts hold, for the cache's limit.
	Size() int
}

const (
	stencilLocal = "pages.stencil"
	partsLocal   = "pages.parts"
)

// Stenciling reports whether the page is being rendered with markers for
// the page cache: its handler must then leave the reader's own data out
// and name its Parts with SetParts.
func Stenciling(c *fiber.Ctx) bool { return c.Locals(stencilLocal) != nil }

// SetParts names the parts a page rendered with markers fills in.
func SetParts(c *fiber.Ctx, p Parts) { c.Locals(partsLocal, p) }

// shape names everything about a signed-in reader that the pages kept for
// them depend on, other than the reader: role and expert groups (the
// layout's menu, management links, drafts an admin sees). Readers whose
// pages differ from others of their shape get no kept page (sharesPages).
func shape(v *access.Viewer) string {
	var b strings.Builder
	b.WriteString(string(v.Role))
	for _, g := range v.Groups {
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(g, 10))
	}
	return b.String()
}

// personalize fills body's markers for one reader: their CSRF token here,
// the rest through fill (nil fills nothing but the token).
func personalize(out []byte, body string, csrf string, fill func(tag byte, arg int64) string) []byte {
	for {
		i := strings.Index(body, markPrefix)
		if i < 0 {
			return append(out, body...)
		}
		out = append(out, body[:i]...)
		body = body[i+len(markPrefix):]
		if body == "" {
			return out
		}
		tag := body[0]
		body = body[1:]
		if tag == 'C' {
			out = append(out, csrf...)
			continue
		}
		end := strings.IndexByte(body, 'q')
		if end < 0 {
			return append(out, body...)
		}
		arg, _ := strconv.ParseInt(body[:end], 10, 64)
		body = body[end+1:]
		if fill != nil {
			out = personalize(out, fill(tag, arg), csrf, nil)
		}
	}
}

// escapedCSRF is the token as the templates print it in an attribute.
func escapedCSRF(v *access.Viewer) string { return html.EscapeString(v.CSRFToken) }
