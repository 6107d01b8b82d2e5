package openapi_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mitreden/mitreden/app/openapi"
)

// docs/api.html is the document as a page to read: generated from it,
// plain HTML with its style inline, no script and nothing fetched from
// elsewhere. Rewrite it after changing the document with
//
//	go test ./app/openapi -run TestRendering -update
var update = flag.Bool("update", false, "rewrite docs/api.html from app/openapi/openapi.json")

const renderedPath = "../../docs/api.html"

var (
	anchorID = regexp.MustCompile(` id="([^"]+)"`)
	link     = regexp.MustCompile(` href="#([^"]+)"`)
)

func TestRenderingIsCurrent(t *testing.T) {
	t.Parallel()
	page := render(load(t))
	for _, banned := range []string{"<script", "<link", "<iframe", "<img", "@import", "url("} {
		if strings.Contains(strings.ToLower(page), banned) {
			t.Errorf("the page contains %s: it must stand alone", banned)
		}
	}
	ids := map[string]bool{}
	for _, m := range anchorID.FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range link.FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("a link to #%s, which the page lacks", m[1])
		}
	}
	if *update {
		if err := os.WriteFile(renderedPath, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	current, err := os.ReadFile(renderedPath)
	if err != nil || string(current) != page {
		t.Errorf("docs/api.html is not the rendering of app/openapi/openapi.json: run go test ./app/openapi -run TestRendering -update")
	}
}

// methodOrder is the order operations of one path are listed in.
var methodOrder = []string{"GET", "PUT", "POST", "PATCH", "DELETE"}

type operation struct {
	method, path string
	op           *openapi3.Operation
	shared       openapi3.Parameters
}

// byTag groups the operations by their tag, each group ordered by path
// and method.
func byTag(doc *openapi3.T) map[string][]operation {
	out := map[string][]operation{}
	for _, path := range doc.Paths.Keys() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			out[op.Tags[0]] = append(out[op.Tags[0]], operation{method, path, op, item.Parameters})
		}
	}
	for _, ops := range out {
		sort.Slice(ops, func(i, j int) bool {
			if ops[i].path != ops[j].path {
				return ops[i].path < ops[j].path
			}
			return slices.Index(methodOrder, ops[i].method) < slices.Index(methodOrder, ops[j].method)
		})
	}
	return out
}

// page builds the rendering; esc is the only way text gets in.
type page struct{ strings.Builder }

func (p *page) f(format string, args ...any) { fmt.Fprintf(&p.Builder, format, args...) }

func esc(s string) string { return html.EscapeString(s) }

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

const style = `body{font:16px/1.5 system-ui,sans-serif;overflow-wrap:break-word;color:#1a1a1a;max-width:60rem;margin:0 auto;padding:1rem 1.5rem}
h1,h2,h3,h4{line-height:1.25}h2{border-bottom:2px solid #1a5fb4;padding-bottom:.25rem;margin-top:3rem}
article{border:1px solid #c8c8c8;border-radius:.4rem;padding:.25rem 1rem 1rem;margin:1.25rem 0}
code{font-family:ui-monospace,monospace;font-size:.95em;overflow-wrap:anywhere}.path{word-break:break-all}
.method{display:inline-block;min-width:4.5em;padding:.1em .4em;border-radius:.25em;color:#fff;background:#555;font:bold .85em ui-monospace,monospace;text-align:center}
.get{background:#1a5fb4}.post{background:#26734d}.put{background:#8a5a00}.patch{background:#6d3a9c}.delete{background:#a51d2d}
table{border-collapse:collapse;width:100%;margin:.5rem 0;display:block;overflow-x:auto}th,td{text-align:left;vertical-align:top;border-top:1px solid #ddd;padding:.3rem .5rem}
ul.schema{margin:.25rem 0;padding-left:1.25rem}.req{color:#a51d2d;font-size:.85em}.type{color:#444}
dt{font-weight:bold;margin-top:.75rem}dd{margin-left:1.5rem}a{color:#1a5fb4}`

func render(doc *openapi3.T) string {
	var p page
	p.f("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	p.f("<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", esc(doc.Info.Title), style)
	p.f("<header>\n<h1>%s</h1>\n<p>Version %s, OpenAPI %s. Generated from <code>app/openapi/openapi.json</code>, which the server answers at <code>GET /api/v1/openapi.json</code>.</p>\n",
		esc(doc.Info.Title), esc(doc.Info.Version), esc(doc.OpenAPI))
	p.f("<p>%s</p>\n<p>%s</p>\n</header>\n", esc(doc.Info.Summary), esc(doc.Info.Description))
	tags := byTag(doc)
	p.f("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n<li><a href=\"#authentication\">Authentication</a></li>\n")
	for _, tag := range doc.Tags {
		p.f("<li><a href=\"#tag-%s\">%s</a> (%d)</li>\n", slug(tag.Name), esc(tag.Name), len(tags[tag.Name]))
	}
	p.f("<li><a href=\"#responses\">Shared answers</a></li>\n<li><a href=\"#schemas\">Schemas</a></li>\n</ul>\n</nav>\n<main>\n")
	p.security(doc)
	for _, tag := range doc.Tags {
		p.f("<section id=\"tag-%s\">\n<h2>%s</h2>\n<p>%s</p>\n", slug(tag.Name), esc(tag.Name), esc(tag.Description))
		for _, o := range tags[tag.Name] {
			// One line an operation: the measure and idea operations
			// mirror each other, and the source stays short.
			var op page
			op.operation(doc, o)
			p.f("%s\n", strings.ReplaceAll(op.String(), "\n", ""))
		}
		p.f("</section>\n")
	}
	p.responses(doc)
	p.schemas(doc)
	p.f("</main>\n</body>\n</html>\n")
	return p.String()
}

func (p *page) security(doc *openapi3.T) {
	p.f("<section id=\"authentication\">\n<h2>Authentication</h2>\n<dl>\n")
	names := make([]string, 0, len(doc.Components.SecuritySchemes))
	for name := range doc.Components.SecuritySchemes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := doc.Components.SecuritySchemes[name].Value
		what := s.Type + " " + s.Scheme
		if s.Type == "apiKey" {
			what = s.In + " " + s.Name
		}
		p.f("<dt id=\"security-%s\">%s <span class=\"type\">(%s)</span></dt>\n<dd>%s</dd>\n", slug(name), esc(name), esc(what), esc(s.Description))
	}
	p.f("</dl>\n<p>Operations without their own note take <a href=\"#security-bearerauth\">bearerAuth</a>, or <a href=\"#security-sessioncookie\">sessionCookie</a> with <a href=\"#security-csrfheader\">csrfHeader</a>.</p>\n</section>\n")
}

// schemeOrder is the order credentials are named in.
var schemeOrder = []string{"bearerAuth", "sessionCookie", "csrfHeader", "tokenQuery"}

// who says which credentials an operation takes.
func who(doc *openapi3.T, op *openapi3.Operation) string {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		if len(req) == 0 {
			alts = append(alts, "no account")
			continue
		}
		var names []string
		for _, name := range schemeOrder {
			if _, ok := req[name]; ok {
				names = append(names, name)
			}
		}
		alts = append(alts, strings.Join(names, " + "))
	}
	return strings.Join(alts, ", or ")
}

func (p *page) operation(doc *openapi3.T, o operation) {
	op := o.op
	p.f("<article id=\"op-%s\"><h3><span class=\"method %s\">%s</span> <code class=\"path\">/api/v1%s</code></h3>\n",
		slug(op.OperationID), strings.ToLower(o.method), o.method, esc(o.path))
	p.f("<p><strong>%s</strong></p>\n", esc(op.Summary))
	if op.Description != "" {
		p.f("<p>%s</p>\n", esc(op.Description))
	}
	p.f("<p>Credentials: %s.</p>\n", esc(who(doc, op)))
	p.parameters(append(slices.Clone(o.shared), op.Parameters...))
	if body := op.RequestBody; body != nil {
		p.f("<h4>Request body</h4>")
		p.content(body.Value.Content)
		p.f("\n")
	}
	p.f("<h4>Answers</h4><dl>")
	statuses := op.Responses.Keys()
	sort.Strings(statuses) // "default" sorts after the numbers
	for _, status := range statuses {
		p.f("<dt>%s</dt><dd>", esc(status))
		if r := op.Responses.Value(status); r.Ref != "" {
			name := refName(r.Ref)
			p.f("<a href=\"#response-%s\">%s</a>", slug(name), esc(name))
		} else {
			p.response(r.Value)
		}
		p.f("</dd>")
	}
	p.f("</dl></article>\n")
}

// response writes an answer's description, headers and content.
func (p *page) response(r *openapi3.Response) {
	p.f("%s", esc(*r.Description))
	for _, name := range sortedKeys(r.Headers) {
		p.f("<br>Header <code>%s</code>: %s", esc(name), esc(r.Headers[name].Value.Description))
	}
	p.content(r.Content)
}

// responses lists the answers many operations share.
func (p *page) responses(doc *openapi3.T) {
	p.f("<section id=\"responses\">\n<h2>Shared answers</h2>\n<dl>\n")
	for _, name := range sortedKeys(doc.Components.Responses) {
		p.f("<dt id=\"response-%s\">%s</dt><dd>", slug(name), esc(name))
		p.response(doc.Components.Responses[name].Value)
		p.f("</dd>\n")
	}
	p.f("</dl>\n</section>\n")
}

func (p *page) parameters(params openapi3.Parameters) {
	if len(params) == 0 {
		return
	}
	p.f("<h4>Parameters</h4><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Description</th></tr></thead><tbody>")
	for _, ref := range params {
		param := ref.Value
		req := ""
		if param.Required {
			req = " <span class=\"req\">required</span>"
		}
		p.f("<tr><td><code>%s</code>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			esc(param.Name), req, esc(param.In), typeOf(param.Schema), esc(param.Description))
	}
	p.f("</tbody></table>\n")
}

func (p *page) content(content openapi3.Content) {
	for _, mt := range sortedKeys(content) {
		p.f("<div><code>%s</code>: ", esc(mt))
		p.schema(content[mt].Schema)
		p.f("</div>")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// schema writes a schema: a named one as a link to it among the schemas,
// an inline one with its fields.
func (p *page) schema(ref *openapi3.SchemaRef) {
	if ref == nil {
		return
	}
	p.f("%s", typeOf(ref))
	if ref.Ref == "" {
		p.fields(ref.Value)
	}
}

// typeOf is a schema's type in a few words, a named schema as a link.
func typeOf(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		name := refName(ref.Ref)
		return fmt.Sprintf("<a href=\"#schema-%s\">%s</a>", slug(name), esc(name))
	}
	s := ref.Value
	switch {
	case s.Const != nil:
		return "<code>" + esc(literal(s.Const)) + "</code>"
	case len(s.Enum) > 0:
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = "<code>" + esc(literal(v)) + "</code>"
		}
		return "one of " + strings.Join(vals, ", ")
	case len(s.AllOf) > 0:
		return combined("all of", s.AllOf)
	case len(s.AnyOf) > 0:
		return combined("any of", s.AnyOf)
	case len(s.OneOf) > 0:
		return combined("one of", s.OneOf)
	}
	return basicType(s)
}

func combined(word string, refs openapi3.SchemaRefs) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = typeOf(r)
	}
	return word + " " + strings.Join(parts, ", ")
}

func basicType(s *openapi3.Schema) string {
	types := []string{"any value"}
	if s.Type != nil && len(*s.Type) > 0 {
		types = s.Type.Slice()
	}
	for i, t := range types {
		switch {
		case t == "array" && s.Items != nil:
			types[i] = "array of " + typeOf(s.Items)
		case t == "object" && s.AdditionalProperties.Schema != nil:
			types[i] = "object of " + typeOf(s.AdditionalProperties.Schema)
			if s.PropertyNames != nil {
				types[i] += " by " + typeOf(s.PropertyNames)
			}
		case s.Format != "" && t != "null":
			types[i] = t + " (" + esc(s.Format) + ")"
		}
	}
	out := "<span class=\"type\">" + strings.Join(types, " or ") + "</span>"
	if s.Pattern != "" {
		out += " matching <code>" + esc(s.Pattern) + "</code>"
	}
	return out + limits(s)
}

func limits(s *openapi3.Schema) string {
	var l []string
	if s.MinLength > 0 {
		l = append(l, fmt.Sprintf("at least %d characters", s.MinLength))
	}
	if s.MaxLength != nil {
		l = append(l, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if s.Min != nil {
		l = append(l, fmt.Sprintf("from %v", *s.Min))
	}
	if s.Max != nil {
		l = append(l, fmt.Sprintf("up to %v", *s.Max))
	}
	if len(l) == 0 {
		return ""
	}
	return ", " + strings.Join(l, ", ")
}

func literal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// fields lists an object's properties, the required ones first, and the
// fields of an array's items or of an all-of.
func (p *page) fields(s *openapi3.Schema) {
	if s.Items != nil && s.Items.Ref == "" {
		p.fields(s.Items.Value)
	}
	for _, r := range s.AllOf {
		if r.Ref == "" {
			p.fields(r.Value)
		}
	}
	if len(s.Properties) == 0 {
		return
	}
	names := slices.Clone(s.Required)
	for _, name := range sortedKeys(s.Properties) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	p.f("<ul class=\"schema\">")
	for _, name := range names {
		prop, ok := s.Properties[name]
		if !ok {
			continue
		}
		req := ""
		if slices.Contains(s.Required, name) {
			req = " <span class=\"req\">required</span>"
		}
		p.f("<li><code>%s</code>%s: %s", esc(name), req, typeOf(prop))
		if d := prop.Value.Description; d != "" && (prop.Ref == "" || d != componentDescription(prop)) {
			p.f(" — %s", esc(d))
		}
		if prop.Ref == "" {
			p.fields(prop.Value)
		}
		p.f("</li>")
	}
	p.f("</ul>")
}

// componentDescription is what a named schema says of itself, which its
// own section shows: a property repeats only a description of its own.
func componentDescription(ref *openapi3.SchemaRef) string {
	return schemaDescriptions[refName(ref.Ref)]
}

// schemaDescriptions are the components' own descriptions, read from the
// document as written (a loaded $ref carries its siblings' description).
var schemaDescriptions = func() map[string]string {
	var raw struct {
		Components struct {
			Schemas map[string]struct {
				Description string `json:"description"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapi.Document, &raw); err != nil {
		panic(err)
	}
	out := map[string]string{}
	for name, s := range raw.Components.Schemas {
		out[name] = s.Description
	}
	return out
}()

func (p *page) schemas(doc *openapi3.T) {
	p.f("<section id=\"schemas\">\n<h2>Schemas</h2>\n")
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name].Value
		p.f("<article id=\"schema-%s\"><h3>%s</h3>\n", slug(name), esc(name))
		if s.Description != "" {
			p.f("<p>%s</p>\n", esc(s.Description))
		}
		p.f("<p>%s</p>", typeOf(&openapi3.SchemaRef{Value: s}))
		p.fields(s)
		p.f("</article>\n")
	}
	p.f("</section>\n")
}
