package screening

import (
	"slices"
	"testing"
)

func TestFind(t *testing.T) {
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
