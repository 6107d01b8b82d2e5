package screening

import (
	"context"
	"embed"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

//go:embed seeds/*.txt
var seeds embed.FS

// Limits of a screening list.
const (
	MaxTerms      = 2000
	MaxTermLength = 100
)

// Lists reads and changes the screening lists. Each list starts from a
// file in seeds/ and is kept in the database from the first start, so the
// city edits it in /admin without a release.
type Lists struct {
	st       *store.Store
	catalog  *locale.Catalog
	screener *Screener
}

// NewLists builds the service; screener is told when a list changes.
func NewLists(st *store.Store, catalog *locale.Catalog, screener *Screener) *Lists {
	return &Lists{st: st, catalog: catalog, screener: screener}
}

// ParseLines reads the text format of a list, as the seed files, the
// admin form and a text/plain PUT use it: one term a line; empty lines and
// lines starting with # do not count. lines holds each term's line number
// (from 1), so errors can point at it.
func ParseLines(text string) (terms []string, lines []int) {
	for i, line := range strings.Split(plaintext.FromForm(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		terms = append(terms, line)
		lines = append(lines, i+1)
	}
	return terms, lines
}

func seed(lang string) []string {
	data, err := seeds.ReadFile("seeds/" + lang + ".txt")
	if err != nil {
		return []string{}
	}
	terms, _ := ParseLines(string(data))
	return terms
}

// Terms answers a language's list, copying the seed file into the database
// the first time. An unsupported language is 404.
func (s *Lists) Terms(ctx context.Context, lang string) ([]string, error) {
	if !s.catalog.Supported(lang) {
		return nil, problem.NotFound()
	}
	terms, found, err := stored(ctx, s.st.DB, lang)
	if err != nil || found {
		return terms, err
	}
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if terms, found, err = stored(ctx, tx, lang); err != nil || found {
			return err
		}
		terms = seed(lang)
		return save(ctx, tx, lang, terms, 0)
	})
	return terms, err
}

func stored(ctx context.Context, db bun.IDB, lang string) ([]string, bool, error) {
	var raw string
	err := db.NewRaw("SELECT terms FROM screening_lists WHERE lang = ?", lang).Scan(ctx, &raw)
	if store.IsNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	terms := []string{}
	if err := json.Unmarshal([]byte(raw), &terms); err != nil {
		return nil, false, err
	}
	return terms, true, nil
}

func save(ctx context.Context, tx *store.Tx, lang string, terms []string, actorID int64) error {
	raw, err := json.Marshal(terms)
	if err != nil {
		return err
	}
	var by *int64
	if actorID != 0 {
		by = &actorID
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO screening_lists (lang, terms, updated_at, updated_by) VALUES (?, ?, ?, ?)
ON CONFLICT (lang) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		lang, string(raw), time.Now().UTC(), by)
	return err
}

// Check cleans a list: terms trimmed, exact duplicates (ignoring case)
// dropped; errors name terms[i].
func Check(terms []string) ([]string, error) {
	var v problem.Validator
	v.Check(len(terms) <= MaxTerms, "terms", "error.too_many")
	out := make([]string, 0, len(terms))
	seen := map[string]bool{}
	for i, t := range terms {
		f := "terms[" + strconv.Itoa(i) + "]"
		t = plaintext.Check(&v, f, t, 1, MaxTermLength)
		switch {
		case v.Has(f):
			continue
		case strings.ContainsAny(t, "\n\r"):
			v.Add(problem.Field(f, "error.screening_one_line"))
		case strings.HasPrefix(t, "#"):
			v.Add(problem.Field(f, "error.screening_comment"))
		case strings.Trim(t, "* \t") == "":
			v.Add(problem.Field(f, "error.screening_wildcard"))
		case !seen[strings.ToLower(t)]:
			seen[strings.ToLower(t)] = true
			out = append(out, t)
		}
	}
	return out, v.Err()
}

// SetTerms replaces a language's list, with an audit entry.
func (s *Lists) SetTerms(ctx context.Context, actorID int64, lang string, terms []string) ([]string, error) {
	if !s.catalog.Supported(lang) {
		return nil, problem.NotFound()
	}
	terms, err := Check(terms)
	if err != nil {
		return nil, err
	}
	before, err := s.Terms(ctx, lang)
	if err != nil {
		return nil, err
	}
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := save(ctx, tx, lang, terms, actorID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "screening.update", "screening_list", lang,
			map[string]any{"terms": before}, map[string]any{"terms": terms})
	})
	if err == nil && s.screener != nil {
		s.screener.Invalidate()
	}
	return terms, err
}

// SeedMissing copies the seed file of every supported language that has no
// list yet into the database, so screening works from the first start.
func (s *Lists) SeedMissing(ctx context.Context) error {
	for _, l := range s.catalog.Langs() {
		if _, err := s.Terms(ctx, l.Code); err != nil {
			return err
		}
	}
	return nil
}
