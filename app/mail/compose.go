package mail

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Letter is a mail in words: catalog keys, rendered in the recipient's
// language as plain text and HTML. Every mail has one link, the one thing
// it asks the reader to do.
type Letter struct {
	UserID int64
	To     string
	// Lang is the recipient's language (German when unsupported).
	Lang string
	// Name greets the recipient; "" greets nobody by name.
	Name       string
	SubjectKey string
	// Before and After are the keys of the paragraphs around the link.
	Before, After []string
	// Items are paragraphs already in the recipient's language (a
	// digest's notifications), after Before.
	Items []string
	// Args fill the texts' placeholders.
	Args map[string]any
	// LinkKey labels Link, which is a path on the site ("/login") or a
	// path with a query.
	LinkKey string
	Link    string
	Headers map[string]string
}

// letterData is what the templates see.
type letterData struct {
	Lang, Dir, Subject, Greeting string
	Before, Items, After         []string
	LinkText, Link, Footer       string
}

var textLetter = texttemplate.Must(texttemplate.New("text").Parse(`{{with .Greeting}}{{.}}

{{end}}{{range .Before}}{{.}}

{{end}}{{range .Items}}{{.}}

{{end}}{{.LinkText}}:
{{.Link}}
{{range .After}}
{{.}}
{{end}}
-- 
{{.Footer}}
`))

// The HTML part is plain markup with inline styles (mail programs drop
// style sheets), its language and direction on the root element.
var htmlLetter = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a;max-width:36em;margin:0 auto;padding:1em">
{{- with .Greeting}}
<p>{{.}}</p>
{{- end}}
{{- range .Before}}
<p>{{.}}</p>
{{- end}}
{{- range .Items}}
<p>{{.}}</p>
{{- end}}
<p><a href="{{.Link}}" style="display:inline-block;padding:.6em 1.2em;background:#00507a;color:#fff;text-decoration:none;border-radius:4px">{{.LinkText}}</a></p>
<p style="font-size:.9em">{{.Link}}</p>
{{- range .After}}
<p>{{.}}</p>
{{- end}}
<hr style="border:0;border-top:1px solid #ccc">
<p style="font-size:.85em;color:#555">{{.Footer}}</p>
</body>
</html>
`))

// Compose renders l in its language.
func (s *Service) Compose(l Letter) (Message, error) {
	loc := s.catalog.Get(l.Lang)
	site := s.Site()
	args := map[string]any{"Site": site, "Name": l.Name}
	for k, v := range l.Args {
		args[k] = v
	}
	d := letterData{
		Lang: loc.Lang.Code, Dir: loc.Lang.Dir,
		Subject:  loc.T(l.SubjectKey, args),
		LinkText: loc.T(l.LinkKey, args),
		Link:     site + l.Link,
		Footer:   loc.T("mail.footer", args),
	}
	if l.Name != "" {
		d.Greeting = loc.T("mail.greeting", args)
	}
	for _, k := range l.Before {
		d.Before = append(d.Before, loc.T(k, args))
	}
	d.Items = l.Items
	for _, k := range l.After {
		d.After = append(d.After, loc.T(k, args))
	}
	var text, html bytes.Buffer
	if err := textLetter.Execute(&text, d); err != nil {
		return Message{}, err
	}
	if err := htmlLetter.Execute(&html, d); err != nil {
		return Message{}, err
	}
	return Message{
		UserID: l.UserID, To: l.To, Subject: strings.TrimSpace(d.Subject),
		Text: text.String(), HTML: html.String(), Headers: l.Headers,
	}, nil
}
