package store

import (
	"context"
	"time"
)

// Backlog is how much waits (events to be numbered, mail to be sent,
// contributions to be decided) and since when: what an operator watches
// to see that the instances keep up.
type Backlog struct {
	Count int64 `bun:"n"`
	// Oldest is when the longest-waiting item was created; nil when none waits.
	Oldest *time.Time `bun:"oldest"`
}

// Age is how long the oldest item has waited; 0 when none waits.
func (b Backlog) Age(now time.Time) time.Duration {
	if b.Count == 0 || b.Oldest == nil {
		return 0
	}
	return max(now.Sub(*b.Oldest), 0)
}

// ReadBacklog runs query on the read pool. It must answer one row with
// the columns n (how many wait) and oldest (the earliest creation time,
// NULL when none waits).
func (s *Store) ReadBacklog(ctx context.Context, query string, args ...any) (Backlog, error) {
	var b Backlog
	err := s.DB.NewRaw(query, args...).Scan(ctx, &b)
	return b, err
}
