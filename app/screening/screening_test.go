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
