package moderation

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/queues"
)

// LogEntry is one decision in the append-only log.
type LogEntry struct {
	ID           int64     `bun:"id"`
	ActorID      *int64    `bun:"actor_id"`
	ActorName    string    `bun:"actor_name"`
	ActorDeleted bool      `bun:"actor_deleted"`
	Kind         string    `bun:"target_kind"`
	TargetID     int64     `bun:"target_id"`
	Action       string    `bun:"action"`
	Reason       string    `bun:"reason"`
	Statement    string    `bun:"statement"`
	FromStatus   string    `bun:"from_status"`
	ToStatus     string    `bun:"to_status"`
	CreatedAt    time.Time `bun:"created_at"`
	// What was decided on: an idea's title or a comment's text, and for
	// a comment the measure or idea it is about, for the link.
	Text          string `bun:"text"`
	CommentTarget string `bun:"comment_target_kind"`
	CommentOn     int64  `bun:"comment_target_id"`
}

// Excerpt is the idea's title or the start of the comment.
func (e *LogEntry) Excerpt() string { return queues.Excerpt(e.Text) }

// Link is where the item is shown in its context.
func (e *LogEntry) Link() string {
	it := Item{Kind: e.Kind, ID: e.TargetID, TargetKind: e.CommentTarget, TargetID: e.CommentOn}
	return it.Link()
}

// Log lists decisions, newest first, before the cursor (0 starts at the newest).
func (s *Service) Log(ctx context.Context, before int64, limit int) ([]LogEntry, error) {
	q := `SELECT d.id, d.actor_id, COALESCE(u.display_name, '') AS actor_name, (u.deleted_at IS NOT NULL) AS actor_deleted,
  d.target_kind, d.target_id, d.action, d.reason, d.statement, d.from_status, d.to_status, d.created_at,
  COALESCE(i.title, c.body, '') AS text, COALESCE(c.target_kind, '') AS comment_target_kind, COALESCE(c.target_id, 0) AS comment_target_id
FROM moderation_decisions d LEFT JOIN users u ON u.id = d.actor_id
LEFT JOIN ideas i ON d.target_kind = 'idea' AND i.id = d.target_id
LEFT JOIN comments c ON d.target_kind = 'comment' AND c.id = d.target_id`
	return jsonapi.Newest[LogEntry](ctx, s.st.DB, q, "", nil, "d.id", before, limit)
}
