package moderation

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/jsonapi"
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
}

// Log lists decisions, newest first, before the cursor (0 starts at the newest).
func (s *Service) Log(ctx context.Context, before int64, limit int) ([]LogEntry, error) {
	q := `SELECT d.id, d.actor_id, COALESCE(u.display_name, '') AS actor_name, (u.deleted_at IS NOT NULL) AS actor_deleted,
  d.target_kind, d.target_id, d.action, d.reason, d.statement, d.from_status, d.to_status, d.created_at
FROM moderation_decisions d LEFT JOIN users u ON u.id = d.actor_id`
	return jsonapi.Newest[LogEntry](ctx, s.st.DB, q, "", nil, "d.id", before, limit)
}
