// Package screening flags contributions that contain a term from the
// screening word lists (one list per language, kept in the database and
// editable by admins). A flag puts the contribution into the moderators'
// "reported" queue, also under post-moderation; it never decides anything
// by itself.
//
// List format (the seed files, the admin form, a text/plain PUT): one term
// per line; blank lines and lines starting with # are ignored; see Compile
// for how a term matches.
package screening

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/store"
)

// Matcher finds listed terms in text.
type Matcher struct {
	terms    []string
	patterns []*regexp.Regexp
	// needles holds, per term, its longest literal piece in caseless form:
	// a term can only match a text that contains it. One alternation of
	// all terms was the first design; on a 20 KB comment it cost 35 ms,
	// while a substring search per term costs microseconds.
	needles []string
}

// Compile turns terms into a Matcher. Matching ignores case; a * stands for
// any characters but white space, a space for any run of white space; a
// term that starts or ends with a letter or digit only matches there at a
// word boundary, so "depp*" does not flag "Teppich".
func Compile(terms []string) *Matcher {
	m := &Matcher{}
	for _, t := range terms {
		folded := fold(t)
		re, err := regexp.Compile("(?i)" + pattern(folded))
		if err != nil || strings.Trim(t, "* ") == "" {
			continue
		}
		m.terms = append(m.terms, t)
		m.patterns = append(m.patterns, re)
		m.needles = append(m.needles, caseless(longestLiteral(folded)))
	}
	return m
}

// longestLiteral is the longest run of a term between its wildcards and
// spaces: every match of the term contains it.
func longestLiteral(term string) string {
	var longest string
	for _, piece := range strings.FieldsFunc(term, func(r rune) bool { return r == '*' || unicode.IsSpace(r) }) {
		if len(piece) > len(longest) {
			longest = piece
		}
	}
	return longest
}

// caseless maps every rune to one representative of its case-folding
// orbit (the smallest), so two strings that (?i) matching treats as equal
// become byte-equal and plain substring search can stand in for it.
func caseless(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

func pattern(t string) string {
	var b strings.Builder
	first, _ := utf8.DecodeRuneInString(t)
	last, _ := utf8.DecodeLastRuneInString(t)
	if isWordRune(first) {
		b.WriteString(`(?:^|[^\p{L}\p{N}])`)
	}
	for i, word := range strings.Fields(t) {
		if i > 0 {
			b.WriteString(`\s+`)
		}
		for j, part := range strings.Split(word, "*") {
			if j > 0 {
				b.WriteString(`\S*`)
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
	}
	if isWordRune(last) {
		b.WriteString(`(?:$|[^\p{L}\p{N}])`)
	}
	return b.String()
}

// fold evens out spelling variants that case-insensitive matching misses,
// in terms and texts alike: the four Turkish i's (I, i, İ, ı: Unicode's
// simple case folding pairs I with i only, so "IRKÇI" would miss "ırkçı"),
// and in Arabic the hamza forms of alef (أ إ آ ٱ → ا), alef maqsura
// (ى → ي), the short-vowel marks (tashkil) and the tatweel stretch (ـ),
// which writers use or leave out freely; and Russian ё, often written е.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == 'I' || r == 'İ' || r == 'ı':
			return 'i'
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			return 'ا'
		case r == 'ى':
			return 'ي'
		case r == 'ё' || r == 'Ё':
			return 'е'
		case r == 'ـ' || (r >= 0x064B && r <= 0x0652) || r == 0x0670:
			return -1
		}
		return r
	}, s)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// Find answers the terms found in texts, each once, in list order.
func (m *Matcher) Find(texts ...string) []string {
	if m == nil || len(m.patterns) == 0 {
		return nil
	}
	joined := fold(strings.Join(texts, "\n"))
	haystack := caseless(joined)
	var found []string
	for i, re := range m.patterns {
		if strings.Contains(haystack, m.needles[i]) && re.MatchString(joined) {
			found = append(found, m.terms[i])
		}
	}
	return found
}

// Screener keeps the compiled lists of all languages, read from the
// database and refreshed at most every few seconds, so an admin's change
// takes effect on every instance within that time.
type Screener struct {
	db     bun.IDB
	maxAge time.Duration

	mu      sync.Mutex
	matcher *Matcher
	loaded  time.Time
}

// NewScreener reads lists from db.
func NewScreener(db bun.IDB) *Screener { return &Screener{db: db, maxAge: 5 * time.Second} }

// Invalidate makes the next Find read the lists again.
func (s *Screener) Invalidate() {
	s.mu.Lock()
	s.loaded = time.Time{}
	s.mu.Unlock()
}

// Matcher answers the current matcher for all languages' lists together:
// a slur is a slur whatever language the surrounding text is in.
func (s *Screener) Matcher(ctx context.Context) (*Matcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.matcher != nil && time.Since(s.loaded) < s.maxAge {
		return s.matcher, nil
	}
	var lists []string
	if err := s.db.NewRaw("SELECT terms FROM screening_lists ORDER BY lang").Scan(ctx, &lists); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	var terms []string
	for _, l := range lists {
		var list []string
		if err := json.Unmarshal([]byte(l), &list); err != nil {
			return nil, err
		}
		terms = append(terms, list...)
	}
	s.matcher, s.loaded = Compile(terms), time.Now()
	return s.matcher, nil
}
