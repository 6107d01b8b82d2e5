package pages

import "testing"

// A sign-in form's next= leads to a page on this site, never elsewhere:
// browsers drop tabs and newlines from a URL and read a backslash as a
// slash, so each of these would leave the site.
func TestSafeNext(t *testing.T) {
	for target, safe := range map[string]bool{
		"/":                       true,
		"/c/wir2":                 true,
		"/m/1?lang=ar#comments":   true,
		"/me?next=//evil.example": true,
		"/%09/evil.example":       true, // still encoded: a path on this site
		"":                        false,
		"c/wir2":                  false,
		"https://evil.example":    false,
		"//evil.example":          false,
		"///evil.example":         false,
		"/\\evil.example":         false,
		"\\/evil.example":         false,
		"/\t/evil.example":        false,
		"/\n/evil.example":        false,
		"/\r/evil.example":        false,
		"/\x0b/evil.example":      false,
		"/\x00/evil.example":      false,
		"/ /evil.example":         false,
		"/\u00a0/evil.example":    false,
		"/\u2028/evil.example":    false,
		"/c/wir2\\..\\evil":       false,
		"/\x7f":                   false,
		"/\xff":                   false,
		" /c/wir2":                false,
		"javascript:alert(1)":     false,
		"/c/wir2?q=a b":           false,
	} {
		got := SafeNext(target, "/fallback")
		if want := map[bool]string{true: target, false: "/fallback"}[safe]; got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", target, got, want)
		}
	}
}
