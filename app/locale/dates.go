package locale

import (
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Dates and numbers per language.
//
// The catalogs give each language's date pattern in Go's layout syntax
// ("format.date", "format.datetime"). Go itself only knows English month
// names, so a layout that spells the month ("January") gets the month name
// from monthNames, in the form a date needs: Russian and Ukrainian use the
// genitive ("24 ноября 2026 г.", "24 листопада 2026 р."), Arabic the month
// names of CLDR's "ar" locale ("24 نوفمبر 2026").
//
// Digits are Western (0–9) in every language, Arabic included: that is
// common on German–Arabic civic sites, matches the digits the plural
// messages print ({{.Count}}) and keeps dates, counts and percentages in one
// script. Digit grouping still follows the language (1.234 / 1,234 / 1 234).

// monthNames lists January to December for languages whose date layout
// spells the month and whose names differ from Go's English ones.
var monthNames = map[string][12]string{
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"tr": {"Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
	"uk": {"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"},
}

// monthMark stands in for the month name while Go formats the rest of the
// layout; Go's layout parser leaves it alone.
const monthMark = "\x00"

// formatDate formats t by a Go layout, with the month spelled in code's language.
func formatDate(code, layout string, t time.Time) string {
	names, ok := monthNames[code]
	if !ok || !strings.Contains(layout, "January") {
		return t.Format(layout)
	}
	out := t.Format(strings.ReplaceAll(layout, "January", monthMark))
	return strings.ReplaceAll(out, monthMark, names[t.Month()-1])
}

// numberTag is the tag numbers are formatted with: the language's grouping,
// Western digits.
func numberTag(code string) language.Tag {
	if code == "ar" {
		return language.MustParse("ar-u-nu-latn")
	}
	return language.MustParse(code)
}
