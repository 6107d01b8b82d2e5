// Package pages renders server-side HTML: every page is layout.html around
// one page template, in the request's language and direction, with the
// viewer, the CSRF token for forms and any one-time message.
package pages

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
)

// Renderer holds the parsed templates.
type Renderer struct {
	pages   map[string]*template.Template
	catalog *locale.Catalog
	buffers sync.Pool
	// live holds each language's texts for the live script.
	live map[string]template.JS
	// Cache, when set, keeps pages wrapped in Cached (and CachedPersonal).
	Cache *PageCache
	// Unread, when set, counts a signed-in reader's unread notifications
	// for the header.
	Unread func(ctx context.Context, userID int64) (int, error)
	// Identity, when set, answers the site's name, logo and theme.
	Identity func(ctx context.Context) (Identity, error)
}

// Templates are the parsed page templates, each layout.html with its
// partials around one page. Executing them is safe from many goroutines,
// so one set serves every Renderer of a process.
type Templates struct {
	pages map[string]*template.Template
	// live holds each language's texts for the live script. They are
	// built here, once per process like the templates, rather than per
	// Renderer: 200 plural lookups per text and language were 3.05 s of
	// the 61.4 s of CPU that app/accounts' tests took under -race, which
	// start a server per test (go test -race -cpuprofile, 7 December 2026).
	live map[string]template.JS
	// catalog is the languages the texts are in, which every Renderer of
	// these templates speaks.
	catalog *locale.Catalog
}

// Parse parses layout.html and every other template in fsys/templates,
// with the live script's texts in the languages of catalog.
func Parse(fsys fs.FS, catalog *locale.Catalog) (*Templates, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ts := &Templates{pages: map[string]*template.Template{}, catalog: catalog}
	if ts.live, err = liveMessages(catalog); err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		ts.pages[name] = t
	}
	return ts, nil
}

// New makes a Renderer of ts, in the languages ts was parsed with.
func New(ts *Templates) *Renderer {
	r := &Renderer{pages: ts.pages, catalog: ts.catalog, live: ts.live}
	r.buffers.New = func() any { return new(bytes.Buffer) }
	return r
}

var funcs = template.FuncMap{
	"langattr":   langAttr,
	"paragraphs": Paragraphs,
	"excerpt":    excerpt,
	"add":        func(a, b int) int { return a + b },
	"join":       func(sep string, items []string) string { return strings.Join(items, sep) },
	"rfc3339":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// dict and list pass several values to a shared partial
	// (partials/lists.html): {{template "more" (dict "Href" … "Text" …)}}.
	"dict": dict,
	"list": func(items ...string) []string { return items },
}

// dict makes a map of name, value pairs; an odd name is an error.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", pairs[i])
		}
		m[name] = pairs[i+1]
	}
	return m, nil
}

// excerpt shortens text to about n characters at a word boundary.
func excerpt(n int, s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + " …"
}

// langAttr marks text shown in another language than the page's (a
// missing translation shown in German) so screen readers switch voice,
// and gives it its own direction where that differs from the page's (German
// on an Arabic page is dir="ltr").
func langAttr(s locale.Shown) template.HTMLAttr {
	if !s.Fallback {
		return ""
	}
	attr := ` lang="` + template.HTMLEscapeString(s.Lang) + `"`
	if s.Dir != "" {
		attr += ` dir="` + template.HTMLEscapeString(s.Dir) + `"`
	}
	return template.HTMLAttr(attr)
}

// Paragraphs shows plain text with blank lines as paragraph breaks and
// single newlines as line breaks; everything is escaped.
func Paragraphs(s string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		lines := strings.Split(para, "\n")
		for i, line := range lines {
			lines[i] = template.HTMLEscapeString(line)
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	return template.HTML(b.String())
}

// Catalog returns the catalog pages are rendered with.
func (r *Renderer) Catalog() *locale.Catalog { return r.catalog }

// View is what every page template sees as its dot.
type View struct {
	L      *locale.Localizer
	Langs  []locale.Lang
	Viewer *access.Viewer
	// CSRF goes into every form as the _csrf field.
	CSRF string
	// Path is the request path, for the language switcher and login links.
	Path  string
	query url.Values
	Title string
	// Flash is a one-time message from the previous request.
	Flash     string
	FlashKind string
	// FlashPlace is the id of the element the flash is shown next to
	// ("" for the top of the page; see FlashAt).
	FlashPlace string
	// Form holds submitted values to fill in again; Errors the messages
	// per field, in the order they appear on the form.
	Form   map[string]string
	Errors []FieldMessage
	Data   any
	live   template.JS
	// unread is the header's badge of unread notifications (UnreadBadge).
	unread string
	site   Identity
	// Stencil is set while the page is rendered with markers for signed-in
	// readers (see personal.go): CSRF is then a marker, and the parts
	// that differ from reader to reader print their own.
	Stencil bool
}

// FieldMessage is one form error, linked to its input by Field.
type FieldMessage struct {
	Field string
	// Label names the field in the error summary; "" when unknown.
	Label   string
	Message string
}

// T translates a message key.
func (v *View) T(id string, args ...any) string { return v.L.T(id, args...) }

// Loc resolves a translated text for the page's language.
func (v *View) Loc(t locale.Text) locale.Shown { return t.In(v.L.Lang.Code) }

// Date and DateTime format times for the page's language.
func (v *View) Date(t time.Time) string     { return v.L.Date(t) }
func (v *View) DateTime(t time.Time) string { return v.L.DateTime(t) }

// Day formats a calendar day kept as YYYY-MM-DD (nil: ""); anything
// else is shown as it is.
func (v *View) Day(day *string) string {
	if day == nil {
		return ""
	}
	t, err := time.ParseInLocation(time.DateOnly, *day, locale.CityTime())
	if err != nil {
		return *day
	}
	return v.L.Date(t)
}

// BlockedUntil is the end of the reader's block while it lasts, for the
// banner every page shows; nil for everyone else.
func (v *View) BlockedUntil() *time.Time {
	if v.Viewer.Blocked(time.Now()) {
		return v.Viewer.BlockedUntil
	}
	return nil
}

// Number formats a count with the language's digit grouping.
func (v *View) Number(n int64) string { return v.L.Number(n) }

// LangURL is this page in another language.
func (v *View) LangURL(code string) string {
	q := url.Values{}
	for k, vals := range v.query {
		if k != "lang" && k != "token" {
			q[k] = vals
		}
	}
	q.Set("lang", code)
	return v.Path + "?" + q.Encode()
}

// ErrorFor returns the message for a form field, or "".
func (v *View) ErrorFor(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Value returns a submitted form value.
func (v *View) Value(field string) string { return v.Form[field] }

// Next is the way back the header's sign-in and register links carry:
// this page's path, or on the sign-in and register pages the way back
// they already carry; "" for the home page, where sign-in leads anyway.
func (v *View) Next() string {
	if v.Path == "/login" || v.Path == "/register" {
		return v.Value("next")
	}
	if next := SafeNext(v.Path, "/"); next != "/" {
		return next
	}
	return ""
}

const flashCookie = "mitreden_flash"

// NewView prepares the view for the current request.
func (r *Renderer) NewView(c *fiber.Ctx, title string) *View {
	l := locale.From(c)
	if l == nil {
		l = r.catalog.Get(locale.Default)
	}
	viewer := access.From(c)
	v := &View{
		L: l, Langs: r.catalog.Langs(), Viewer: viewer, CSRF: viewer.CSRFToken,
		Path: string(c.Request().URI().Path()), Title: title, live: r.live[l.Lang.Code],
		site: r.identity(c),
	}
	if Stenciling(c) {
		// The page is kept for every reader of this kind: it sees only
		// what makes the kind, never who the first such reader was.
		v.CSRF, v.Stencil = markCSRF, true
		v.Viewer = &access.Viewer{UserID: standInUserID, Role: viewer.Role, Groups: viewer.Groups}
	} else {
		v.unread = r.unreadBadge(c, viewer)
	}
	v.query, _ = url.ParseQuery(string(c.Request().URI().QueryString()))
	if raw := c.Cookies(flashCookie); raw != "" {
		kind, key, _ := strings.Cut(raw, ":")
		key, place, _ := strings.Cut(key, "@")
		if strings.HasPrefix(key, "flash.") {
			v.Flash, v.FlashKind = l.T(key), kind
			if plainID(place) {
				v.FlashPlace = place
			}
		}
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return v
}

// SetFormErrors turns a validation problem into messages beside the fields.
func (v *View) SetFormErrors(err error, form map[string]string) {
	v.Form = form
	p, ok := err.(*problem.Problem)
	if !ok {
		return
	}
	if len(p.Errors) == 0 {
		v.Errors = append(v.Errors, FieldMessage{Message: v.L.T(p.DetailKey, p.DetailArgs)})
	}
	for _, fe := range p.Errors {
		v.Errors = append(v.Errors, FieldMessage{Field: fe.Field, Label: v.labelOf(fe.Field), Message: v.L.T(fe.Key, fe.Args)})
	}
}

var indexes = regexp.MustCompile(`\[\d+\]`)

// labelOf names a field for the error summary, so a list of errors says
// which field each is about ("E-Mail address: please fill in …"): the
// catalog key "label.NAME", with the language for translated texts
// ("title.en" → "Title (English)"). Unknown fields answer "".
func (v *View) labelOf(field string) string {
	name := indexes.ReplaceAllString(field, "")
	base, lang, _ := strings.Cut(name, ".")
	key := "label." + base
	label := v.L.T(key)
	if label == key {
		return ""
	}
	for _, l := range v.Langs {
		if l.Code == lang {
			return label + " (" + l.Name + ")"
		}
	}
	return label
}

// Render writes the named page with status.
func (r *Renderer) Render(c *fiber.Ctx, status int, name string, v *View) error {
	t, ok := r.pages[name]
	if !ok {
		return problem.Internal(fmt.Errorf("no page template %q", name))
	}
	buf := r.buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.buffers.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return problem.Internal(fmt.Errorf("render %s: %w", name, err))
	}
	if orderErrors(v.Errors, buf.Bytes()) {
		// Only known once the fields are on the page: render it again
		// with the summary in their order.
		buf.Reset()
		if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
			return problem.Internal(fmt.Errorf("render %s: %w", name, err))
		}
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	if v.Viewer.SignedIn() {
		c.Set(fiber.HeaderCacheControl, "no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	// SetBody copies: c.Send would keep a reference to the pooled buffer,
	// which the next request reuses before fasthttp has written this one.
	c.Response().SetBody(buf.Bytes())
	return nil
}

// Fragment renders one named template of a page's set (a partial) on its
// own, for markup built once and reused.
func (r *Renderer) Fragment(page, name string, data any) (string, error) {
	t, ok := r.pages[page]
	if !ok {
		return "", fmt.Errorf("no page template %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	return b.String(), nil
}

// Flash leaves a one-time message (a catalog key starting with "flash.")
// for the next page the browser shows; kind is "ok" or "error".
func Flash(c *fiber.Ctx, kind, key string) {
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: kind + ":" + key, Path: "/", MaxAge: 60, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// SafeNext returns target when it is a path on this site, else fallback.
// It keeps a login form's ?next= from sending people elsewhere. Browsers
// drop tabs and newlines from a URL and read a backslash as a slash, so
// "/\t/evil.example" would lead to //evil.example: a target with a control
// character, white space or a backslash is refused, and it must start with
// exactly one slash.
func SafeNext(target, fallback string) string {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") ||
		strings.ContainsFunc(target, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) ||
		!utf8.ValidString(target) {
		return fallback
	}
	return target
}

// Redirect answers a form post with 303 See Other.
func Redirect(c *fiber.Ctx, to string) error {
	return c.Redirect(to, fiber.StatusSeeOther)
}

// unreadBadge is the header's count of the reader's unread notifications
// ("" for none, for anonymous readers, and when it cannot be read: a
// page is not refused for its header).
func (r *Renderer) unreadBadge(c *fiber.Ctx, v *access.Viewer) string {
	if r.Unread == nil || !v.SignedIn() {
		return ""
	}
	n, err := r.Unread(c.UserContext(), v.UserID)
	if err != nil || n == 0 {
		return ""
	}
	l := locale.From(c)
	if l == nil {
		l = r.catalog.Get(locale.Default)
	}
	return ` <span class="badge">` + html.EscapeString(l.T("notifications.unread", "Count", n)) + `</span>`
}

// UnreadBadge is the header's count of unread notifications; on a page
// kept for all signed-in readers, the marker each reader's count fills.
func (v *View) UnreadBadge() template.HTML {
	if v.Stencil {
		return template.HTML(markUnread)
	}
	return template.HTML(v.unread)
}
