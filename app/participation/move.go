package participation

import (
	"context"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// MoveIdea puts an idea in another field inside a write (moderation moves
// a misplaced one), with the field its comments copy for the expert
// inboxes. Whoever can see the idea hears that it changed; the groups of
// the old field see it go, those of the new one see it come. It answers
// the idea as it now is.
func MoveIdea(ctx context.Context, tx *store.Tx, id, toField int64) (*IdeaRow, error) {
	before, oldGroups, err := ideaTopics(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE ideas SET field_id = ? WHERE id = ?", toField, id); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE comments SET field_id = ? WHERE target_kind = 'idea' AND target_id = ?", toField, id); err != nil {
		return nil, err
	}
	row, err := ideaRow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !access.IsPublic(before.Status) {
		return row, nil
	}
	newGroups, err := consultations.GroupsOfField(ctx, tx, toField)
	if err != nil {
		return nil, err
	}
	js := row.JSON(nil)
	if err := tx.Emit(ctx, topics.IdeaUpdated, js, before.public(before.Topic(), before.ConsultationTopic())...); err != nil {
		return nil, err
	}
	if err := tx.Emit(ctx, topics.IdeaRemoved, IdeaEvent{ID: id}, oldGroups...); err != nil {
		return nil, err
	}
	if err := tx.Emit(ctx, topics.IdeaPublished, IdeaEvent{Idea: &js}, groupTopics(newGroups)...); err != nil {
		return nil, err
	}
	if err := queues.AnnounceInbox(ctx, tx, before.FieldID, nil); err != nil {
		return nil, err
	}
	return row, queues.AnnounceInbox(ctx, tx, toField, &queues.Item{Kind: "idea", ID: id, FieldID: toField, Excerpt: queues.Excerpt(row.Title)})
}
