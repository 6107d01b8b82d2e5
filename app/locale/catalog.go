// Package locale loads the message catalogs (one file per language in
// i18n/), picks each request's language, and holds the translated texts an
// administration writes (Text). Adding a language is adding a catalog file.
package locale

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Default is the language every text falls back to.
const Default = "de"

// preferredOrder is how the language switcher lists languages.
var preferredOrder = []string{"de", "en", "tr", "ar", "ru", "uk"}

// Lang describes one supported language.
type Lang struct {
	Code string // BCP 47, e.g. "de"
	Name string // the language named in itself, e.g. "Deutsch"
	Dir  string // "ltr" or "rtl"
}

// Catalog holds every language's messages. It is built once at start-up
// and only read afterwards.
type Catalog struct {
	bundle     *i18n.Bundle
	langs      []Lang
	localizers map[string]*Localizer
	matcher    language.Matcher
	keys       map[string][]string
}

// Load reads every *.toml catalog in fsys. German must be among them.
func Load(fsys fs.FS) (*Catalog, error) {
	bundle := i18n.NewBundle(language.German)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: bundle, localizers: map[string]*Localizer{}, keys: map[string][]string{}}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := bundle.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		code := strings.TrimSuffix(path.Base(name), ".toml")
		if mf.Tag.String() != code {
			return nil, fmt.Errorf("catalog %s: language tag %s does not match the file name", name, mf.Tag)
		}
		for _, m := range mf.Messages {
			c.keys[code] = append(c.keys[code], m.ID)
		}
		slices.Sort(c.keys[code])
		c.langs = append(c.langs, Lang{Code: code})
	}
	slices.SortFunc(c.langs, func(a, b Lang) int {
		return orderOf(a.Code) - orderOf(b.Code)
	})
	if len(c.langs) == 0 || c.langs[0].Code != Default {
		return nil, fmt.Errorf("catalogs: the German catalog (de.toml) is missing")
	}
	tags := make([]language.Tag, 0, len(c.langs))
	for i := range c.langs {
		l := &c.langs[i]
		tag := language.MustParse(l.Code)
		tags = append(tags, tag)
		loc := &Localizer{
			l:       i18n.NewLocalizer(bundle, l.Code),
			printer: message.NewPrinter(numberTag(l.Code)),
		}
		l.Name = loc.T("lang.name")
		l.Dir = loc.T("lang.dir")
		if l.Dir != "ltr" && l.Dir != "rtl" {
			return nil, fmt.Errorf("catalog %s: lang.dir must be ltr or rtl", l.Code)
		}
		if l.Dir != Direction(l.Code) {
			return nil, fmt.Errorf("catalog %s: lang.dir is %s, but the language is written %s", l.Code, l.Dir, Direction(l.Code))
		}
		loc.Lang = *l
		c.localizers[l.Code] = loc
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func orderOf(code string) int {
	if i := slices.Index(preferredOrder, code); i >= 0 {
		return i
	}
	return len(preferredOrder)
}

// Langs lists the supported languages in switcher order, German first.
func (c *Catalog) Langs() []Lang { return c.langs }

// Supported reports whether code is a language with a catalog.
func (c *Catalog) Supported(code string) bool {
	_, ok := c.localizers[code]
	return ok
}

// Keys lists the message IDs defined in a language's catalog.
func (c *Catalog) Keys(code string) []string { return c.keys[code] }

// Get returns the localizer for code, or German's when code is unsupported.
func (c *Catalog) Get(code string) *Localizer {
	if l, ok := c.localizers[code]; ok {
		return l
	}
	return c.localizers[Default]
}

// Negotiate picks a request's language: ?lang= beats the lang cookie, which
// beats Accept-Language; unsupported values are skipped; German is the rest.
func (c *Catalog) Negotiate(query, cookie, acceptLanguage string) *Localizer {
	for _, code := range []string{query, cookie} {
		if code = strings.ToLower(strings.TrimSpace(code)); c.Supported(code) {
			return c.localizers[code]
		}
	}
	if acceptLanguage != "" {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
			_, idx, conf := c.matcher.Match(tags...)
			if conf != language.No {
				return c.localizers[c.langs[idx].Code]
			}
		}
	}
	return c.localizers[Default]
}

const localsKey = "mitreden.locale"

// Set stores the request's localizer.
func Set(c *fiber.Ctx, l *Localizer) { c.Locals(localsKey, l) }

// From returns the request's localizer (set by the web middleware).
func From(c *fiber.Ctx) *Localizer {
	if l, ok := c.Locals(localsKey).(*Localizer); ok {
		return l
	}
	return nil
}
