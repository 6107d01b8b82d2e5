package participation

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/store"
)

// CommentEdit changes a comment's text or stance.
type CommentEdit struct {
	Body   *string `json:"body"`
	Stance *string `json:"stance"`
}

// EditComment changes v's own pending or published comment. Under
// pre-moderation the changed comment waits for moderation again.
func (s *Service) EditComment(ctx context.Context, v *access.Viewer, commentID int64, in CommentEdit) (*CommentRow, error) {
	if err := access.MayWrite(v); err != nil {
		return nil, err
	}
	var val problem.Validator
	var body, stance string
	if in.Body != nil {
		body = plaintext.Check(&val, "body", *in.Body, 1, MaxBody)
	}
	if in.Stance != nil {
		stance = checkStance(&val, in.Stance)
	}
	var out *CommentRow
	err := editOwn(ctx, s, v, commentID, &val, func(ctx context.Context, tx *store.Tx, c *Comment, t *target, matcher *screening.Matcher) error {
		if in.Body != nil {
			c.Body = body
		}
		if in.Stance != nil {
			c.Stance = stance
		}
		if _, err := tx.ExecContext(ctx, "UPDATE comments SET body = ?, stance = ?, version = version + 1, updated_at = ? WHERE id = ?", c.Body, c.Stance, s.now(), c.ID); err != nil {
			return err
		}
		to, err := reviewEdit(ctx, tx, "comment", c.ID, t, c.Status, matcher, c.Body)
		if err != nil {
			return err
		}
		if to == c.Status && access.IsPublic(to) {
			// Still public: subscribers get the new text.
			if err := republishComment(ctx, tx, t, c.ID); err != nil {
				return err
			}
		} else if _, err := s.setCommentStatus(ctx, tx, c.ID, to); err != nil {
			return err
		}
		out, err = commentRow(ctx, tx, c.ID)
		return err
	})
	return out, err
}

// setCommentStatus is SetCommentStatus with the service's catalog.
func (s *Service) setCommentStatus(ctx context.Context, tx *store.Tx, id int64, to string) (int, error) {
	return SetCommentStatus(ctx, tx, s.catalog, id, to)
}

// commentRow reads a comment as lists show it.
func commentRow(ctx context.Context, db bun.IDB, id int64) (*CommentRow, error) {
	var rows []CommentRow
	if err := db.NewRaw(commentSelect+" WHERE c.id = ?", id).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, problem.NotFound()
	}
	return &rows[0], nil
}

// republishComment sends comment.published again for a comment that
// stays public but changed.
func republishComment(ctx context.Context, tx *store.Tx, t *target, commentID int64) error {
	row, err := commentRow(ctx, tx, commentID)
	if err != nil {
		return err
	}
	groups, err := consultations.GroupsOfField(ctx, tx, t.FieldID)
	if err != nil {
		return err
	}
	return emitCommentPublished(ctx, tx, t, row, groups)
}

// CommentTriaged tells a published comment's subscribers, inside the
// triage's write, that an expert group moved it on or answered it:
// comment.published again with the comment as the list now shows it, as
// after an edit. Live pages keep the comment they show; the event makes
// pages kept for its item stale, so a reload shows the answer.
func CommentTriaged(ctx context.Context, tx *store.Tx, commentID int64) error {
	var c []struct {
		TargetKind Kind   `bun:"target_kind"`
		TargetID   int64  `bun:"target_id"`
		Status     string `bun:"status"`
	}
	if err := tx.NewRaw("SELECT target_kind, target_id, status FROM comments WHERE id = ?", commentID).Scan(ctx, &c); err != nil && !store.IsNoRows(err) {
		return err
	}
	if len(c) == 0 || !access.IsPublic(c[0].Status) {
		return nil
	}
	t, err := loadTarget(ctx, tx, c[0].TargetKind, c[0].TargetID)
	if err != nil {
		return err
	}
	return republishComment(ctx, tx, t, commentID)
}

// WithdrawComment takes back v's own comment; it leaves every public list.
func (s *Service) WithdrawComment(ctx context.Context, v *access.Viewer, commentID int64) error {
	return withdrawOwn[Comment](ctx, s, v, commentID, s.setCommentStatus)
}

// ownCommentForEdit loads v's own comment for the edit page, with the
// moderation mode its consultation runs.
func (s *Service) ownCommentForEdit(ctx context.Context, v *access.Viewer, id int64) (*CommentRow, string, error) {
	row, err := commentRow(ctx, s.st.DB, id)
	if err != nil {
		return nil, "", err
	}
	if row.AuthorID != v.UserID {
		return nil, "", problem.Forbidden()
	}
	if !editable(row.Status) {
		return nil, "", problem.Conflict("error.not_editable")
	}
	t, err := loadTarget(ctx, s.st, row.TargetKind, row.TargetID)
	if err != nil {
		return nil, "", err
	}
	return row, t.Moderation, nil
}

// reviewEdit decides where an author's edited contribution goes, and
// screens it again: back to pending under pre-moderation; published and
// flagged content into the reported queue. It answers the new state.
func reviewEdit(ctx context.Context, tx *store.Tx, kind string, id int64, t *target, status string, matcher *screening.Matcher, texts ...string) (string, error) {
	to := status
	if t.Moderation == consultations.ModerationPre {
		to = StatusPending
	}
	flags, flagged := flagsJSON(matcher.Find(texts...))
	needsReview := flagged && to == StatusPublished
	if _, err := tx.Exec(ctx, "UPDATE "+kind+"s SET flags = ?, needs_review = ? WHERE id = ?", flags, needsReview, id); err != nil {
		return "", err
	}
	if to == StatusPending || needsReview {
		item := &queues.Item{Kind: kind, ID: id, FieldID: t.FieldID, State: to, Excerpt: queues.Excerpt(texts[0])}
		if err := queues.AnnounceModeration(ctx, tx, item); err != nil {
			return "", err
		}
	}
	return to, nil
}
