package accounts

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// reservedNames are words a resident may not be called: they would pass
// for the platform or its staff.
var reservedNames = []string{"admin", "administration", "administrator", "moderation", "moderator", "mitreden"}

// checkDisplayName is the one check of a display name, wherever one is set
// (registration, the command line, an administrator's rename): 1 to 60
// characters after trimming, at least one letter or digit, nothing
// invisible or line-breaking; and for a resident (role) no name that
// equals a reserved word or a staff member's name, ignoring case, spaces
// and compatibility forms. self is the account being renamed (0 for a new
// one), whose own name does not count against it. It records field errors
// in v and answers the trimmed name; the error is the database's.
func (s *Service) checkDisplayName(ctx context.Context, db bun.IDB, v *problem.Validator, name string, role access.Role, self int64) (string, error) {
	const field = "display_name"
	name = strings.TrimSpace(name)
	if key, args := displayNameFlaw(name); key != "" {
		v.Add(problem.FieldWith(field, key, args))
		return name, nil
	}
	if role != access.Resident {
		return name, nil
	}
	key := nameKey(name)
	for _, w := range reservedNames {
		if key == w {
			v.Add(problem.Field(field, "error.name_reserved"))
			return name, nil
		}
	}
	var staff []string
	if err := db.NewRaw("SELECT display_name FROM users WHERE role <> 'resident' AND deleted_at IS NULL AND id <> ?", self).Scan(ctx, &staff); err != nil {
		return name, err
	}
	for _, n := range staff {
		if nameKey(n) == key {
			v.Add(problem.Field(field, "error.name_staff"))
			break
		}
	}
	return name, nil
}

// displayNameFlaw is what is wrong with a trimmed name on its own, as a
// message key and its arguments, or "".
func displayNameFlaw(name string) (string, map[string]any) {
	if key := plaintext.Flaw(name); key != "" {
		return key, nil
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "error.required", nil
	case n > MaxDisplayName:
		return "error.too_long", map[string]any{"Max": MaxDisplayName}
	}
	alnum := false
	for _, r := range name {
		// Control characters (newline and tab too), format characters
		// (bidi controls, zero-width ones) and line or paragraph
		// separators hide or reorder what others read.
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "error.name_invisible", nil
		}
		alnum = alnum || unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	if !alnum {
		return "error.name_letter", nil
	}
	return "", nil
}

// nameKey is what two names are compared by: compatibility forms folded
// (NFKC: full-width letters, ligatures), case folded, spaces removed.
func nameKey(name string) string {
	folded := cases.Fold().String(norm.NFKC.String(name))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, norm.NFKC.String(folded))
}
