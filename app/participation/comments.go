package participation

import (
	"context"
	"html/template"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/language"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Stances of a comment.
var Stances = []string{"pro", "contra", "neutral"}

// Contribution text limits, in characters.
const (
	MaxBody  = 5000
	MinTitle = 3
	MaxTitle = 200
	MaxNote  = 1000
)

// Comment is a comments row.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`

	ID         int64  `bun:"id,pk,autoincrement"`
	TargetKind Kind   `bun:"target_kind"`
	TargetID   int64  `bun:"target_id"`
	FieldID    int64  `bun:"field_id"`
	ParentID   *int64 `bun:"parent_id"`
	Body       string `bun:"body"`
	Stance     string `bun:"stance"`
	Lang       string `bun:"lang"`
	moderated
}

func (c *Comment) item() (Kind, int64) { return c.TargetKind, c.TargetID }

// CommentRow is a comment with its author, as lists and pages read it.
type CommentRow struct {
	ID         int64     `bun:"id"`
	TargetKind Kind      `bun:"target_kind"`
	TargetID   int64     `bun:"target_id"`
	ParentID   *int64    `bun:"parent_id"`
	Body       string    `bun:"body"`
	Stance     string    `bun:"stance"`
	Lang       string    `bun:"lang"`
	Status     string    `bun:"status"`
	CreatedAt  time.Time `bun:"created_at"`
	Authored
	Triage
	// Replies are filled for top-level comments on pages.
	Replies []CommentRow `bun:"-"`
	// Shown is what a page prints of it, prepared before rendering: a
	// template calls its functions through reflection, which cost more
	// than the rest of a comment's markup.
	Shown CommentShown `bun:"-"`
}

// CommentShown are a comment's texts in the page's language.
type CommentShown struct {
	When   string // date and time
	ISO    string // for <time datetime>
	Stance string
	Body   template.HTML
	// Role is the author's staff role, "" for residents.
	Role string
	// Answer is the expert groups' triage and answer, nil without one.
	Answer *AnswerShown
}

var commentSelect = `SELECT c.id, c.target_kind, c.target_id, c.parent_id, c.body, c.stance, c.lang, c.status, c.created_at,
  ` + AuthorColumns("c") + `, ` + TriageColumns("c") + `
FROM comments c JOIN users u ON u.id = c.author_id` + TriageJoin("c")

// CommentJSON is a comment as the API and live events show it.
type CommentJSON struct {
	ID          int64     `json:"id"`
	ParentID    *int64    `json:"parent_id"`
	Body        string    `json:"body"`
	Stance      string    `json:"stance"`
	Lang        string    `json:"lang"`
	Author      Author    `json:"author"`
	TriageState string    `json:"triage_state"`
	Response    *Answer   `json:"response"`
	CreatedAt   time.Time `json:"created_at"`
}

// JSON renders the row for the API in l's language; l nil renders for
// live events, which every subscriber gets alike (in German).
func (r *CommentRow) JSON(l *locale.Localizer) CommentJSON {
	return CommentJSON{
		ID: r.ID, ParentID: r.ParentID, Body: r.Body, Stance: r.Stance, Lang: r.Lang,
		Author:      r.Contributor(l),
		TriageState: r.TriageState, Response: r.Answer(langOf(l)), CreatedAt: r.CreatedAt.UTC(),
	}
}

// ListComments returns an item's published comments and replies, oldest
// first, after the cursor. The item must be visible to v.
func (s *Service) ListComments(ctx context.Context, v *access.Viewer, kind Kind, id, after int64, limit int) ([]CommentRow, error) {
	t, err := loadTarget(ctx, s.st, kind, id)
	if err != nil {
		return nil, err
	}
	if !t.visibleTo(v) {
		return nil, problem.NotFound()
	}
	var rows []CommentRow
	err = s.st.Select(ctx, &rows, commentSelect+" WHERE c.target_kind = ? AND c.target_id = ? AND "+access.PublicSQL("c")+" AND c.id > ? ORDER BY c.id LIMIT ?",
		string(kind), id, after, limit)
	return rows, err
}

// Threads returns a page of an item's published top-level comments, oldest
// first, each with its published replies: two queries however many there
// are. With an author (not 0), that person's own comments and replies
// still waiting for moderation come too: only they see them, marked.
func (s *Service) Threads(ctx context.Context, kind Kind, id, after int64, limit int, author int64) ([]CommentRow, error) {
	visible, args := access.ListedSQL("c", author)
	var top []CommentRow
	if err := s.st.Select(ctx, &top, commentSelect+" WHERE c.target_kind = ? AND c.target_id = ? AND c.parent_id IS NULL AND "+visible+" AND c.id > ? ORDER BY c.id LIMIT ?",
		append(append([]any{string(kind), id}, args...), after, limit)...); err != nil || len(top) == 0 {
		return top, err
	}
	ids := make([]int64, len(top))
	index := make(map[int64]int, len(top))
	for i, c := range top {
		ids[i] = c.ID
		index[c.ID] = i
	}
	var replies []CommentRow
	if err := s.st.DB.NewRaw(commentSelect+" WHERE c.parent_id IN (?) AND "+visible+" ORDER BY c.id", append([]any{bun.List(ids)}, args...)...).Scan(ctx, &replies); err != nil {
		return nil, err
	}
	for _, r := range replies {
		i := index[*r.ParentID]
		top[i].Replies = append(top[i].Replies, r)
	}
	return top, nil
}

// CommentInput is a new comment.
type CommentInput struct {
	Body     string  `json:"body"`
	Stance   *string `json:"stance"`
	ParentID *int64  `json:"parent_id"`
	Lang     *string `json:"lang"`
}

// Created answers a new idea or comment: its id and moderation state.
type Created struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// contributionLang is the language a contribution was written in: the
// given tag (any well-formed BCP 47 language, people write in many more
// languages than the pages speak), else the request's language.
func contributionLang(v *problem.Validator, given *string, requestLang string) string {
	if given == nil || *given == "" {
		return requestLang
	}
	tag, err := language.Parse(*given)
	if err != nil || len(*given) > 35 {
		v.Add(problem.Field("lang", "error.lang"))
		return ""
	}
	return tag.String()
}

func checkStance(v *problem.Validator, stance *string) string {
	if stance == nil || *stance == "" {
		return "neutral"
	}
	v.Check(slices.Contains(Stances, *stance), "stance", "error.stance")
	return *stance
}

// Comment adds v's comment (or reply) to an item.
func (s *Service) Comment(ctx context.Context, v *access.Viewer, requestLang string, kind Kind, id int64, in CommentInput) (*Created, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	var val problem.Validator
	body := plaintext.Check(&val, "body", in.Body, 1, MaxBody)
	stance := checkStance(&val, in.Stance)
	lang := contributionLang(&val, in.Lang, requestLang)
	if err := val.Err(); err != nil {
		return nil, err
	}
	flags, flagged, err := s.flags(ctx, body)
	if err != nil {
		return nil, err
	}
	// What never changes about the item is read before the write, as for
	// votes; its field decides the writer (see store.For).
	pre, err := s.preloadTarget(ctx, v, kind, id)
	if err != nil {
		return nil, err
	}
	var out *Created
	err = s.st.Write(store.For(ctx, pre.FieldID), func(ctx context.Context, tx *store.Tx) error {
		t, err := recheckTarget(ctx, tx, v, pre)
		if err != nil {
			return err
		}
		if in.ParentID != nil {
			if err := checkParent(ctx, tx, t, *in.ParentID); err != nil {
				return err
			}
		}
		now := s.now()
		c := &Comment{
			TargetKind: kind, TargetID: id, FieldID: t.FieldID, ParentID: in.ParentID, Body: body, Stance: stance, Lang: lang,
			moderated: newModerated(v.UserID, t.Moderation, flags, flagged, now),
		}
		if err := c.insert(ctx, tx); err != nil {
			return err
		}
		out = &Created{ID: c.ID, Status: c.Status}
		if err := c.queueNew(ctx, tx, "comment", c.ID, t.FieldID, body); err != nil {
			return err
		}
		if !access.IsPublic(c.Status) {
			return nil
		}
		return commentBecamePublic(ctx, tx, s.catalog, t, &CommentRow{
			ID: c.ID, TargetKind: kind, TargetID: id, ParentID: c.ParentID, Body: body, Stance: stance, Lang: lang,
			Status: c.Status, CreatedAt: now, Authored: Authored{AuthorID: v.UserID, AuthorName: v.DisplayName, AuthorRole: string(v.Role)},
			Triage: Triage{TriageState: "new"},
		})
	})
	return out, err
}

// insert writes a new comment and fills in its id. It is a raw
// statement, prepared on PostgreSQL: through bun, which writes every value
// into the text, PostgreSQL parsed and planned it for every comment, and
// building it was the largest single part of a comment's write in the
// server (bun's InsertQuery.Exec, 9 % of the CPU profile of bench comment,
// 7 December 2026).
func (c *Comment) insert(ctx context.Context, tx *store.Tx) error {
	var publishedAt any
	if c.PublishedAt != nil {
		publishedAt = tx.Time(*c.PublishedAt)
	}
	return tx.QueryRow(ctx, `INSERT INTO comments (target_kind, target_id, field_id, parent_id, body, stance, lang,
  author_id, status, version, flags, needs_review, created_at, updated_at, published_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(c.TargetKind), c.TargetID, c.FieldID, c.ParentID, c.Body, c.Stance, c.Lang,
		c.AuthorID, c.Status, c.Version, c.Flags, c.NeedsReview, tx.Time(c.CreatedAt), tx.Time(c.UpdatedAt), publishedAt).Scan(&c.ID)
}

// checkParent allows replies to published top-level comments of the same item.
func checkParent(ctx context.Context, tx *store.Tx, t *target, parentID int64) error {
	var p []struct {
		TargetKind Kind   `bun:"target_kind"`
		TargetID   int64  `bun:"target_id"`
		ParentID   *int64 `bun:"parent_id"`
		Status     string `bun:"status"`
	}
	if err := tx.NewRaw("SELECT target_kind, target_id, parent_id, status FROM comments WHERE id = ?", parentID).Scan(ctx, &p); err != nil && !store.IsNoRows(err) {
		return err
	}
	switch {
	case len(p) == 0 || p[0].TargetKind != t.Kind || p[0].TargetID != t.ID || p[0].Status != StatusPublished:
		return problem.Invalid(problem.Field("parent_id", "error.parent_unknown"))
	case p[0].ParentID != nil:
		return problem.Invalid(problem.Field("parent_id", "error.reply_depth"))
	}
	return nil
}

// CommentEvent is the data of comment.published and comment.removed.
type CommentEvent struct {
	Target    Kind         `json:"target"`
	ID        int64        `json:"id"`
	Comment   *CommentJSON `json:"comment,omitempty"`
	CommentID int64        `json:"comment_id,omitempty"`
}

// commentBecamePublic tells the item's, the consultation's and the field's
// expert groups' subscribers of a comment that is now published (a
// trigger counts it, migration 33).
func commentBecamePublic(ctx context.Context, tx *store.Tx, cat *locale.Catalog, t *target, row *CommentRow) error {
	// One read gives the groups serving the field and their inboxes.
	inboxes, err := queues.InboxesOfField(ctx, tx, t.FieldID)
	if err != nil {
		return err
	}
	if err := emitCommentPublished(ctx, tx, t, row, inboxes.Groups()); err != nil {
		return err
	}
	if err := notifyReply(ctx, tx, cat, row); err != nil {
		return err
	}
	return inboxes.Announce(ctx, tx, &queues.Item{Kind: "comment", ID: row.ID, FieldID: t.FieldID, Excerpt: queues.Excerpt(row.Body)})
}

// emitCommentPublished tells the item's, the consultation's and the
// field's expert groups' subscribers the comment as lists now show it.
func emitCommentPublished(ctx context.Context, tx *store.Tx, t *target, row *CommentRow, groups []int64) error {
	js := row.JSON(nil)
	to := append(t.public(t.Topic(), t.ConsultationTopic()), groupTopics(groups)...)
	return tx.Emit(ctx, topics.CommentPublished, CommentEvent{Target: t.Kind, ID: t.ID, Comment: &js}, to...)
}

// commentLeftPublic tells subscribers of a comment that is no longer
// published (the trigger uncounts it).
func commentLeftPublic(ctx context.Context, tx *store.Tx, t *target, commentID int64) error {
	if err := tx.Emit(ctx, topics.CommentRemoved, CommentEvent{Target: t.Kind, ID: t.ID, CommentID: commentID}, t.public(t.Topic(), t.ConsultationTopic())...); err != nil {
		return err
	}
	return queues.AnnounceInbox(ctx, tx, t.FieldID, nil)
}

// SetCommentStatus moves a comment to a new moderation state inside a
// write, keeping comment counts and live subscribers right. Moderation
// calls it too; it answers the comment's new version.
func SetCommentStatus(ctx context.Context, tx *store.Tx, cat *locale.Catalog, commentID int64, to string) (int, error) {
	var rows []CommentRow
	if err := tx.NewRaw(commentSelect+" WHERE c.id = ?"+tx.ForUpdate("c"), commentID).Scan(ctx, &rows); err != nil && !store.IsNoRows(err) {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, problem.NotFound()
	}
	row := rows[0]
	from := row.Status
	version, err := setStatus(ctx, tx, "comments", commentID, to)
	if err != nil {
		return 0, err
	}
	if from == to {
		return version, nil
	}
	t, err := loadTarget(ctx, tx, row.TargetKind, row.TargetID)
	if err != nil {
		return 0, err
	}
	row.Status = to
	switch {
	case access.IsPublic(to):
		return version, commentBecamePublic(ctx, tx, cat, t, &row)
	case access.IsPublic(from):
		return version, commentLeftPublic(ctx, tx, t, commentID)
	}
	return version, nil
}
