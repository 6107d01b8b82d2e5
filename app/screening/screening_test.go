package screening

import (
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	t.Parallel()
	terms, _ := ParseLines("# comment\n\nIdiot\nhetz*\n*müll\nspam.com\n")
	m := Compile(terms)
	cases := []struct {
		text string
		want []string
	}{
		{"Du bist ein IDIOT!", []string{"Idiot"}},
		{"Idioten", nil},
		{"Das ist Hetze gegen alle.", []string{"hetz*"}},
		{"Sondermüll und Hetzer", []string{"hetz*", "*müll"}},
		{"besuche spam.com jetzt", []string{"spam.com"}},
		{"spamXcom", nil},
		{"ganz harmlos", nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := m.Find(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Find(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	if got := (&Matcher{}).Find("Idiot"); got != nil {
		t.Errorf("empty matcher found %v", got)
	}
}

// Spelling variants match: the Turkish i's, Arabic alef forms and short
// vowels, Russian ё.
func TestFindFoldsVariants(t *testing.T) {
	t.Parallel()
	m := Compile([]string{"ırkçı*", "şerefsiz*", "*احمق*", "пошел вон"})
	cases := map[string][]string{
		"IRKÇILAR":            {"ırkçı*"},
		"Sen bir ŞEREFSİZSİN": {"şerefsiz*"},
		"şerefsiz":            {"şerefsiz*"},
		"يا أحمق":             {"*احمق*"},
		"الأَحْمَق":           {"*احمق*"},
		"Пошёл вон!":          {"пошел вон"},
		"Irak ve İran":        nil,
	}
	for text, want := range cases {
		if got := m.Find(text); !slices.Equal(got, want) {
			t.Errorf("Find(%q) = %v, want %v", text, got, want)
		}
	}
}

// Every language's seed list parses, compiles every term, and flags a
// typical insult and a typical spam line.
func TestSeedLists(t *testing.T) {
	t.Parallel()
	samples := map[string][]string{
		"de": {"Du Vollidiot", "Jetzt kaufen!"},
		"en": {"what an idiot", "free money here"},
		"tr": {"Sen tam bir SALAKSIN", "Kolay para kazanın"},
		"ar": {"أنت غبي", "ربح سريع"},
		"ru": {"Ты идиот", "Бесплатные деньги"},
		"uk": {"Ти ідіот", "Безкоштовні гроші"},
	}
	for lang, texts := range samples {
		terms := seed(lang)
		if len(terms) < 10 {
			t.Errorf("%s: only %d seed terms", lang, len(terms))
		}
		m := Compile(terms)
		if len(m.terms) != len(terms) {
			t.Errorf("%s: %d of %d terms compile", lang, len(m.terms), len(terms))
		}
		for _, text := range texts {
			if m.Find(text) == nil {
				t.Errorf("%s: %q is not flagged", lang, text)
			}
		}
		if got := m.Find("Hannover ist eine offene Stadt. Hannover is an open city."); got != nil {
			t.Errorf("%s flags a harmless text: %v", lang, got)
		}
	}
}

// The substring prefilter never hides a match: on texts built from pieces
// of every seed term, with case and spelling variants, Find answers
// exactly what each term's own pattern answers.
func TestPrefilterMissesNothing(t *testing.T) {
	t.Parallel()
	var terms []string
	for _, lang := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
		terms = append(terms, seed(lang)...)
	}
	terms = append(terms, "ſtraße*", "KELVIN", "*ﬁx")
	m := Compile(terms)
	variants := []func(string) string{
		func(s string) string { return s },
		strings.ToUpper,
		strings.ToTitle,
		func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "*", "x"), " ", "\n\t ") },
		func(s string) string { return "vor" + strings.ReplaceAll(s, "*", "") + "nach" },
		func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "i", "İ"), "s", "ſ") },
		func(s string) string { return strings.ReplaceAll(s, "k", "\u212a") }, // Kelvin sign
	}
	checked := 0
	for _, term := range terms {
		for _, variant := range variants {
			text := "Ein Satz, dann " + variant(term) + "; und weiter."
			var want []string
			joined := fold(text)
			for i, re := range m.patterns {
				if re.MatchString(joined) {
					want = append(want, m.terms[i])
				}
			}
			if got := m.Find(text); !slices.Equal(got, want) {
				t.Errorf("Find(%q) = %v, the patterns say %v", text, got, want)
			}
			checked += len(want)
		}
	}
	if checked < len(terms) {
		t.Fatalf("only %d matches among %d terms: the texts do not exercise the matcher", checked, len(terms))
	}
}

// go test -run '^$' -bench Find ./app/screening/
func BenchmarkFind(b *testing.B) {
	var terms []string
	for _, lang := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
		terms = append(terms, seed(lang)...)
	}
	m := Compile(terms)
	texts := map[string]string{
		"short":       "Ich finde die Idee gut, aber die Elternabende sollten auch am Wochenende stattfinden.",
		"4KB-mixed":   strings.Repeat("Mehrsprachige Elternabende – çok dilli veli toplantıları – родительские собрания – اجتماعات أولياء الأمور. ", 40),
		"20KB-emoji":  strings.Repeat("😀", 5000),
		"20KB-german": strings.Repeat("Die Verwaltung soll interkulturell offener werden und Beratung mehrsprachig anbieten. ", 240),
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				m.Find(text)
			}
		})
	}
}
