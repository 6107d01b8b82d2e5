package participation

import (
	"context"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
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
	if err := val.Err(); err != nil {
		return nil, err
	}
	matcher, err := s.Screener.Matcher(ctx)
	if err != nil {
		return nil, err
	}
	var out *CommentRow
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		c, t, err := ownContribution[Comment](ctx, tx, v, commentID)
		if err != nil {
			return err
		}
		if !editable(c.Status) {
			return problem.Conflict("error.not_editable")
		}
		if in.Body != nil {
			c.Body = body
		}
		if in.Stance != nil {
			c.Stance = stance
		}
		if _, err := tx.ExecContext(ctx, "UPDATE comments SET body = ?, stance = ?, updated_at = ? WHERE id = ?", c.Body, c.Stance, s.now(), c.ID); err != nil {
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
		} else if _, err := SetCommentStatus(ctx, tx, s.catalog, c.ID, to); err != nil {
			return err
		}
		var rows []CommentRow
		if err := tx.NewRaw(commentSelect+" WHERE c.id = ?", c.ID).Scan(ctx, &rows); err != nil {
			return err
		}
		out = &rows[0]
		return nil
	})
	return out, err
}

func republishComment(ctx context.Context, tx *store.Tx, t *target, commentID int64) error {
	var rows []CommentRow
	if err := tx.NewRaw(commentSelect+" WHERE c.id = ?", commentID).Scan(ctx, &rows); err != nil {
		return err
	}
	groups, err := groupsOfField(ctx, tx, t.FieldID)
	if err != nil {
		return err
	}
	js := rows[0].JSON(nil)
	to := append(t.public(t.Topic(), t.ConsultationTopic()), groupTopics(groups)...)
	return tx.Emit(ctx, topics.CommentPublished, CommentEvent{Target: t.Kind, ID: t.ID, Comment: &js}, to...)
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
	if err := access.MayWrite(v); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		c, _, err := ownContribution[Comment](ctx, tx, v, commentID)
		if err != nil {
			return err
		}
		if c.Status == StatusWithdrawn {
			return nil
		}
		_, err = SetCommentStatus(ctx, tx, s.catalog, c.ID, StatusWithdrawn)
		return err
	})
}

// ownCommentForEdit loads v's own comment for the edit page, with the
// moderation mode its consultation runs.
func (s *Service) ownCommentForEdit(ctx context.Context, v *access.Viewer, id int64) (*CommentRow, string, error) {
	var rows []CommentRow
	if err := s.st.DB.NewRaw(commentSelect+" WHERE c.id = ?", id).Scan(ctx, &rows); err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		return nil, "", problem.NotFound()
	}
	if rows[0].AuthorID != v.UserID {
		return nil, "", problem.Forbidden()
	}
	if !editable(rows[0].Status) {
		return nil, "", problem.Conflict("error.not_editable")
	}
	t, err := loadTarget(ctx, s.st, rows[0].TargetKind, rows[0].TargetID)
	if err != nil {
		return nil, "", err
	}
	return &rows[0], t.Moderation, nil
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
