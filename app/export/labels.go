package export

import (
	"context"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
)

// pseudonyms names authors "Person 1", "Person 2", … in the order they
// first appear in one export. The numbers mean nothing outside that
// export: no account id, name or e-mail address ever reaches the file.
// Erased accounts are all "deleted account", as on the public pages.
type pseudonyms struct {
	l     *locale.Localizer
	names map[int64]string
	// erased are the accounts deleted by their owners; deleted names them.
	erased  map[int64]bool
	deleted string
}

// loadDeleted reads which accounts were erased, once per export, so the
// row queries need no join with users.
func (p *pseudonyms) loadDeleted(ctx context.Context, st *store.Store) error {
	var ids []int64
	if err := st.DB.NewRaw("SELECT id FROM users WHERE deleted_at IS NOT NULL").Scan(ctx, &ids); err != nil && !store.IsNoRows(err) {
		return err
	}
	for _, id := range ids {
		p.erased[id] = true
	}
	return nil
}

func newPseudonyms(l *locale.Localizer) *pseudonyms {
	return &pseudonyms{l: l, names: map[int64]string{}, erased: map[int64]bool{}, deleted: l.T("author.deleted")}
}

func (p *pseudonyms) of(userID int64) string {
	if p.erased[userID] {
		return p.deleted
	}
	if n, ok := p.names[userID]; ok {
		return n
	}
	n := p.l.T("export.person", "Number", len(p.names)+1)
	p.names[userID] = n
	return n
}

// labels are the texts an export shows for codes, looked up once: the
// catalog is far too slow to ask once per row.
type labels struct {
	l        *locale.Localizer
	triage   map[string]string
	stance   map[string]string
	status   map[string]string
	kind     map[string]string
	langs    map[string]string
	other    string
	total    string
	sections map[string]string
}

func newLabels(l *locale.Localizer) *labels {
	b := &labels{l: l, triage: map[string]string{}, stance: map[string]string{}, status: map[string]string{},
		kind: map[string]string{}, langs: map[string]string{}, sections: map[string]string{}}
	for _, s := range TriageStates {
		b.triage[s] = tr(l, "triage.", s)
	}
	for _, s := range StanceValues {
		b.stance[s] = tr(l, "stance.", s)
	}
	for _, s := range []string{"proposed", "in_discussion", "adopted", "rejected", "implemented"} {
		b.status[s] = tr(l, "measure.status.", s)
	}
	b.kind["measure"] = l.T("export.kind_measure")
	b.kind["idea"] = l.T("kind.idea")
	b.kind["comment"] = l.T("kind.comment")
	for _, s := range []string{"triage", "stance", "theme", "language", "day", "total"} {
		b.sections[s] = tr(l, "export.section_", s)
	}
	b.other = l.T("export.other")
	b.total = l.T("export.total")
	return b
}

// language names a language code in the export's language where the
// catalogs know it, else the code itself.
func (b *labels) language(code string) string {
	if n, ok := b.langs[code]; ok {
		return n
	}
	name := code
	if n := tr(b.l, "export.lang_", code); !strings.HasPrefix(n, "export.") {
		name = n
	}
	b.langs[code] = name
	return name
}

// history is a measure's history as one line of text, oldest first:
// "2026-03-01 Adopted: statement; …" (days in the city's time, as the
// export's dates).
func (b *labels) history(h []HistoryRow) string {
	parts := make([]string, 0, len(h))
	for _, e := range h {
		p := e.At.In(locale.CityTime()).Format(time.DateOnly) + " " + b.status[e.Status]
		if e.Statement != "" {
			p += ": " + strings.Join(strings.Fields(e.Statement), " ")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// refs names ideas (or a measure) as "12: Title; 15: Title".
func refs(list ...IdeaRef) string {
	parts := make([]string, 0, len(list))
	for _, r := range list {
		parts = append(parts, itoa(r.ID)+": "+r.Title)
	}
	return strings.Join(parts, "; ")
}

// ref names the measure an idea was taken up in, "" when none.
func ref(r *IdeaRef) string {
	if r == nil {
		return ""
	}
	return refs(*r)
}

// column headers, in the export's language.
func (b *labels) col(key string) string { return tr(b.l, "export.col_", key) }

// tr translates the key prefix+value (keys built at run time).
func tr(l *locale.Localizer, prefix, value string) string { return l.T(prefix + value) }
