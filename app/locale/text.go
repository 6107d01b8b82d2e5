package locale

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// Text is a text an administration writes, per language: {"de": "…", "en": "…"}.
// It is stored as a JSON object and read in the request's language.
type Text map[string]string

// Shown is a Text resolved for one language.
type Shown struct {
	Text string
	// Lang is the language Text is actually in.
	Lang string
	// Fallback is true when the asked-for language was missing and German
	// is shown instead; pages mark such text with lang="de".
	Fallback bool
	// Dir is set on a fallback whose direction differs from the asked-for
	// language's (German text on an Arabic page: "ltr"); pages then add
	// dir so the German text is not laid out right to left.
	Dir string
}

// In resolves t for code, falling back to German.
func (t Text) In(code string) Shown {
	if v := t[code]; v != "" {
		return Shown{Text: v, Lang: code}
	}
	s := Shown{Text: t[Default], Lang: Default, Fallback: code != Default}
	if s.Fallback && Direction(code) != Direction(Default) {
		s.Dir = Direction(Default)
	}
	return s
}

// rtlLanguages are the languages written right to left that mitreden has a
// catalog for or might get one for.
var rtlLanguages = map[string]bool{"ar": true, "fa": true, "he": true, "ur": true, "ps": true, "ckb": true}

// Direction answers "rtl" for a language written right to left, else "ltr".
func Direction(code string) string {
	if rtlLanguages[code] {
		return "rtl"
	}
	return "ltr"
}

// String resolves t for code as plain text.
func (t Text) String(code string) string { return t.In(code).Text }

// Value stores t as JSON.
func (t Text) Value() (driver.Value, error) {
	if t == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(t))
	return string(b), err
}

// Scan reads t from JSON.
func (t *Text) Scan(src any) error {
	m := map[string]string{}
	if err := ScanJSON(src, &m, "locale.Text"); err != nil {
		return err
	}
	*t = m
	return nil
}

// ScanJSON reads a column stored as JSON text (Text here, lists of keys
// elsewhere) into dst; NULL leaves dst as it is. name says whose column
// it was in errors.
func ScanJSON(src, dst any, name string) error {
	var raw []byte
	switch v := src.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	case nil:
		return nil
	default:
		return fmt.Errorf("%s: cannot scan %T", name, src)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Languages lists the languages t has text in, in switcher order.
func (t Text) Languages() []string {
	out := make([]string, 0, len(t))
	for code, v := range t {
		if v != "" {
			out = append(out, code)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return orderOf(a) - orderOf(b) })
	return out
}

// CheckText validates a translated text: German required (when min > 0),
// only supported languages, each value plain text of min..max characters.
// Empty translations other than German are dropped. It answers the cleaned text.
func (c *Catalog) CheckText(v *problem.Validator, field string, t Text, min, max int) Text {
	out := Text{}
	for code, s := range t {
		f := field + "." + code
		if !c.Supported(code) {
			v.Add(problem.Field(f, "error.unsupported_language"))
			continue
		}
		if code != Default && s == "" {
			continue
		}
		low := min
		if code != Default {
			low = max1(min)
		}
		if cleaned := plaintext.Check(v, f, s, low, max); cleaned != "" {
			out[code] = cleaned
		}
	}
	if min > 0 && t[Default] == "" && !v.Has(field+"."+Default) {
		v.Add(problem.Field(field+"."+Default, "error.german_required"))
	}
	return out
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
