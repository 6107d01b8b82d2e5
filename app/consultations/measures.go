package consultations

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Measure is a measure (Maßnahme) proposed in a field of action.
type Measure struct {
	bun.BaseModel `bun:"table:measures"`

	ID          int64       `bun:"id,pk,autoincrement"`
	FieldID     int64       `bun:"field_id"`
	Title       locale.Text `bun:"title,type:text"`
	Summary     locale.Text `bun:"summary,type:text"`
	Description locale.Text `bun:"description,type:text"`
	Status      string      `bun:"status"`
	Themes      Keys        `bun:"themes,type:text"`
	// Lead is the responsible department or organisation (empty: none).
	Lead locale.Text `bun:"lead,type:text"`
	// IsExample marks an illustration (the demo's measures), never a
	// city's decision; pages and the API say so.
	IsExample bool      `bun:"is_example"`
	CreatedBy *int64    `bun:"created_by"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Tally counts the votes on an item: {"for":N,"against":N,"neutral":N}.
type Tally struct {
	For     int64 `bun:"votes_for" json:"for"`
	Against int64 `bun:"votes_against" json:"against"`
	Neutral int64 `bun:"votes_neutral" json:"neutral"`
}

// Total is the number of votes.
func (t Tally) Total() int64 { return t.For + t.Against + t.Neutral }

// MeasureRow is a measure with its tally and published comment count.
type MeasureRow struct {
	Measure
	Tally        Tally `bun:"embed:"`
	CommentCount int64 `bun:"comment_count"`
}

// measureSelect is the one query shape that reads measures with tallies.
const measureSelect = `
SELECT m.*, COALESCE(t.votes_for, 0) AS votes_for, COALESCE(t.votes_against, 0) AS votes_against,
  COALESCE(t.votes_neutral, 0) AS votes_neutral, COALESCE(t.comment_count, 0) AS comment_count
FROM measures m LEFT JOIN tallies t ON t.target_kind = 'measure' AND t.target_id = m.id`

// ListMeasures returns a field's measures in creation order after the cursor.
func (s *Service) ListMeasures(ctx context.Context, fieldID, after int64, limit int) ([]MeasureRow, error) {
	var rows []MeasureRow
	err := s.st.DB.NewRaw(measureSelect+" WHERE m.field_id = ? AND m.id > ? ORDER BY m.id LIMIT ?", fieldID, after, limit).Scan(ctx, &rows)
	return rows, err
}

// MeasureInput creates or changes a measure; nil means "leave as is".
type MeasureInput struct {
	Title       locale.Text `json:"title"`
	Summary     locale.Text `json:"summary"`
	Description locale.Text `json:"description"`
	Status      *string     `json:"status"`
	Themes      *[]string   `json:"themes"`
	// Statement says why the status changes; a change of status needs one.
	Statement locale.Text                   `json:"statement"`
	Lead      jsonapi.Nullable[locale.Text] `json:"lead"`
}

// Measure text limits, in characters.
const (
	MaxSummary = 1000
)

// validateMeasure checks a new measure (current "") or a change of one in
// status current.
func (s *Service) validateMeasure(in *MeasureInput, current string, themes []Theme) error {
	creating := current == ""
	var v problem.Validator
	if in.Title != nil || creating {
		in.Title = s.catalog.CheckText(&v, "title", in.Title, 3, MaxTitle)
	}
	if in.Summary != nil || creating {
		in.Summary = s.catalog.CheckText(&v, "summary", in.Summary, 1, MaxSummary)
	}
	in.Description = s.checkDescription(&v, in.Description, creating)
	if in.Status != nil {
		v.Check(slices.Contains(MeasureStatuses, *in.Status), "status", "error.measure_status")
	}
	switch {
	case in.Status != nil && *in.Status != current && !creating:
		in.Statement = s.checkStatement(&v, in.Statement)
	case in.Statement != nil:
		in.Statement = s.catalog.CheckText(&v, "statement", in.Statement, 0, MaxStatement)
	}
	if in.Lead.Value != nil {
		lead := s.catalog.CheckText(&v, "lead", *in.Lead.Value, 0, MaxLead)
		in.Lead.Value = &lead
	}
	if in.Themes != nil {
		for i, k := range *in.Themes {
			known := slices.ContainsFunc(themes, func(t Theme) bool { return t.Key == k })
			v.Check(known, "themes["+strconv.Itoa(i)+"]", "error.theme_unknown")
		}
	}
	return v.Err()
}

// CreateMeasure adds a measure to a field. example marks an illustration.
func (s *Service) CreateMeasure(ctx context.Context, actorID, fieldID int64, in MeasureInput, example bool) (*Measure, error) {
	var m *Measure
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var themes []Theme
		err := tx.NewRaw("SELECT t.* FROM themes t JOIN fields f ON f.consultation_id = t.consultation_id WHERE f.id = ?", fieldID).Scan(ctx, &themes)
		if err != nil && !store.IsNoRows(err) {
			return err
		}
		if err := s.validateMeasure(&in, "", themes); err != nil {
			return err
		}
		now := s.now()
		m = &Measure{FieldID: fieldID, Title: in.Title, Summary: in.Summary, Description: in.Description, Status: "proposed", Themes: Keys{}, IsExample: example, CreatedAt: now, UpdatedAt: now}
		patch(&m.Status, in.Status)
		if in.Themes != nil {
			m.Themes = *in.Themes
		}
		if actorID != 0 {
			m.CreatedBy = &actorID
		}
		if in.Lead.Value != nil {
			m.Lead = *in.Lead.Value
		}
		if _, err := tx.NewInsert().Model(m).Returning("id").Exec(ctx); err != nil {
			if store.IsForeignKeyViolation(err) {
				return problem.NotFound()
			}
			return err
		}
		if err := addHistory(ctx, tx, m.ID, m.Status, in.Statement, actorID, now); err != nil {
			return err
		}
		// The consultation's page counts its field's measures.
		if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "measure.create", "measure", m.ID, nil, m)
	})
	return m, err
}

// MeasureDetail is a measure with its tally, its consultation and, for a
// signed-in reader, their vote.
type MeasureDetail struct {
	MeasureRow
	ConsultationID   int64  `bun:"consultation_id"`
	ConsultationSlug string `bun:"consultation_slug"`
	Phase            string `bun:"phase"`
	Reader           `bun:"-"`
	Record           Record `bun:"-"`
}

// GetMeasure loads a measure; measures of draft consultations exist only
// for administrators. viewerID 0 reads no vote.
func (s *Service) GetMeasure(ctx context.Context, id int64, includeDrafts bool, viewerID int64) (*MeasureDetail, error) {
	return s.getMeasure(ctx, s.st.DB, id, includeDrafts, viewerID)
}

func (s *Service) getMeasure(ctx context.Context, db bun.IDB, id int64, includeDrafts bool, viewerID int64) (*MeasureDetail, error) {
	var rows []MeasureDetail
	err := db.NewRaw(`
SELECT m.*, COALESCE(t.votes_for, 0) AS votes_for, COALESCE(t.votes_against, 0) AS votes_against,
  COALESCE(t.votes_neutral, 0) AS votes_neutral, COALESCE(t.comment_count, 0) AS comment_count,
  c.id AS consultation_id, c.slug AS consultation_slug, c.phase
FROM measures m JOIN fields f ON f.id = m.field_id JOIN consultations c ON c.id = f.consultation_id
LEFT JOIN tallies t ON t.target_kind = 'measure' AND t.target_id = m.id
WHERE m.id = ?`, id).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || (rows[0].Phase == PhaseDraft && !includeDrafts) {
		return nil, problem.NotFound()
	}
	d := &rows[0]
	if d.Reader, err = ReaderOf(ctx, s.st, viewerID, "measure", id); err != nil {
		return nil, err
	}
	if d.Record, err = loadRecord(ctx, db, id); err != nil {
		return nil, err
	}
	return d, nil
}

// FieldGroups lists the expert groups serving a field: their members may
// create and change the field's measures.
func (s *Service) FieldGroups(ctx context.Context, fieldID int64) ([]int64, error) {
	return GroupsOfField(ctx, s.st, fieldID)
}

// rowsReader is the store's read pool or a write: both run raw statements,
// prepared on PostgreSQL.
type rowsReader interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// GroupsOfField lists the expert groups serving a field, in order, on the
// read pool or inside a write (every published comment asks, for the
// groups' live topics).
func GroupsOfField(ctx context.Context, db rowsReader, fieldID int64) ([]int64, error) {
	rows, err := db.Query(ctx, "SELECT group_id FROM expert_group_fields WHERE field_id = ? ORDER BY group_id", fieldID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// MayManage reports whether v may create and change measures in the field:
// admins and experts of the field's groups who may act now.
func (s *Service) MayManage(ctx context.Context, v *access.Viewer, fieldID int64) bool {
	if !v.SignedIn() {
		return false
	}
	groups, err := s.FieldGroups(ctx, fieldID)
	return err == nil && v.CanServeAnyGroup(groups)
}

// UpdateMeasure changes a measure; subscribers of the measure and its
// consultation get measure.updated, unless the consultation is a draft.
func (s *Service) UpdateMeasure(ctx context.Context, actorID, id int64, in MeasureInput) (*MeasureDetail, error) {
	var out *MeasureDetail
	err := s.st.Write(store.For(ctx, id), func(ctx context.Context, tx *store.Tx) error {
		before, err := s.lockMeasure(ctx, tx, id)
		if err != nil {
			return err
		}
		var themes []Theme
		if err := tx.NewSelect().Model(&themes).Where("consultation_id = ?", before.ConsultationID).Scan(ctx); err != nil {
			return err
		}
		if err := s.validateMeasure(&in, before.Status, themes); err != nil {
			return err
		}
		m := before.Measure
		patchText(&m.Title, in.Title)
		patchText(&m.Summary, in.Summary)
		patchText(&m.Description, in.Description)
		patch(&m.Status, in.Status)
		if in.Themes != nil {
			m.Themes = *in.Themes
		}
		if in.Lead.Set {
			m.Lead = nil
			if in.Lead.Value != nil {
				m.Lead = *in.Lead.Value
			}
		}
		m.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(&m).WherePK().Column("title", "summary", "description", "status", "themes", "lead", "updated_at").Exec(ctx); err != nil {
			return err
		}
		changed := m.Status != before.Measure.Status
		if changed {
			if err := addHistory(ctx, tx, id, m.Status, in.Statement, actorID, m.UpdatedAt); err != nil {
				return err
			}
		}
		if out, err = s.getMeasure(ctx, tx, id, true, 0); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actorID, "measure.update", "measure", id, before.Measure, m); err != nil {
			return err
		}
		// Public topics carry only what a signed-out visitor could see: a
		// consultation in draft is not public yet.
		if !access.PublicPhase(out.Phase) {
			return nil
		}
		if changed {
			if err := notifyStatus(ctx, tx, s.catalog, &m, actorID); err != nil {
				return err
			}
		}
		return announceMeasure(ctx, tx, out)
	})
	return out, err
}

// notifyStatus tells everyone who voted on a measure, commented on it or
// follows it that its status changed.
func notifyStatus(ctx context.Context, tx *store.Tx, cat *locale.Catalog, m *Measure, actorID int64) error {
	return notifyFollowers(ctx, tx, cat, m, actorID, "notifications.measure_status."+m.Status)
}

// notifyFollowers tells everyone who voted on a measure, commented on it
// or follows it what happened (body, a catalog key).
func notifyFollowers(ctx context.Context, tx *store.Tx, cat *locale.Catalog, m *Measure, actorID int64, body string) error {
	return notifications.Notify(ctx, tx, cat, notifications.Recipients{
		Query: `SELECT user_id FROM votes WHERE target_kind = 'measure' AND target_id = ?
UNION SELECT author_id FROM comments WHERE target_kind = 'measure' AND target_id = ? AND ` + access.PublicSQL("comments") + `
UNION SELECT user_id FROM follows WHERE target_kind = 'measure' AND target_id = ?`,
		Args: []any{m.ID, m.ID, m.ID}, Except: actorID,
	}, notifications.Notice{
		Kind: notifications.MeasureStatus, Title: m.Title, URL: "/m/" + strconv.FormatInt(m.ID, 10),
		Body: body,
	})
}

// MeasureJSON is a measure as lists show it. Example marks the demo's
// illustrations, which are not a city's decisions.
type MeasureJSON struct {
	ID           int64    `json:"id"`
	FieldID      int64    `json:"field_id"`
	Title        string   `json:"title"`
	Summary      string   `json:"summary"`
	Status       string   `json:"status"`
	Themes       []string `json:"themes"`
	Tally        Tally    `json:"tally"`
	CommentCount int64    `json:"comment_count"`
	Example      bool     `json:"example"`
}

// MeasureDetailJSON is a measure as its GET shows it.
type MeasureDetailJSON struct {
	MeasureJSON
	Description string          `json:"description"`
	MyVote      *int            `json:"my_vote"`
	Following   bool            `json:"following"`
	Lead        *string         `json:"lead"`
	History     []HistoryJSON   `json:"history"`
	Milestones  []MilestoneJSON `json:"milestones"`
	Documents   []DocumentJSON  `json:"documents"`
	Ideas       []int64         `json:"ideas"`
}

// HistoryJSON is one entry of a measure's history; statement null when
// none was given.
type HistoryJSON struct {
	Status    string    `json:"status"`
	Statement *string   `json:"statement"`
	CreatedAt time.Time `json:"created_at"`
}

// MilestoneJSON is a milestone as the API shows it.
type MilestoneJSON struct {
	ID     int64   `json:"id"`
	Title  string  `json:"title"`
	DueOn  *string `json:"due_on"`
	DoneOn *string `json:"done_on"`
}

// DocumentJSON is a document link as the API shows it.
type DocumentJSON struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// JSON renders a list row in lang.
func (r *MeasureRow) JSON(lang string) MeasureJSON {
	themes := []string(r.Themes)
	if themes == nil {
		themes = []string{}
	}
	return MeasureJSON{
		ID: r.ID, FieldID: r.FieldID, Title: r.Title.String(lang), Summary: r.Summary.String(lang), Status: r.Status,
		Themes: themes, Tally: r.Tally, CommentCount: r.CommentCount, Example: r.IsExample,
	}
}

// JSON renders the measure as its GET shows it, in lang.
func (d *MeasureDetail) JSON(lang string) MeasureDetailJSON {
	out := MeasureDetailJSON{
		MeasureJSON: d.MeasureRow.JSON(lang), Description: d.Description.String(lang), MyVote: d.MyVote, Following: d.Following,
		Lead: optionalText(d.Lead, lang), History: make([]HistoryJSON, 0, len(d.Record.History)),
		Milestones: make([]MilestoneJSON, 0, len(d.Record.Milestones)), Documents: make([]DocumentJSON, 0, len(d.Record.Documents)),
		Ideas: make([]int64, 0, len(d.Record.Ideas)),
	}
	for _, h := range d.Record.History {
		out.History = append(out.History, HistoryJSON{Status: h.Status, Statement: optionalText(h.Statement, lang), CreatedAt: h.CreatedAt.UTC()})
	}
	for _, m := range d.Record.Milestones {
		out.Milestones = append(out.Milestones, MilestoneJSON{ID: m.ID, Title: m.Title.String(lang), DueOn: m.DueOn, DoneOn: m.DoneOn})
	}
	for _, doc := range d.Record.Documents {
		out.Documents = append(out.Documents, DocumentJSON{Title: doc.Title.String(lang), URL: doc.URL})
	}
	for _, i := range d.Record.Ideas {
		out.Ideas = append(out.Ideas, i.ID)
	}
	return out
}

// optionalText is a translated text in lang, nil when it has none.
func optionalText(t locale.Text, lang string) *string {
	if t[locale.Default] == "" && len(t) == 0 {
		return nil
	}
	s := t.String(lang)
	if s == "" {
		return nil
	}
	return &s
}

// Add counts n more (or fewer) votes of value (1 for, -1 against, 0 neutral).
func (t *Tally) Add(value int, n int64) {
	switch value {
	case 1:
		t.For += n
	case -1:
		t.Against += n
	default:
		t.Neutral += n
	}
}
