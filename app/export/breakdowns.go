package export

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The breakdowns of a summary by language, cross-cutting theme and day.
// In those by language and theme, groups of fewer than MinGroup people
// are merged, so nobody can be singled out.

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
	var gs []group
	err := s.st.Each(ctx, "SELECT x.lang, "+countCols+" FROM ("+q+") x GROUP BY x.lang ORDER BY x.lang", args, func(rows *sql.Rows) error {
		var g group
		if err := rows.Scan(&g.key, &g.ideas, &g.comments, &g.people); err != nil {
			return err
		}
		g.label, g.condIdea, g.condCm, g.args = s.labels.language(g.key), "i.lang = ?", "c.lang = ?", []any{g.key, g.key}
		gs = append(gs, g)
		return nil
	})
	if err != nil {
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
	var out [][2]string
	seen := map[string]bool{}
	err := s.st.Each(ctx, `SELECT t.key, t.title FROM themes t
WHERE t.consultation_id IN (SELECT f.consultation_id FROM fields f WHERE f.id IN `+s.fields+`) ORDER BY t.consultation_id, t.position, t.id`, nil, func(rows *sql.Rows) error {
		var k, title string
		if err := rows.Scan(&k, &title); err != nil {
			return err
		}
		if !seen[k] {
			seen[k] = true
			s.themes[k] = s.text(title)
			out = append(out, [2]string{k, s.text(title)})
		}
		return nil
	})
	return out, err
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
	ideas, err := s.countBy(ctx, "SELECT "+s.hourExpr("i.created_at")+" AS d, COUNT(*) FROM ideas i WHERE "+publishedIdeas+s.fields+" GROUP BY d")
	if err != nil {
		return err
	}
	comments, err := s.countBy(ctx, "SELECT "+s.hourExpr("c.created_at")+" AS d, COUNT(*) FROM comments c WHERE "+s.visible+" GROUP BY d")
	if err != nil {
		return err
	}
	// Grouped by item and hour, the votes come in the order of the
	// votes_target_day index and need no sorting; the days are summed here.
	votes := map[string]int64{}
	for _, part := range []string{
		"v.target_kind = 'measure' AND v.target_id IN (SELECT m.id FROM measures m WHERE m.field_id IN " + s.fields + ")",
		"v.target_kind = 'idea' AND v.target_id IN (SELECT i.id FROM ideas i WHERE " + publishedIdeas + s.fields + ")",
	} {
		err := s.st.Each(ctx, "SELECT "+s.hourExpr("v.created_at")+" AS d, COUNT(*) FROM votes v WHERE "+part+" GROUP BY v.target_id, d", nil, func(rows *sql.Rows) error {
			var (
				d string
				n int64
			)
			if err := rows.Scan(&d, &n); err != nil {
				return err
			}
			votes[cityDay(d)] += n
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	ideas, comments = byCityDay(ideas), byCityDay(comments)
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
