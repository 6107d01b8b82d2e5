package plaintext

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/problem"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name, in, want, key string
		min, max            int
	}{
		{"plain", "  Hallo Welt ", "Hallo Welt", "", 1, 20},
		{"umlauts count as one", "Übergänge", "Übergänge", "", 1, 9},
		{"arabic", "مرحبا", "مرحبا", "", 1, 5},
		{"too long in characters", "Ääääää", "", "error.too_long", 1, 5},
		{"empty", "   ", "", "error.required", 1, 5},
		{"short", "ab", "", "error.too_short", 3, 5},
		{"optional empty", "", "", "", 0, 5},
		{"newline and tab", "a\n\tb", "a\n\tb", "", 1, 5},
		{"nul", "a\x00b", "", "error.text_control", 1, 5},
		{"carriage return", "a\rb", "", "error.text_control", 1, 5},
		{"invalid utf8", "a\xffb", "", "error.text_utf8", 1, 5},
		{"replacement char", "a\uFFFDb", "", "error.text_replacement", 1, 5},
		{"bidi control is not a C0/C1 control", "a\u202Eb", "a\u202Eb", "", 1, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v problem.Validator
			got := Check(&v, "body", c.in, c.min, c.max)
			err := v.Err()
			if c.key == "" {
				if err != nil || got != c.want {
					t.Fatalf("Check(%q) = %q, %v", c.in, got, err)
				}
				return
			}
			p, ok := err.(*problem.Problem)
			if !ok || len(p.Errors) != 1 || p.Errors[0].Key != c.key || p.Errors[0].Field != "body" {
				t.Fatalf("Check(%q): %v, want %s", c.in, err, c.key)
			}
		})
	}
	if FromForm("a\r\nb") != "a\nb" || strings.Contains(FromForm("x\r\n"), "\r") {
		t.Fatal("FromForm keeps CR")
	}
}
