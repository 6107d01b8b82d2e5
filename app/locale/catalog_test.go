package locale_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/moderation"
	"github.com/mitreden/mitreden/app/notifications"
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
	for _, k := range notifications.Kinds {
		add("", notifications.KindKey(k), "label."+string(k))
	}
	for _, d := range notifications.Deliveries {
		add("notifications.delivery.", string(d))
	}
	add("notifications.decision.", moderation.Actions...)
	add("notifications.report_outcome.", moderation.Actions...)
	add("notifications.measure_status.", consultations.MeasureStatuses...)
	add("notifications.account.", "blocked", "unblocked", "password", "email")
	add("notifications.", "reply", "answer", "queue", "inbox")
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

// pluralForms are the CLDR cardinal categories a language needs for whole
// numbers, plus "other", which go-i18n always requires.
func pluralForms(t *testing.T, code string) map[string]bool {
	t.Helper()
	tag := language.MustParse(code)
	names := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}
	forms := map[string]bool{"other": true}
	for n := 0; n <= 1000; n++ {
		forms[names[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]] = true
	}
	return forms
}

// Every plural message has exactly the CLDR categories its language uses:
// Arabic zero/one/two/few/many/other, Russian and Ukrainian
// one/few/many/other, German, English and Turkish one/other. A missing
// category would make go-i18n fail for that count.
func TestPluralCategoriesFollowCLDR(t *testing.T) {
	want := map[string][]string{
		"de": {"one", "other"}, "en": {"one", "other"}, "tr": {"one", "other"},
		"ar": {"few", "many", "one", "other", "two", "zero"},
		"ru": {"few", "many", "one", "other"}, "uk": {"few", "many", "one", "other"},
	}
	for lang, cat := range rawCatalogs(t) {
		forms := pluralForms(t, lang)
		if w, ok := want[lang]; ok {
			var got []string
			for f := range forms {
				got = append(got, f)
			}
			sort.Strings(got)
			if slices.Compare(got, w) != 0 {
				t.Errorf("%s: CLDR says %v, expected %v", lang, got, w)
			}
		}
		for key, v := range cat {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for f := range forms {
				if _, ok := m[f]; !ok {
					t.Errorf("%s.toml %q lacks the plural form %s", lang, key, f)
				}
			}
			for f := range m {
				if !forms[f] {
					t.Errorf("%s.toml %q has the form %s, which %s does not use", lang, key, f, lang)
				}
			}
		}
	}
}

// Every language answers every count, and dates and numbers follow the
// language.
func TestLanguagesFormat(t *testing.T) {
	c, err := locale.Load(i18n.Files)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Langs()) != 6 {
		t.Fatalf("languages %+v", c.Langs())
	}
	names := map[string]string{"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية", "ru": "Русский", "uk": "Українська"}
	for i, code := range []string{"de", "en", "tr", "ar", "ru", "uk"} {
		l := c.Langs()[i]
		dir := "ltr"
		if code == "ar" {
			dir = "rtl"
		}
		if l.Code != code || l.Name != names[code] || l.Dir != dir {
			t.Errorf("language %d is %+v", i, l)
		}
	}
	for _, l := range c.Langs() {
		loc := c.Get(l.Code)
		for n := 0; n <= 120; n++ {
			for _, key := range []string{"field.measure_count", "moderation.reports", "tally.for"} {
				if got := loc.T(key, "Count", n); got == key || strings.Contains(got, "{{") {
					t.Errorf("%s %s %d: %q", l.Code, key, n, got)
				}
			}
		}
	}
	plurals := map[string]string{
		"ar/0": "لا توجد إجراءات", "ar/2": "إجراءان", "ar/3": "3 إجراءات", "ar/11": "11 إجراءً", "ar/100": "100 إجراء",
		"ru/1": "1 мера", "ru/3": "3 меры", "ru/5": "5 мер", "ru/21": "21 мера",
		"uk/1": "1 захід", "uk/4": "4 заходи", "uk/11": "11 заходів",
		"tr/2": "2 önlem",
	}
	for k, want := range plurals {
		code, n, _ := strings.Cut(k, "/")
		count, _ := strconv.Atoi(n)
		if got := c.Get(code).T("field.measure_count", "Count", count); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	day := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC) // 10:30 in Hannover
	dates := map[string]string{
		"de": "24.11.2026", "en": "24 November 2026", "tr": "24.11.2026",
		"ar": "24 نوفمبر 2026", "ru": "24 ноября 2026 г.", "uk": "24 листопада 2026 р.",
	}
	for code, want := range dates {
		if got := c.Get(code).Date(day); got != want {
			t.Errorf("%s date %q, want %q", code, got, want)
		}
		if got := c.Get(code).DateTime(day); !strings.HasPrefix(got, want) || !strings.Contains(got, "10:30") {
			t.Errorf("%s datetime %q", code, got)
		}
	}
	numbers := map[string]string{"de": "12.345", "en": "12,345", "ar": "12,345", "ru": "12\u00a0345"}
	for code, want := range numbers {
		if got := c.Get(code).Number(12345); got != want {
			t.Errorf("%s number %q, want %q", code, got, want)
		}
	}
	negotiate := []struct{ query, cookie, accept, want string }{
		{"ar", "", "", "ar"},
		{"", "uk", "ru", "uk"},
		{"", "", "tr-TR,tr;q=0.9,de;q=0.5", "tr"},
		{"", "", "ar-SY,ar;q=0.9", "ar"},
		{"", "", "uk-UA", "uk"},
		{"", "", "ru-RU,ru;q=0.9,en;q=0.8", "ru"},
	}
	for _, k := range negotiate {
		if got := c.Negotiate(k.query, k.cookie, k.accept).Lang.Code; got != k.want {
			t.Errorf("Negotiate(%q,%q,%q) = %s, want %s", k.query, k.cookie, k.accept, got, k.want)
		}
	}
}
