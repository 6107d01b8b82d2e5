package locale_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/moderation"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/frontend"
	"github.com/mitreden/mitreden/i18n"
)

// rawCatalogs reads every catalog as plain TOML: key -> string, or key ->
// plural forms.
func rawCatalogs(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := fs.Glob(i18n.Files, "*.toml")
	if err != nil || len(files) < 2 {
		t.Fatalf("catalogs: %v %v", files, err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		data, _ := fs.ReadFile(i18n.Files, f)
		m := map[string]any{}
		if _, err := toml.Decode(string(data), &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(f, ".toml")] = m
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(v any) []string {
	var all []string
	switch x := v.(type) {
	case string:
		for _, m := range placeholder.FindAllStringSubmatch(x, -1) {
			all = append(all, m[1])
		}
	case map[string]any:
		for _, form := range x {
			all = append(all, placeholders(form)...)
		}
	}
	sort.Strings(all)
	return slices.Compact(all)
}

// Every catalog has exactly German's keys, no empty text, and the same
// placeholders as German.
func TestCatalogsAreComplete(t *testing.T) {
	cats := rawCatalogs(t)
	de := cats["de"]
	for lang, cat := range cats {
		for key, v := range de {
			other, ok := cat[key]
			if !ok {
				t.Errorf("%s.toml lacks %q", lang, key)
				continue
			}
			if slices.Compare(placeholders(v), placeholders(other)) != 0 {
				t.Errorf("%s.toml %q uses placeholders %v, German %v", lang, key, placeholders(other), placeholders(v))
			}
		}
		for key, v := range cat {
			if _, ok := de[key]; !ok {
				t.Errorf("%s.toml has %q, which German lacks", lang, key)
			}
			switch x := v.(type) {
			case string:
				if strings.TrimSpace(x) == "" {
					t.Errorf("%s.toml %q is empty", lang, key)
				}
			case map[string]any:
				if s, _ := x["other"].(string); strings.TrimSpace(s) == "" {
					t.Errorf("%s.toml %q has no 'other' plural form", lang, key)
				}
				for form, s := range x {
					if str, _ := s.(string); strings.TrimSpace(str) == "" {
						t.Errorf("%s.toml %q form %s is empty", lang, key, form)
					}
				}
			default:
				t.Errorf("%s.toml %q has an unexpected shape %T", lang, key, v)
			}
		}
	}
}

// usedKeys finds every message key the templates and the Go code use.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	// Any dotted lower-case string in a template is a message key (label
	// keys passed to .Input and .Field too); "phase." built with print is not.
	tmplKey := regexp.MustCompile(`"([a-z_]+(?:\.[a-z0-9_]+)+)"`)
	err := fs.WalkDir(frontend.Templates, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := fs.ReadFile(frontend.Templates, path)
		for _, m := range tmplKey.FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`"((?:error|flash)\.[a-z0-9_.]+)"|\bT\("([a-z0-9_.]+)"|[A-Z][a-z]*Key\s*[:=]\s*"([a-z_]+\.[a-z0-9_.]+)"`)
	for _, root := range []string{"../../app", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			data, _ := os.ReadFile(path)
			for _, m := range goKey.FindAllStringSubmatch(string(data), -1) {
				used[m[1]+m[2]+m[3]] = path
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Keys built from values at run time.
	add := func(prefix string, values ...string) {
		for _, v := range values {
			used[prefix+v] = "(built from " + prefix + ")"
		}
	}
	add("phase.", consultations.Phases...)
	add("moderation.", consultations.ModerationModes...)
	add("measure.status.", consultations.MeasureStatuses...)
	for _, r := range access.Roles {
		add("role.", string(r))
	}
	for _, page := range []string{"accessibility", "imprint", "privacy"} {
		add(page+".", "title", "body")
	}
	add("lang.", "name", "dir")
	for _, p := range []string{"label.email", "label.password", "label.display_name", "label.body", "label.title"} {
		used[p] = "(form error summaries)"
	}
	add("stance.", participation.Stances...)
	add("reason.", participation.Reasons...)
	add("triage.", "new", "in_review", "considered", "adopted", "not_pursued")
	add("kind.", "idea", "comment")
	add("status.", participation.StatusPending, participation.StatusPublished, participation.StatusRejected, participation.StatusHidden, participation.StatusWithdrawn)
	add("moderation.state.", moderation.States...)
	add("moderation.action.", moderation.Actions...)
	add("me.report_outcome.", moderation.Actions...)
	add("idea.status_note.", participation.StatusPending, participation.StatusRejected, participation.StatusHidden)
	add("format.", "date", "datetime")
	return used
}

func TestEveryUsedKeyIsDefined(t *testing.T) {
	cats := rawCatalogs(t)
	used := usedKeys(t)
	if len(used) < 50 {
		t.Fatalf("found only %d used keys: the scan is broken", len(used))
	}
	for key, where := range used {
		if _, ok := cats["de"][key]; !ok {
			t.Errorf("%s uses %q, which no catalog defines", where, key)
		}
	}
}

// The catalogs load, German comes first, and plurals follow CLDR.
func TestCatalogLoads(t *testing.T) {
	c, err := locale.Load(i18n.Files)
	if err != nil {
		t.Fatal(err)
	}
	if c.Langs()[0].Code != "de" || c.Langs()[0].Name != "Deutsch" {
		t.Fatalf("languages %+v", c.Langs())
	}
	en := c.Get("en")
	if got := en.T("field.measure_count", "Count", 1); got != "1 measure" {
		t.Errorf("one: %q", got)
	}
	if got := en.T("field.measure_count", "Count", 3); got != "3 measures" {
		t.Errorf("other: %q", got)
	}
	if got := c.Get("xx").Lang.Code; got != "de" {
		t.Errorf("unsupported falls back to %s", got)
	}
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key answers %q", got)
	}
	cases := []struct{ query, cookie, accept, want string }{
		{"en", "de", "de", "en"},
		{"", "en", "de", "en"},
		{"", "", "en-US,en;q=0.9", "en"},
		{"xx", "", "en", "en"},
		{"", "xx", "fr, en;q=0.5", "en"},
		{"", "", "fr", "de"},
		{"", "", "", "de"},
	}
	for _, k := range cases {
		if got := c.Negotiate(k.query, k.cookie, k.accept).Lang.Code; got != k.want {
			t.Errorf("Negotiate(%q,%q,%q) = %s, want %s", k.query, k.cookie, k.accept, got, k.want)
		}
	}
}
