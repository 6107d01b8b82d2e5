package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mitreden/mitreden/app/access"
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
	// visible is the condition on comments c that are public (see
	// access.PublicCommentSQL) in the export's fields.
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
		visible: access.PublicCommentSQL("c") + " AND c.field_id IN " + fields,
		titles:  map[int64]string{}, measures: map[int64]string{}, themes: themeTitles{},
		people: newPseudonyms(l), labels: newLabels(l),
	}
}

// hourExpr is the UTC hour of a timestamp column; cityDay turns it into
// the city's calendar day, which the exports count by (SQLite knows no
// time zones, so the conversion is done here).
func (s *source) hourExpr(col string) string { return s.st.UTCHour(col) }

// cityDay is the day in Europe/Berlin, YYYY-MM-DD, of a UTC hour
// "YYYY-MM-DD HH".
func cityDay(hour string) string {
	t, err := time.ParseInLocation("2006-01-02 15", strings.Replace(hour, "T", " ", 1), time.UTC)
	if err != nil {
		return hour[:min(len(hour), 10)]
	}
	return t.In(locale.CityTime()).Format(time.DateOnly)
}

// byCityDay sums counts per UTC hour into counts per city day.
func byCityDay(hours map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(hours))
	for h, n := range hours {
		out[cityDay(h)] += n
	}
	return out
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
	return s.st.Each(ctx, `SELECT f.id, f.title, c.title FROM fields f JOIN consultations c ON c.id = f.consultation_id
WHERE f.id IN `+s.fields+` ORDER BY c.id, f.position, f.id`, nil, func(rows *sql.Rows) error {
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
		return nil
	})
}

func (s *source) readMeasures(ctx context.Context, sum *Summary) error {
	index := map[int64]int{}
	err := s.st.Each(ctx, `SELECT m.id, m.field_id, m.title, m.status, m.themes, COALESCE(m.lead, ''),
  COALESCE(t.votes_for, 0), COALESCE(t.votes_against, 0), COALESCE(t.votes_neutral, 0)
FROM measures m LEFT JOIN tallies t ON t.target_kind = 'measure' AND t.target_id = m.id
WHERE m.field_id IN `+s.fields+` ORDER BY m.field_id, m.id`, nil, func(rows *sql.Rows) error {
		var (
			m                   MeasureRow
			title, themes, lead string
		)
		if err := rows.Scan(&m.ID, &m.FieldID, &title, &m.Status, &themes, &lead, &m.Tally.For, &m.Tally.Against, &m.Tally.Neutral); err != nil {
			return err
		}
		m.Title, m.Themes, m.Field, m.Lead = s.text(title), keys(themes), s.titles[m.FieldID], s.text(lead)
		m.History, m.Ideas = []HistoryRow{}, []IdeaRef{}
		s.measures[m.ID] = m.Title
		index[m.ID] = len(sum.Measures)
		sum.Measures = append(sum.Measures, m)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.readRecords(ctx, sum, index); err != nil {
		return err
	}
	// Measures are always public, so every published comment on one counts.
	return s.st.Each(ctx, `SELECT c.target_id, c.stance, COUNT(*) FROM comments c
WHERE `+access.PublicSQL("c")+` AND c.target_kind = 'measure' AND c.field_id IN `+s.fields+` GROUP BY c.target_id, c.stance`, nil, func(rows *sql.Rows) error {
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
			return nil
		}
		switch stance {
		case "pro":
			sum.Measures[i].Comments.Pro = n
		case "contra":
			sum.Measures[i].Comments.Contra = n
		default:
			sum.Measures[i].Comments.Neutral = n
		}
		return nil
	})
}

// readRecords adds each measure's history and the published ideas taken
// up in it (of any field of the consultation: an idea may be taken up in a
// measure of another field).
func (s *source) readRecords(ctx context.Context, sum *Summary, index map[int64]int) error {
	err := s.st.Each(ctx, `SELECT h.measure_id, h.status, h.statement, h.created_at FROM measure_history h
JOIN measures m ON m.id = h.measure_id WHERE m.field_id IN `+s.fields+` ORDER BY h.measure_id, h.id`, nil, func(rows *sql.Rows) error {
		var (
			id        int64
			h         HistoryRow
			statement string
		)
		if err := rows.Scan(&id, &h.Status, &statement, &h.At); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			h.Statement, h.At = s.text(statement), h.At.UTC()
			sum.Measures[i].History = append(sum.Measures[i].History, h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.st.Each(ctx, `SELECT i.measure_id, i.id, i.title FROM ideas i JOIN measures m ON m.id = i.measure_id
WHERE `+access.PublicSQL("i")+` AND m.field_id IN `+s.fields+` ORDER BY i.id`, nil, func(rows *sql.Rows) error {
		var (
			id  int64
			ref IdeaRef
		)
		if err := rows.Scan(&id, &ref.ID, &ref.Title); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			sum.Measures[i].Ideas = append(sum.Measures[i].Ideas, ref)
		}
		return nil
	})
}

// countBy runs a "key, count" query into a map.
func (s *source) countBy(ctx context.Context, query string, args ...any) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.st.Each(ctx, query, args, func(rows *sql.Rows) error {
		var (
			k string
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] += n
		return nil
	})
	return out, err
}

// publishedIdeas is the condition on the public ideas i in fields, to be
// followed by the list of field ids.
var publishedIdeas = access.PublicSQL("i") + " AND i.field_id IN "

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
	var measure IdeaRef
	return s.paged(ctx, `SELECT i.id, i.field_id, i.title, i.body, i.lang, i.themes, i.author_id,
  i.triage_state, i.response, i.created_at,
  COALESCE(t.votes_for, 0), COALESCE(t.votes_against, 0), COALESCE(t.votes_neutral, 0), COALESCE(t.comment_count, 0),
  i.measure_id, COALESCE(tm.title, '')
FROM ideas i LEFT JOIN tallies t ON t.target_kind = 'idea' AND t.target_id = i.id
LEFT JOIN measures tm ON tm.id = i.measure_id
WHERE `+publishedIdeas+s.fields+` AND i.id > ? ORDER BY i.id LIMIT ?`, func(rows *sql.Rows) (int64, error) {
		var (
			themes, mtitle string
			author         int64
			mid            sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.FieldID, &r.Title, &r.Body, &r.Lang, &themes, &author,
			&r.TriageState, &r.Response, &r.CreatedAt, &r.Tally.For, &r.Tally.Against, &r.Tally.Neutral, &r.Comments, &mid, &mtitle); err != nil {
			return 0, err
		}
		r.Themes, r.Field, r.Author, r.CreatedAt = keys(themes), s.titles[r.FieldID], s.people.of(author), r.CreatedAt.UTC()
		r.Measure = nil
		if mid.Valid {
			measure = IdeaRef{ID: mid.Int64, Title: s.text(mtitle)}
			r.Measure = &measure
		}
		return r.ID, fn(&r)
	})
}

// comments streams the visible comments in id order, a page at a time.
func (s *source) comments(ctx context.Context, fn func(*CommentRow) error) error {
	var r CommentRow
	return s.paged(ctx, `SELECT c.id, c.field_id, c.target_kind, c.target_id, c.parent_id, c.body, c.stance, c.lang,
  c.author_id, c.triage_state, c.response, c.created_at, COALESCE(ti.title, '')
FROM comments c LEFT JOIN ideas ti ON c.target_kind = 'idea' AND ti.id = c.target_id
WHERE `+s.visible+` AND c.id > ? ORDER BY c.id LIMIT ?`, func(rows *sql.Rows) (int64, error) {
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
