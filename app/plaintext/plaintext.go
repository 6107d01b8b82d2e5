// Package plaintext holds the rules for text people type: valid UTF-8, no
// control characters but newline and tab, no U+FFFD (what a lone surrogate
// escape decodes to), trimmed, and counted in characters, not bytes.
// Contributions are stored as written and only ever shown escaped.
package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mitreden/mitreden/app/problem"
)

// Flaw returns the catalog key describing what is wrong with s, or "".
func Flaw(s string) string {
	if !utf8.ValidString(s) {
		return "error.text_utf8"
	}
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "error.text_replacement"
		case r == '\n' || r == '\t':
		case unicode.IsControl(r):
			return "error.text_control"
		}
	}
	return ""
}

// FromForm normalises what a browser sends from a textarea (CRLF line ends)
// to the newline the API expects.
func FromForm(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// Check trims s, checks it against the rules and its length in characters
// (min 0 means optional) and records any error for field. It answers the
// trimmed text.
func Check(v *problem.Validator, field, s string, min, max int) string {
	if key := Flaw(s); key != "" {
		v.Add(problem.Field(field, key))
		return s
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min > 0:
		v.Add(problem.Field(field, "error.required"))
	case n < min:
		v.Add(problem.FieldWith(field, "error.too_short", map[string]any{"Min": min}))
	case n > max:
		v.Add(problem.FieldWith(field, "error.too_long", map[string]any{"Max": max}))
	}
	return s
}
