package pages

import (
	"encoding/json"
	"html/template"

	"github.com/mitreden/mitreden/app/locale"
)

// liveTexts are the catalog texts the live script shows, with the names of
// their placeholders.
var liveTexts = map[string][]string{
	"live.comment_published": nil,
	"live.idea_published":    {"Title"},
	"live.tally":             {"Tally"},
	"live.queue":             {"Pending", "Reported", "Appealed"},
	"live.inbox":             {"New", "InReview"},
	"live.new_item":          nil,
	"live.reload":            nil,
	"tally.approval":         {"Percent"},
	"kind.idea":              nil,
	"kind.comment":           nil,
}

// livePlurals are the texts with a count the live script shows.
var livePlurals = []string{"tally.for", "tally.against", "tally.neutral", "measure.comment_count"}

// liveMessages builds, per language, the JSON the live script reads its
// texts from (the #live-messages block of pages with live parts).
func liveMessages(catalog *locale.Catalog) (map[string]template.JS, error) {
	out := map[string]template.JS{}
	for _, lang := range catalog.Langs() {
		l := catalog.Get(lang.Code)
		m := map[string]any{}
		for id, names := range liveTexts {
			m[id] = l.Pattern(id, names...)
		}
		for _, id := range livePlurals {
			texts, index := l.PluralPatterns(id)
			m[id] = map[string]any{"t": texts, "i": index}
		}
		data, err := json.Marshal(map[string]any{"lang": lang.Code, "m": m})
		if err != nil {
			return nil, err
		}
		// encoding/json escapes <, > and &: safe inside a script element.
		out[lang.Code] = template.JS(data)
	}
	return out, nil
}

// LiveMessages is the JSON of texts for the live script, in the page's language.
func (v *View) LiveMessages() template.JS { return v.live }
