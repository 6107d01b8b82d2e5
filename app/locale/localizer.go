package locale

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/message"
)

// Localizer speaks one language.
type Localizer struct {
	Lang    Lang
	l       *i18n.Localizer
	printer *message.Printer
	// plain remembers messages without arguments: a page asks for the
	// same few dozen labels over and over, and go-i18n resolves each
	// request from scratch (about a microsecond and several allocations).
	plain sync.Map // message id → string
}

// T translates the message id. args are either one map[string]any or
// alternating names and values; a "Count" argument chooses the plural form
// by the language's CLDR rules. A missing message answers its id, so a
// page never fails over a missing translation (the catalog test catches it).
func (l *Localizer) T(id string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.plain.Load(id); ok {
			return s.(string)
		}
		s := l.localize(id, nil)
		if s != id { // only known ids: unknown ones must not grow the map
			l.plain.Store(id, s)
		}
		return s
	}
	return l.localize(id, args)
}

func (l *Localizer) localize(id string, args []any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	data := argsMap(args)
	if data != nil {
		cfg.TemplateData = data
		if n, ok := data["Count"]; ok {
			cfg.PluralCount = n
		}
	}
	s, err := l.l.Localize(cfg)
	if err != nil || s == "" {
		return id
	}
	return s
}

func argsMap(args []any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	if m, ok := args[0].(map[string]any); ok && len(args) == 1 {
		return m
	}
	m := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

// Number formats n with the language's digit grouping (Western digits
// everywhere, see dates.go).
func (l *Localizer) Number(n int64) string { return l.printer.Sprintf("%d", n) }

// Date formats t (shown in Europe/Berlin, the city's time) by the
// language's date pattern from the catalog.
func (l *Localizer) Date(t time.Time) string {
	return formatDate(l.Lang.Code, l.T("format.date"), t.In(cityTime))
}

// DateTime formats t with date and time.
func (l *Localizer) DateTime(t time.Time) string {
	return formatDate(l.Lang.Code, l.T("format.datetime"), t.In(cityTime))
}

// CityTime is the time zone dates are shown and read in: the city's.
func CityTime() *time.Location { return cityTime }

var cityTime = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return loc
	}
	return time.UTC
}()

// Pattern renders message id with every placeholder {{.Name}} shown as
// {Name}, for scripts that fill in values themselves.
func (l *Localizer) Pattern(id string, names ...string) string {
	data := make(map[string]any, len(names))
	for _, n := range names {
		data[n] = "{" + n + "}"
	}
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || s == "" {
		return id
	}
	return s
}

// PluralPatterns renders a message with a Count for scripts that must
// choose its plural form the way the server does: texts are the distinct
// forms with {Count} for the number, and index has one digit per count
// 0..199 naming the text that count takes. A count n ≥ 200 takes the
// form of 100 + n%100 (the CLDR rules of our languages look at most at
// n%100 once n is past 100).
func (l *Localizer) PluralPatterns(id string) (texts []string, index string) {
	var b strings.Builder
	for n := range 200 {
		s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: map[string]any{"Count": "{Count}"}, PluralCount: n})
		if err != nil || s == "" {
			s = id
		}
		i := slices.Index(texts, s)
		if i < 0 {
			texts = append(texts, s)
			i = len(texts) - 1
		}
		b.WriteByte(byte('0' + i))
	}
	return texts, b.String()
}
