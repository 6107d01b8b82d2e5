package accounts

import (
	"strings"
	"testing"
)

// The shipped list is large enough and holds the contract's examples.
func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	if n := len(commonPasswords()); n < 10000 {
		t.Fatalf("%d common passwords, want at least 10,000", n)
	}
	for _, pw := range []string{"1234567890", "password123", "qwertyuiop", "1q2w3e4r5t6y", "Password123"} {
		if !isCommonPassword(strings.ToLower(pw)) {
			t.Errorf("%q is not on the list", pw)
		}
	}
}

func TestPasswordFlaw(t *testing.T) {
	t.Parallel()
	owner := passwordOwner{Email: "lena.schulz@example.org", DisplayName: "Lena", Current: "the-old-one-42"}
	cases := []struct{ pw, key string }{
		{"", "error.required"},
		{"nine-char", "error.too_short"},
		{"zehn\x00zeich", "error.text_control"},
		{strings.Repeat("x", 1025), "error.too_long"},
		{"ääääääääää", "error.password_repeated"},
		{"QWERTYUIOP", "error.password_common"},
		{"the-old-one-42", "error.password_unchanged"},
		{"Lena.Schulz!2025", "error.password_contains_email"},
		{"i-am-LENA-1990", "error.password_contains_name"},
		{"pumpkin-lantern-42", ""},
		{"correct horse battery", ""},
	}
	for _, c := range cases {
		if key, _ := passwordFlaw(c.pw, owner); key != c.key {
			t.Errorf("%q: %q, want %q", c.pw, key, c.key)
		}
	}
	// Short names and local parts are no rule.
	if key, _ := passwordFlaw("jo-and-al-together", passwordOwner{Email: "jo@example.org", DisplayName: "Al"}); key != "" {
		t.Errorf("short name or local part refused: %s", key)
	}
}

func TestDisplayNameFlawAndKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, key string }{
		{"A", ""},
		{"Zoë", ""},
		{"٣", ""},
		{"", "error.required"},
		{strings.Repeat("ü", 61), "error.too_long"},
		{"...", "error.name_letter"},
		{"a\u202Eb", "error.name_invisible"},
		{"a\u200Bb", "error.name_invisible"},
		{"a\u2060b", "error.name_invisible"},
		{"a\u2028b", "error.name_invisible"},
		{"a\nb", "error.name_invisible"},
		{"a\xffb", "error.text_utf8"},
	}
	for _, c := range cases {
		if key, _ := displayNameFlaw(c.name); key != c.key {
			t.Errorf("%q: %q, want %q", c.name, key, c.key)
		}
	}
	for _, same := range [][2]string{{"Admin", "admin"}, {"ＡＤＭＩＮ", "admin"}, {"Mod Erator", "moderator"}, {"STRASSE", "straße"}} {
		if nameKey(same[0]) != nameKey(same[1]) {
			t.Errorf("%q and %q differ: %q %q", same[0], same[1], nameKey(same[0]), nameKey(same[1]))
		}
	}
	if nameKey("Admin Fan") == nameKey("admin") {
		t.Error("a longer name equals a reserved word")
	}
}
