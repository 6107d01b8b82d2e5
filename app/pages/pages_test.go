package pages

import (
	"testing"

	"github.com/mitreden/mitreden/app/locale"
)

func TestLangAttrMarksFallbacks(t *testing.T) {
	text := locale.Text{"de": "Bildung", "en": "Education"}
	cases := map[string]string{
		"de": ``,
		"en": ``,
		"tr": ` lang="de"`,
		"ru": ` lang="de"`,
		"ar": ` lang="de" dir="ltr"`,
	}
	for code, want := range cases {
		if got := string(langAttr(text.In(code))); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	if got := string(langAttr(locale.Text{"de": "Bildung", "ar": "التعليم"}.In("ar"))); got != "" {
		t.Errorf("a translation is not marked: %q", got)
	}
}
