package participation

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Idea is an ideas row.
type Idea struct {
	bun.BaseModel `bun:"table:ideas"`

	ID          int64              `bun:"id,pk,autoincrement"`
	FieldID     int64              `bun:"field_id"`
	Title       string             `bun:"title"`
	Body        string             `bun:"body"`
	Lang        string             `bun:"lang"`
	Themes      consultations.Keys `bun:"themes,type:text"`
	TriageState string             `bun:"triage_state"`
	Response    string             `bun:"response"`
	moderated
}

func (i *Idea) item() (Kind, int64) { return KindIdea, i.ID }

// IdeaRow is an idea with its author, tally and comment count.
type IdeaRow struct {
	ID      int64              `bun:"id"`
	FieldID int64              `bun:"field_id"`
	Title   string             `bun:"title"`
	Body    string             `bun:"body"`
	Lang    string             `bun:"lang"`
	Themes  consultations.Keys `bun:"themes,type:text"`
	Status  string             `bun:"status"`
	Triage
	RespondedAt *time.Time `bun:"responded_at"`
	CreatedAt   time.Time  `bun:"created_at"`
	Authored
	Tally        consultations.Tally `bun:"embed:"`
	CommentCount int64               `bun:"comment_count"`
	// MeasureID is the measure the idea was taken up in, with its title.
	MeasureID    *int64      `bun:"measure_id"`
	MeasureTitle locale.Text `bun:"measure_title,type:text"`
}

var ideaSelect = `SELECT i.id, i.field_id, i.title, i.body, i.lang, i.themes, i.status, ` + TriageColumns("i") + `, i.responded_at,
  i.created_at, ` + AuthorColumns("i") + `, i.measure_id, tm.title AS measure_title,
  COALESCE(t.votes_for, 0) AS votes_for, COALESCE(t.votes_against, 0) AS votes_against,
  COALESCE(t.votes_neutral, 0) AS votes_neutral, COALESCE(t.comment_count, 0) AS comment_count
FROM ideas i JOIN users u ON u.id = i.author_id LEFT JOIN tallies t ON t.target_kind = 'idea' AND t.target_id = i.id
LEFT JOIN measures tm ON tm.id = i.measure_id` + TriageJoin("i")

// IdeaJSON is an idea as the API and live events show it.
type IdeaJSON struct {
	ID           int64               `json:"id"`
	FieldID      int64               `json:"field_id"`
	Title        string              `json:"title"`
	Body         string              `json:"body"`
	Lang         string              `json:"lang"`
	Themes       []string            `json:"themes"`
	Author       Author              `json:"author"`
	Tally        consultations.Tally `json:"tally"`
	CommentCount int64               `json:"comment_count"`
	Status       string              `json:"status"`
	TriageState  string              `json:"triage_state"`
	Response     *Answer             `json:"response"`
	CreatedAt    time.Time           `json:"created_at"`
	MeasureID    *int64              `json:"measure_id"`
}

// JSON renders the row for the API; l nil renders for live events.
func (r *IdeaRow) JSON(l *locale.Localizer) IdeaJSON {
	out := IdeaJSON{
		ID: r.ID, FieldID: r.FieldID, Title: r.Title, Body: r.Body, Lang: r.Lang, Themes: r.Themes,
		Author: r.Contributor(l), Tally: r.Tally, CommentCount: r.CommentCount,
		Status: r.Status, TriageState: r.TriageState, Response: r.Answer(langOf(l)), CreatedAt: r.CreatedAt.UTC(),
		MeasureID: r.MeasureID,
	}
	if out.Themes == nil {
		out.Themes = []string{}
	}
	return out
}

// Topic is the idea's live topic.
func (r *IdeaRow) Topic() topics.Topic { return topics.Idea(r.ID) }

// fieldScope is a field with the consultation facts a new idea needs.
type fieldScope struct {
	ConsultationID int64  `bun:"consultation_id"`
	Slug           string `bun:"slug"`
	Phase          string `bun:"phase"`
	Moderation     string `bun:"moderation"`
}

func loadField(ctx context.Context, db bun.IDB, v *access.Viewer, fieldID int64) (*fieldScope, error) {
	var f []fieldScope
	err := db.NewRaw("SELECT f.consultation_id, c.slug, c.phase, c.moderation FROM fields f JOIN consultations c ON c.id = f.consultation_id WHERE f.id = ?", fieldID).Scan(ctx, &f)
	if err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	if len(f) == 0 || !v.SeesPhase(f[0].Phase) {
		return nil, problem.NotFound()
	}
	return &f[0], nil
}

// ListIdeas returns a field's published ideas, newest first, before the
// cursor. With an author (not 0), that person's own ideas waiting for
// moderation come too: only they see them, marked.
func (s *Service) ListIdeas(ctx context.Context, v *access.Viewer, fieldID, before int64, limit int, author int64) ([]IdeaRow, error) {
	if _, err := loadField(ctx, s.st.DB, v, fieldID); err != nil {
		return nil, err
	}
	listed, args := access.ListedSQL("i", author)
	return jsonapi.Newest[IdeaRow](ctx, s.st.DB, ideaSelect, "i.field_id = ? AND "+listed, append([]any{fieldID}, args...), "i.id", before, limit)
}

// GetIdea loads an idea visible to v: published ones for everyone, the
// author's own in any state but withdrawn, and all for moderators.
func (s *Service) GetIdea(ctx context.Context, v *access.Viewer, id int64) (*IdeaRow, error) {
	t, err := loadTarget(ctx, s.st, KindIdea, id)
	if err != nil {
		return nil, err
	}
	if !t.visibleTo(v) {
		return nil, problem.NotFound()
	}
	return ideaRow(ctx, s.st.DB, id)
}

func ideaRow(ctx context.Context, db bun.IDB, id int64) (*IdeaRow, error) {
	var rows []IdeaRow
	if err := db.NewRaw(ideaSelect+" WHERE i.id = ?", id).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, problem.NotFound()
	}
	return &rows[0], nil
}

// IdeaInput is a new idea.
type IdeaInput struct {
	Title  string    `json:"title"`
	Body   string    `json:"body"`
	Themes *[]string `json:"themes"`
	Lang   *string   `json:"lang"`
}

func checkThemes(ctx context.Context, db bun.IDB, v *problem.Validator, consultationID int64, themes *[]string) (consultations.Keys, error) {
	if themes == nil {
		return consultations.Keys{}, nil
	}
	var known []string
	if err := db.NewRaw("SELECT key FROM themes WHERE consultation_id = ?", consultationID).Scan(ctx, &known); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	out := consultations.Keys{}
	for i, k := range *themes {
		if !slices.Contains(known, k) {
			v.Add(problem.Field("themes["+strconv.Itoa(i)+"]", "error.theme_unknown"))
			continue
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// SubmitIdea adds v's idea to a field.
func (s *Service) SubmitIdea(ctx context.Context, v *access.Viewer, requestLang string, fieldID int64, in IdeaInput) (*Created, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	var val problem.Validator
	title := plaintext.Check(&val, "title", in.Title, MinTitle, MaxTitle)
	body := plaintext.Check(&val, "body", in.Body, 1, MaxBody)
	lang := contributionLang(&val, in.Lang, requestLang)
	if in.Themes != nil && len(*in.Themes) > 20 {
		val.Add(problem.Field("themes", "error.too_many"))
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	flags, flagged, err := s.flags(ctx, title, body)
	if err != nil {
		return nil, err
	}
	var out *Created
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		f, err := loadField(ctx, tx, v, fieldID)
		if err != nil {
			return err
		}
		if f.Moderation, err = consultations.GuardWrite(ctx, tx, v, f.ConsultationID); err != nil {
			return err
		}
		var tv problem.Validator
		themes, err := checkThemes(ctx, tx, &tv, f.ConsultationID, in.Themes)
		if err != nil {
			return err
		}
		if err := tv.Err(); err != nil {
			return err
		}
		now := s.now()
		idea := &Idea{
			FieldID: fieldID, Title: title, Body: body, Lang: lang, Themes: themes, TriageState: "new",
			moderated: newModerated(v.UserID, f.Moderation, flags, flagged, now),
		}
		if _, err := tx.NewInsert().Model(idea).Returning("id").Exec(ctx); err != nil {
			return err
		}
		out = &Created{ID: idea.ID, Status: idea.Status}
		if err := idea.queueNew(ctx, tx, "idea", idea.ID, fieldID, title); err != nil {
			return err
		}
		if !access.IsPublic(idea.Status) {
			return nil
		}
		return ideaBecamePublic(ctx, tx, idea.ID)
	})
	return out, err
}

// IdeaEvent is the data of idea.published and idea.removed.
type IdeaEvent struct {
	Idea *IdeaJSON `json:"idea,omitempty"`
	ID   int64     `json:"id,omitempty"`
}

func ideaTopics(ctx context.Context, tx *store.Tx, id int64) (*target, []topics.Topic, error) {
	t, err := loadTarget(ctx, tx, KindIdea, id)
	if err != nil {
		return nil, nil, err
	}
	groups, err := consultations.GroupsOfField(ctx, tx, t.FieldID)
	if err != nil {
		return nil, nil, err
	}
	return t, groupTopics(groups), nil
}

func ideaBecamePublic(ctx context.Context, tx *store.Tx, id int64) error {
	t, groups, err := ideaTopics(ctx, tx, id)
	if err != nil {
		return err
	}
	row, err := ideaRow(ctx, tx, id)
	if err != nil {
		return err
	}
	js := row.JSON(nil)
	if err := tx.Emit(ctx, topics.IdeaPublished, IdeaEvent{Idea: &js}, append(t.public(t.ConsultationTopic()), groups...)...); err != nil {
		return err
	}
	return queues.AnnounceInbox(ctx, tx, t.FieldID, &queues.Item{Kind: "idea", ID: id, FieldID: t.FieldID, Excerpt: queues.Excerpt(row.Title)})
}

// ideaLeftPublic tells subscribers that an idea is gone from public view.
// The contract has no event for it; idea.removed carries only the id.
func ideaLeftPublic(ctx context.Context, tx *store.Tx, id int64) error {
	t, groups, err := ideaTopics(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := tx.Emit(ctx, topics.IdeaRemoved, IdeaEvent{ID: id}, append(t.public(t.Topic(), t.ConsultationTopic()), groups...)...); err != nil {
		return err
	}
	return queues.AnnounceInbox(ctx, tx, t.FieldID, nil)
}

// IdeaUpdated sends idea.updated with the idea as its GET shows it, to the
// idea's and the consultation's subscribers: after a published idea was
// edited, answered or triaged.
func IdeaUpdated(ctx context.Context, tx *store.Tx, id int64) error {
	t, err := loadTarget(ctx, tx, KindIdea, id)
	if err != nil {
		return err
	}
	if !access.IsPublic(t.Status) {
		return nil
	}
	row, err := ideaRow(ctx, tx, id)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, topics.IdeaUpdated, row.JSON(nil), t.public(t.Topic(), t.ConsultationTopic())...)
}

// SetIdeaStatus moves an idea to a new moderation state inside a write,
// keeping subscribers right. Moderation calls it too; it answers the
// idea's new version.
func SetIdeaStatus(ctx context.Context, tx *store.Tx, id int64, to string) (int, error) {
	var from string
	if err := tx.NewRaw("SELECT status FROM ideas WHERE id = ?"+tx.ForUpdate(""), id).Scan(ctx, &from); err != nil {
		if store.IsNoRows(err) {
			return 0, problem.NotFound()
		}
		return 0, err
	}
	version, err := setStatus(ctx, tx, "ideas", id, to)
	if err != nil {
		return 0, err
	}
	switch {
	case from == to:
	case access.IsPublic(to):
		return version, ideaBecamePublic(ctx, tx, id)
	case access.IsPublic(from):
		return version, ideaLeftPublic(ctx, tx, id)
	}
	return version, nil
}

// IdeaEdit changes an idea's title or text.
type IdeaEdit struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// EditIdea changes v's own pending or published idea; under
// pre-moderation it waits for moderation again.
func (s *Service) EditIdea(ctx context.Context, v *access.Viewer, id int64, in IdeaEdit) (*IdeaRow, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	var val problem.Validator
	var title, body string
	if in.Title != nil {
		title = plaintext.Check(&val, "title", *in.Title, MinTitle, MaxTitle)
	}
	if in.Body != nil {
		body = plaintext.Check(&val, "body", *in.Body, 1, MaxBody)
	}
	var out *IdeaRow
	err := editOwn(ctx, s, v, id, &val, func(ctx context.Context, tx *store.Tx, idea *Idea, t *target, matcher *screening.Matcher) error {
		if in.Title != nil {
			idea.Title = title
		}
		if in.Body != nil {
			idea.Body = body
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ideas SET title = ?, body = ?, version = version + 1, updated_at = ? WHERE id = ?", idea.Title, idea.Body, s.now(), id); err != nil {
			return err
		}
		to, err := reviewEdit(ctx, tx, "idea", id, t, idea.Status, matcher, idea.Title, idea.Body)
		if err != nil {
			return err
		}
		if to != idea.Status {
			if _, err := SetIdeaStatus(ctx, tx, id, to); err != nil {
				return err
			}
		} else if err := IdeaUpdated(ctx, tx, id); err != nil {
			return err
		}
		out, err = ideaRow(ctx, tx, id)
		return err
	})
	return out, err
}

// WithdrawIdea takes back v's own idea; it leaves every public list.
func (s *Service) WithdrawIdea(ctx context.Context, v *access.Viewer, id int64) error {
	return withdrawOwn[Idea](ctx, s, v, id, SetIdeaStatus)
}

// Role is the author's staff role for pages, "" for residents.
