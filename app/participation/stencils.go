package participation

import (
	"hash/fnv"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"github.com/mitreden/mitreden/app/pages"
)

// stencils are the forms a signed-in reader's discussion repeats under
// every comment (the report form) and every thread (the reply form),
// rendered once per language through their templates with placeholder
// values and filled in per comment. Rendering them through html/template
// for each of 50 threads with replies cost most of a signed-in reader's
// measure page (18,000 allocations, 5 ms); filling in a stencil is a
// string replacement. Forms that came back with errors are rendered
// through the templates as before.
type stencils struct {
	pages *pages.Renderer

	mu    sync.Mutex
	forms map[stencilKey]string
	heads map[uint64]string
}

type stencilKey struct {
	form, lang, path, moderation string
}

// The placeholders: letters and digits only, so the templates print them
// unchanged in every context they appear in.
const (
	placeholderCSRF = "zzCsrfPlaceholderzz"
	placeholderBack = "zzBackPlaceholderzz"
	placeholderPath = "/zzPathPlaceholderzz"
	placeholderID   = 987654321987654321
)

var placeholderIDText = strconv.FormatInt(placeholderID, 10)

// maxStencils bounds the forms kept (per language, item page and
// moderation mode for reply forms).
const maxStencils = 4096

func newStencils(r *pages.Renderer) *stencils {
	return &stencils{pages: r, forms: map[stencilKey]string{}, heads: map[uint64]string{}}
}

func (s *stencils) form(key stencilKey, render func() (string, error)) (string, error) {
	return remember(&s.mu, s.forms, maxStencils, key, render)
}

// remember answers m[key], rendering and keeping it the first time; a map
// that reaches limit starts over.
func remember[K comparable](mu *sync.Mutex, m map[K]string, limit int, key K, render func() (string, error)) (string, error) {
	mu.Lock()
	f, ok := m[key]
	mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := render()
	if err != nil {
		return "", err
	}
	mu.Lock()
	if len(m) >= limit {
		clear(m)
	}
	m[key] = f
	mu.Unlock()
	return f, nil
}

// placeholderView is v as the stencils see it: the placeholder token and
// no form state.
func placeholderView(v *pages.View) *pages.View {
	pv := *v
	pv.CSRF = placeholderCSRF
	pv.Form, pv.Errors = nil, nil
	return &pv
}

// usable reports whether the stencils apply to v: not while a form on
// the page came back with errors (those forms show what was typed).
func (s *stencils) usable(v *pages.View) bool {
	return v.Form == nil && v.Errors == nil
}

// ReportForm is the report form under comment id, for the "comment"
// template.
func (d *Discussion) ReportForm(v *pages.View, id int64) (template.HTML, error) {
	if !d.stencils.usable(v) {
		f, err := d.stencils.pages.Fragment("measure", "report-form", d.Report(v, "comment", id))
		return template.HTML(f), err
	}
	key := stencilKey{form: "report", lang: v.L.Lang.Code}
	f, err := d.stencils.form(key, func() (string, error) {
		return d.stencils.pages.Fragment("measure", "report-form", ReportForm{View: placeholderView(v), Kind: "comment", ID: placeholderID, Back: placeholderBack})
	})
	if err != nil {
		return "", err
	}
	back := d.Report(v, "comment", id).Back
	return template.HTML(strings.NewReplacer(
		placeholderCSRF, html.EscapeString(v.CSRF),
		placeholderIDText, strconv.FormatInt(id, 10),
		placeholderBack, html.EscapeString(back),
	).Replace(f)), nil
}

// ReplyForm is the reply form under thread parentID, for the
// "discussion" template.
func (d *Discussion) ReplyForm(v *pages.View, parentID int64) (template.HTML, error) {
	if !d.stencils.usable(v) {
		f, err := d.stencils.pages.Fragment("measure", "comment-form", d.Form(v, parentID))
		return template.HTML(f), err
	}
	key := stencilKey{form: "reply", lang: v.L.Lang.Code, path: d.Path, moderation: d.Moderation}
	f, err := d.stencils.form(key, func() (string, error) {
		pv := placeholderView(v)
		pd := *d
		pd.Path = placeholderPath
		data := *pv
		data.Data = &discussionOnly{Discussion: &pd}
		form := pd.Form(&data, placeholderID)
		return d.stencils.pages.Fragment("measure", "comment-form", form)
	})
	if err != nil {
		return "", err
	}
	return template.HTML(strings.NewReplacer(
		placeholderCSRF, html.EscapeString(v.CSRF),
		placeholderIDText, strconv.FormatInt(parentID, 10),
		placeholderPath, html.EscapeString(d.Path),
	).Replace(f)), nil
}

// discussionOnly is the page data the comment form reads: $v.Data.Discussion.
type discussionOnly struct {
	Discussion *Discussion
}

// maxHeads bounds the comment heads kept.
const maxHeads = 20_000

// Head is the part of a comment every reader who sees it sees alike
// (author and role, time, stance, state, text, the experts' answer),
// rendered once per comment, language and content: the key is a hash of
// everything the markup shows, so an edited or answered comment, a
// renamed, promoted or erased author or another language makes a new one
// and nothing needs to be invalidated.
func (d *Discussion) Head(v *pages.View, c *CommentRow) (template.HTML, error) {
	s := d.stencils
	render := func() (string, error) {
		return s.pages.Fragment("measure", "comment-head", CommentItem{View: v, Comment: c})
	}
	h := fnv.New64a()
	parts := []string{v.L.Lang.Code, strconv.FormatInt(c.ID, 10), c.AuthorName, strconv.FormatBool(c.AuthorDeleted), c.Shown.Role,
		c.Shown.ISO, c.Shown.When, c.Stance, c.Shown.Stance, c.Lang, c.Status, c.Body}
	if a := c.Shown.Answer; a != nil {
		parts = append(parts, a.Heading, a.Group.Text, a.Group.Lang, a.Group.Dir, a.State, a.Text)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	f, err := remember(&s.mu, s.heads, maxHeads, h.Sum64(), render)
	return template.HTML(f), err
}
