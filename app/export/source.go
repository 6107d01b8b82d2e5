package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
)

// pageSize is how many ideas or comments one query reads.
const pageSize = 1000

// source reads one export's rows from the database.
type source struct {
	st     *store.Store
	scope  Scope
	l      *locale.Localizer
	fields string // "(1,2,3)": ids from the database, never user input
	// visible is the condition on comments c that are public: published,
	// and about a measure or a published idea.
	visible  string
	titles   map[int64]string // field id → title
	measures map[int64]string // measure id → title
	themes   themeTitles
	people   *pseudonyms
	labels   *labels
}

func newSource(st *store.Store, scope Scope, l *locale.Localizer) *source {
	ids := make([]string, 0, len(scope.FieldIDs))
	for _, id := range scope.FieldIDs {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	if len(ids) == 0 {
		ids = append(ids, "0")
	}
	fields := "(" + strings.Join(ids, ",") + ")"
	return &source{
		st: st, scope: scope, l: l, fields: fields,
		visible: "c.status = 'published' AND c.field_id IN " + fields +
			" AND (c.target_kind = 'measure' OR EXISTS (SELECT 1 FROM ideas ti WHERE ti.id = c.target_id AND ti.status = 'published'))",
		titles: map[int64]string{}, measures: map[int64]string{}, themes: themeTitles{},
		people: newPseudonyms(l), labels: newLabels(l),
	}
}

// dayExpr is the UTC calendar day of a timestamp column, as YYYY-MM-DD.
func (s *source) dayExpr(col string) string {
	if s.st.Driver == config.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

func (s *source) text(raw string) string {
	var t locale.Text
	if err := t.Scan(raw); err != nil {
		return ""
	}
	return t.String(s.l.Lang.Code)
}

func keys(raw string) []string {
	out := []string{}
	_ = json.Unmarshal([]byte(raw), &out)
	return out
}

// summary reads the aggregates: fields, measures with tallies and
// comment counts, and the breakdowns.
func (s *source) summary(ctx context.Context) (*Summary, error) {
	sum := &Summary{Scope: s.scope, GeneratedAt: time.Now().UTC().Truncate(time.Second), Lang: s.l.Lang.Code}
	if err := s.people.loadDeleted(ctx, s.st); err != nil {
		return nil, err
	}
	if err := s.readFields(ctx, sum); err != nil {
		return nil, err
	}
	if err := s.readMeasures(ctx, sum); err != nil {
		return nil, err
	}
	steps := []func(context.Context, *Summary) error{s.readTriage, s.readStances, s.readLanguages, s.readThemes, s.readDays, s.readTotals}
	for _, step := range steps {
		if err := step(ctx, sum); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

func (s *source) readFields(ctx context.Context, sum *Summary) error {
	rows, err := s.st.Query(ctx, `SELECT f.id, f.title, c.title FROM fields f JOIN consultations c ON c.id = f.consultation_id
WHERE f.id IN `+s.fields+` ORDER BY c.id, f.position, f.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f            FieldInfo
			title, ctext string
		)
		if err := rows.Scan(&f.ID, &title, &ctext); err != nil {
			return err
		}
		f.Title, f.Consultation = s.text(title), s.text(ctext)
		s.titles[f.ID] = f.Title
		sum.Fields = append(sum.Fields, f)
	}
	return rows.Err()
}

func (s *source) readMeasures(ctx context.Context, sum *Summary) error {
	rows, err := s.st.Query(ctx, `SELECT m.id, m.field_id, m.title, m.status, m.themes,
  COALESCE(t.votes_for, 0), COALESCE(t.votes_against, 0), COALESCE(t.votes_neutral, 0)
FROM measures m LEFT JOIN tallies t ON t.target_kind = 'measure' AND t.target_id = m.id
WHERE m.field_id IN `+s.fields+` ORDER BY m.field_id, m.id`)
	if err != nil {
		return err
	}
	index := map[int64]int{}
	for rows.Next() {
		var (
			m             MeasureRow
			title, themes string
		)
		if err := rows.Scan(&m.ID, &m.FieldID, &title, &m.Status, &themes, &m.Tally.For, &m.Tally.Against, &m.Tally.Neutral); err != nil {
			rows.Close()
			return err
		}
		m.Title, m.Themes, m.Field = s.text(title), keys(themes), s.titles[m.FieldID]
		s.measures[m.ID] = m.Title
		index[m.ID] = len(sum.Measures)
		sum.Measures = append(sum.Measures, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Measures are always public, so every published comment on one counts.
	rows, err = s.st.Query(ctx, `SELECT c.target_id, c.stance, COUNT(*) FROM comments c
WHERE c.status = 'published' AND c.target_kind = 'measure' AND c.field_id IN `+s.fields+` GROUP BY c.target_id, c.stance`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id     int64
			stance string
			n      int64
		)
		if err := rows.Scan(&id, &stance, &n); err != nil {
			return err
		}
		i, ok := index[id]
		if !ok {
			continue
		}
		switch stance {
		case "pro":
			sum.Measures[i].Comments.Pro = n
		case "contra":
			sum.Measures[i].Comments.Contra = n
		default:
			sum.Measures[i].Comments.Neutral = n
		}
	}
	return rows.Err()
}

// countBy runs a "key, count" query into a map.
func (s *source) countBy(ctx context.Context, query string, args ...any) (map[string]int64, error) {
	rows, err := s.st.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			k string
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] += n
	}
	return out, rows.Err()
}

const publishedIdeas = "i.status = 'published' AND i.field_id IN "

// TriageStates are the states an expert group moves ideas and comments through.
var TriageStates = []string{"new", "in_review", "considered", "adopted", "not_pursued"}

// StanceValues are the stances of comments.
var StanceValues = []string{"pro", "contra", "neutral"}

func (s *source) readTriage(ctx context.Context, sum *Summary) error {
	ideas, err := s.countBy(ctx, "SELECT i.triage_state, COUNT(*) FROM ideas i WHERE "+publishedIdeas+s.fields+" GROUP BY i.triage_state")
	if err != nil {
		return err
	}
	comments, err := s.countBy(ctx, "SELECT c.triage_state, COUNT(*) FROM comments c WHERE "+s.visible+" GROUP BY c.triage_state")
	if err != nil {
		return err
	}
	for _, st := range TriageStates {
		sum.Triage = append(sum.Triage, CountRow{Section: "triage", Key: st, Label: s.labels.triage[st], Ideas: ideas[st], Comments: comments[st]})
	}
	return nil
}

func (s *source) readStances(ctx context.Context, sum *Summary) error {
	comments, err := s.countBy(ctx, "SELECT c.stance, COUNT(*) FROM comments c WHERE "+s.visible+" GROUP BY c.stance")
	if err != nil {
		return err
	}
	for _, st := range StanceValues {
		sum.Stances = append(sum.Stances, CountRow{Section: "stance", Key: st, Label: s.labels.stance[st], Comments: comments[st]})
	}
	return nil
}

// group is one candidate row of a breakdown before small groups are merged.
type group struct {
	key, label       string
	ideas, comments  int64
	votes            int64
	people           int64
	condIdea, condCm string // conditions on ideas i and comments c
	args             []any  // of condIdea, then of condCm
}

// merge folds groups of fewer than MinGroup people into one "other" row.
// When "other" itself would stand for fewer than MinGroup people, the
// next smallest group joins it, so no row of the breakdown (including
// "other") can single anyone out. count answers the counts of a union of
// groups; people are counted distinct across the union.
func merge(groups []group, count func([]group) (group, error)) ([]group, error) {
	var keep, small []group
	for _, g := range groups {
		if g.people >= MinGroup {
			keep = append(keep, g)
		} else if g.people > 0 {
			small = append(small, g)
		}
	}
	if len(small) == 0 {
		return keep, nil
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].people > keep[j].people })
	for {
		other, err := count(small)
		if err != nil {
			return nil, err
		}
		if other.people >= MinGroup || len(keep) == 0 {
			return append(keep, other), nil
		}
		small = append(small, keep[len(keep)-1])
		keep = keep[:len(keep)-1]
	}
}

func (s *source) peopleOf(ctx context.Context, gs []group) (int64, error) {
	_, _, n, err := s.count(ctx, gs)
	return n, err
}

func (s *source) countGroups(ctx context.Context, gs []group) (group, error) {
	out := group{key: OtherKey, label: s.labels.other}
	for _, g := range gs {
		out.ideas += g.ideas
		out.comments += g.comments
		out.votes += g.votes
	}
	n, err := s.peopleOf(ctx, gs)
	out.people = n
	return out, err
}

func rowsOf(section string, gs []group, votes bool) []CountRow {
	out := make([]CountRow, 0, len(gs))
	for _, g := range gs {
		p := g.people
		r := CountRow{Section: section, Key: g.key, Label: g.label, Ideas: g.ideas, Comments: g.comments, People: &p}
		if votes {
			r.Votes = g.votes
		}
		out = append(out, r)
	}
	return out
}

// contributions is a query of one row per published idea (k = 'i') and
// visible comment (k = 'c') with its author p and language lang, limited
// by the conditions on ideas i and comments c of gs (any of them).
func (s *source) contributions(gs []group) (string, []any) {
	var (
		ic, cc []string
		ia, ca []any
	)
	for _, g := range gs {
		ic, cc = append(ic, "("+g.condIdea+")"), append(cc, "("+g.condCm+")")
		n := strings.Count(g.condIdea, "?")
		ia, ca = append(ia, g.args[:n]...), append(ca, g.args[n:]...)
	}
	return `SELECT 'i' AS k, i.author_id AS p, i.lang AS lang FROM ideas i WHERE ` + publishedIdeas + s.fields + ` AND (` + strings.Join(ic, " OR ") + `)
UNION ALL SELECT 'c' AS k, c.author_id AS p, c.lang AS lang FROM comments c WHERE ` + s.visible + ` AND (` + strings.Join(cc, " OR ") + `)`, append(ia, ca...)
}

const countCols = "COALESCE(SUM(CASE WHEN x.k = 'i' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN x.k = 'c' THEN 1 ELSE 0 END), 0), COUNT(DISTINCT x.p)"

// count answers the ideas, comments and distinct people of gs together.
func (s *source) count(ctx context.Context, gs []group) (ideas, comments, people int64, err error) {
	q, args := s.contributions(gs)
	err = s.st.QueryRow(ctx, "SELECT "+countCols+" FROM ("+q+") x", args...).Scan(&ideas, &comments, &people)
	return
}

func (s *source) readLanguages(ctx context.Context, sum *Summary) error {
	q, args := s.contributions([]group{{condIdea: "1 = 1", condCm: "1 = 1"}})
	rows, err := s.st.Query(ctx, "SELECT x.lang, "+countCols+" FROM ("+q+") x GROUP BY x.lang ORDER BY x.lang", args...)
	if err != nil {
		return err
	}
	var gs []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.key, &g.ideas, &g.comments, &g.people); err != nil {
			rows.Close()
			return err
		}
		g.label, g.condIdea, g.condCm, g.args = s.labels.language(g.key), "i.lang = ?", "c.lang = ?", []any{g.key, g.key}
		gs = append(gs, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].people > gs[j].people })
	merged, err := merge(gs, func(small []group) (group, error) { return s.countGroups(ctx, small) })
	if err != nil {
		return err
	}
	sum.Languages = rowsOf("language", merged, false)
	return nil
}

// themeTitles maps the key of a cross-cutting theme to its title.
type themeTitles map[string]string

// list names the themes of keys, separated by commas; a key without a
// title stands for itself.
func (t themeTitles) list(keys []string) string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if title, ok := t[k]; ok {
			out = append(out, title)
		} else {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// themeList reads the cross-cutting themes of the consultations covered.
func (s *source) themeList(ctx context.Context) ([][2]string, error) {
	rows, err := s.st.Query(ctx, `SELECT t.key, t.title FROM themes t
WHERE t.consultation_id IN (SELECT f.consultation_id FROM fields f WHERE f.id IN `+s.fields+`) ORDER BY t.consultation_id, t.position, t.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	seen := map[string]bool{}
	for rows.Next() {
		var k, title string
		if err := rows.Scan(&k, &title); err != nil {
			return nil, err
		}
		if !seen[k] {
			seen[k] = true
			s.themes[k] = s.text(title)
			out = append(out, [2]string{k, s.text(title)})
		}
	}
	return out, rows.Err()
}

func (s *source) readThemes(ctx context.Context, sum *Summary) error {
	themes, err := s.themeList(ctx)
	if err != nil {
		return err
	}
	var gs []group
	for _, th := range themes {
		key := th[0]
		pattern := `%"` + key + `"%`
		var mids []string
		var votes int64
		for _, m := range sum.Measures {
			if slices.Contains(m.Themes, key) {
				mids = append(mids, strconv.FormatInt(m.ID, 10))
				votes += m.Tally.Total()
			}
		}
		if len(mids) == 0 {
			mids = append(mids, "0")
		}
		g := group{key: key, label: th[1], condIdea: "i.themes LIKE ?",
			condCm: "(c.target_kind = 'measure' AND c.target_id IN (" + strings.Join(mids, ",") + ")) OR (c.target_kind = 'idea' AND c.target_id IN (SELECT ti2.id FROM ideas ti2 WHERE ti2.themes LIKE ?))",
			args:   []any{pattern, pattern}}
		if err := s.st.QueryRow(ctx, "SELECT COALESCE(SUM(t.votes_for + t.votes_against + t.votes_neutral), 0) FROM ideas i JOIN tallies t ON t.target_kind = 'idea' AND t.target_id = i.id WHERE "+
			publishedIdeas+s.fields+" AND i.themes LIKE ?", pattern).Scan(&g.votes); err != nil {
			return err
		}
		g.votes += votes
		if g.ideas, g.comments, g.people, err = s.count(ctx, []group{g}); err != nil {
			return err
		}
		gs = append(gs, g)
	}
	merged, err := merge(gs, func(small []group) (group, error) { return s.countGroups(ctx, small) })
	if err != nil {
		return err
	}
	sum.Themes = rowsOf("theme", merged, true)
	return nil
}

func (s *source) readDays(ctx context.Context, sum *Summary) error {
	ideas, err := s.countBy(ctx, "SELECT "+s.dayExpr("i.created_at")+" AS d, COUNT(*) FROM ideas i WHERE "+publishedIdeas+s.fields+" GROUP BY d")
	if err != nil {
		return err
	}
	comments, err := s.countBy(ctx, "SELECT "+s.dayExpr("c.created_at")+" AS d, COUNT(*) FROM comments c WHERE "+s.visible+" GROUP BY d")
	if err != nil {
		return err
	}
	// Grouped by item and day, the votes come in the order of the
	// votes_target_day index and need no sorting; the days are summed here.
	votes := map[string]int64{}
	for _, part := range []string{
		"v.target_kind = 'measure' AND v.target_id IN (SELECT m.id FROM measures m WHERE m.field_id IN " + s.fields + ")",
		"v.target_kind = 'idea' AND v.target_id IN (SELECT i.id FROM ideas i WHERE " + publishedIdeas + s.fields + ")",
	} {
		rows, err := s.st.Query(ctx, "SELECT "+s.dayExpr("v.created_at")+" AS d, COUNT(*) FROM votes v WHERE "+part+" GROUP BY v.target_id, d")
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				d string
				n int64
			)
			if err := rows.Scan(&d, &n); err != nil {
				rows.Close()
				return err
			}
			votes[d] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	days := map[string]bool{}
	for _, m := range []map[string]int64{ideas, comments, votes} {
		for d := range m {
			days[d] = true
		}
	}
	list := make([]string, 0, len(days))
	for d := range days {
		list = append(list, d)
	}
	slices.Sort(list)
	for _, d := range list {
		sum.Days = append(sum.Days, CountRow{Section: "day", Key: d, Label: d, Ideas: ideas[d], Comments: comments[d], Votes: votes[d]})
	}
	return nil
}

func (s *source) readTotals(ctx context.Context, sum *Summary) error {
	t := CountRow{Section: "total", Key: "total", Label: s.labels.total}
	for _, d := range sum.Days {
		t.Ideas += d.Ideas
		t.Comments += d.Comments
		t.Votes += d.Votes
	}
	n, err := s.peopleOf(ctx, []group{{condIdea: "1 = 1", condCm: "1 = 1"}})
	t.People = &n
	sum.Totals = t
	return err
}

// ideas streams the published ideas in id order, a page at a time.
func (s *source) ideas(ctx context.Context, fn func(*IdeaRow) error) error {
	var r IdeaRow
	return s.paged(ctx, `SELECT i.id, i.field_id, i.title, i.body, i.lang, i.themes, i.author_id,
  i.triage_state, i.response, i.created_at,
  COALESCE(t.votes_for, 0), COALESCE(t.votes_against, 0), COALESCE(t.votes_neutral, 0), COALESCE(t.comment_count, 0)
FROM ideas i LEFT JOIN tallies t ON t.target_kind = 'idea' AND t.target_id = i.id
WHERE `+publishedIdeas+s.fields+` AND i.id > ? ORDER BY i.id LIMIT ?`, func(rows *sql.Rows) (int64, error) {
		var (
			themes string
			author int64
		)
		if err := rows.Scan(&r.ID, &r.FieldID, &r.Title, &r.Body, &r.Lang, &themes, &author,
			&r.TriageState, &r.Response, &r.CreatedAt, &r.Tally.For, &r.Tally.Against, &r.Tally.Neutral, &r.Comments); err != nil {
			return 0, err
		}
		r.Themes, r.Field, r.Author, r.CreatedAt = keys(themes), s.titles[r.FieldID], s.people.of(author), r.CreatedAt.UTC()
		return r.ID, fn(&r)
	})
}

// comments streams the visible comments in id order, a page at a time.
func (s *source) comments(ctx context.Context, fn func(*CommentRow) error) error {
	var r CommentRow
	return s.paged(ctx, `SELECT c.id, c.field_id, c.target_kind, c.target_id, c.parent_id, c.body, c.stance, c.lang,
  c.author_id, c.triage_state, c.response, c.created_at, COALESCE(ti.title, '')
FROM comments c LEFT JOIN ideas ti ON c.target_kind = 'idea' AND ti.id = c.target_id
WHERE c.status = 'published' AND c.field_id IN `+s.fields+` AND (c.target_kind = 'measure' OR ti.status = 'published')
  AND c.id > ? ORDER BY c.id LIMIT ?`, func(rows *sql.Rows) (int64, error) {
		var (
			parent sql.NullInt64
			author int64
		)
		if err := rows.Scan(&r.ID, &r.FieldID, &r.TargetKind, &r.TargetID, &parent, &r.Body, &r.Stance, &r.Lang,
			&author, &r.TriageState, &r.Response, &r.CreatedAt, &r.TargetTitle); err != nil {
			return 0, err
		}
		r.ParentID = nil
		if parent.Valid {
			p := parent.Int64
			r.ParentID = &p
		}
		if r.TargetKind == "measure" {
			r.TargetTitle = s.measures[r.TargetID]
		}
		r.Field, r.Author, r.CreatedAt = s.titles[r.FieldID], s.people.of(author), r.CreatedAt.UTC()
		return r.ID, fn(&r)
	})
}

// paged runs query, whose last two arguments are the last id seen and the
// page size, page after page until a page comes back short; row scans one
// row, hands it on and answers its id.
func (s *source) paged(ctx context.Context, query string, row func(*sql.Rows) (int64, error)) error {
	var after int64
	for {
		rows, err := s.st.Query(ctx, query, after, pageSize)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			id, err := row(rows)
			if err != nil {
				rows.Close()
				return err
			}
			after = id
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n < pageSize {
			return nil
		}
	}
}
