package accounts

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// commonPasswordList is zxcvbn's list of the most common passwords,
// lower-cased; commonpasswords.NOTICE says where it comes from and under
// which licence (MIT).
//
//go:embed commonpasswords.txt
var commonPasswordList []byte

// commonPasswords is the list as a set, built once (NewService asks for it
// at start, so no request pays for it).
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 50000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			set[w] = struct{}{}
		}
	}
	return set
})

// passwordOwner is what a password is checked against besides the list:
// the account's e-mail address and display name, and on a change the
// current password.
type passwordOwner struct {
	Email, DisplayName, Current string
}

// minContained is the length from which an e-mail's local part or a
// display name may not appear in a password: shorter ones ("Jo") are
// parts of too many good passwords.
const minContained = 4

// checkPassword records for field the first rule pw breaks; each rule has
// its own message, so people learn why.
func checkPassword(v *problem.Validator, field, pw string, owner passwordOwner) {
	if key, args := passwordFlaw(pw, owner); key != "" {
		v.Add(problem.FieldWith(field, key, args))
	}
}

func passwordFlaw(pw string, owner passwordOwner) (string, map[string]any) {
	n := utf8.RuneCountInString(pw)
	lower := strings.ToLower(pw)
	switch {
	case pw == "":
		return "error.required", nil
	case plaintext.Flaw(pw) != "":
		return plaintext.Flaw(pw), nil
	case n < MinPassword:
		return "error.too_short", map[string]any{"Min": MinPassword}
	case n > MaxPassword:
		return "error.too_long", map[string]any{"Max": MaxPassword}
	case oneCharacter(lower):
		return "error.password_repeated", nil
	case isCommonPassword(lower):
		return "error.password_common", nil
	case owner.Current != "" && pw == owner.Current:
		return "error.password_unchanged", nil
	case containsPart(lower, localPart(owner.Email)):
		return "error.password_contains_email", nil
	case containsPart(lower, strings.TrimSpace(owner.DisplayName)):
		return "error.password_contains_name", nil
	}
	return "", nil
}

// isCommonPassword reports whether lower (a lower-cased password) is on
// the list.
func isCommonPassword(lower string) bool {
	_, ok := commonPasswords()[lower]
	return ok
}

func oneCharacter(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// containsPart reports whether lower contains part, ignoring case, when
// part is long enough to count.
func containsPart(lower, part string) bool {
	return utf8.RuneCountInString(part) >= minContained && strings.Contains(lower, strings.ToLower(part))
}
