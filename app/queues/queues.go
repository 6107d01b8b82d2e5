// Package queues knows how much work waits in the moderation queues and in
// each expert group's inbox, and announces every change to the live
// subscribers of the "moderation" and "expert-group:{id}" topics, inside
// the write that caused it.
package queues

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// ModerationCounts are the sizes of the three moderation queues.
type ModerationCounts struct {
	Pending  int64 `json:"pending" bun:"pending"`
	Reported int64 `json:"reported" bun:"reported"`
	Appealed int64 `json:"appealed" bun:"appealed"`
}

// CountModeration reads the queue sizes (index-only counts).
func CountModeration(ctx context.Context, db bun.IDB) (ModerationCounts, error) {
	var c ModerationCounts
	err := db.NewRaw(`SELECT
  (SELECT COUNT(*) FROM comments c WHERE `+access.PendingSQL("c")+`) + (SELECT COUNT(*) FROM ideas i WHERE `+access.PendingSQL("i")+`) AS pending,
  (SELECT COUNT(*) FROM comments WHERE needs_review) + (SELECT COUNT(*) FROM ideas WHERE needs_review) AS reported,
  (SELECT COUNT(*) FROM appeals WHERE decided_at IS NULL) AS appealed`).Scan(ctx, &c)
	return c, err
}

// Item names the contribution an announcement is about.
type Item struct {
	Kind    string `json:"kind"` // "comment" or "idea"
	ID      int64  `json:"id"`
	FieldID int64  `json:"field_id"`
	State   string `json:"state,omitempty"`
	// Excerpt is a short part of the text, for the list that grows live.
	Excerpt string `json:"excerpt,omitempty"`
}

type moderationEvent struct {
	Counts ModerationCounts `json:"counts"`
	Item   *Item            `json:"item,omitempty"`
}

// AnnounceModeration sends moderation.queue with the current counts.
func AnnounceModeration(ctx context.Context, tx *store.Tx, item *Item) error {
	counts, err := CountModeration(ctx, tx)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, topics.ModerationQueue, moderationEvent{Counts: counts, Item: item}, topics.Moderation)
}

// InboxCounts are the items of a group's inbox not yet answered.
type InboxCounts struct {
	New      int64 `json:"new" bun:"new"`
	InReview int64 `json:"in_review" bun:"in_review"`
}

// CountInbox counts a group's published ideas and comments by triage
// state, from the counts triggers keep per field (see the inbox_counts
// migration): a few rows, however large the consultation.
func CountInbox(ctx context.Context, db bun.IDB, groupID int64) (InboxCounts, error) {
	var c InboxCounts
	err := db.NewRaw(`SELECT
  COALESCE(SUM(CASE WHEN ic.triage_state = 'new' THEN ic.n END), 0) AS new,
  COALESCE(SUM(CASE WHEN ic.triage_state = 'in_review' THEN ic.n END), 0) AS in_review
FROM inbox_counts ic JOIN expert_group_fields gf ON gf.field_id = ic.field_id
WHERE gf.group_id = ?0 AND ic.triage_state IN ('new', 'in_review')`, groupID).Scan(ctx, &c)
	return c, err
}

type inboxEvent struct {
	Counts InboxCounts `json:"counts"`
	Item   *Item       `json:"item,omitempty"`
}

// AnnounceInbox sends expert.inbox to every group serving the field.
func AnnounceInbox(ctx context.Context, tx *store.Tx, fieldID int64, item *Item) error {
	inboxes, err := InboxesOfField(ctx, tx, fieldID)
	if err != nil {
		return err
	}
	return inboxes.Announce(ctx, tx, item)
}

// Inbox is a group's inbox with its counts.
type Inbox struct {
	Group  int64
	Counts InboxCounts
}

// Inboxes are the inboxes of the groups serving one field, in group order.
type Inboxes []Inbox

// InboxesOfField reads, inside a write, the inbox of every group serving
// the field.
func InboxesOfField(ctx context.Context, tx *store.Tx, fieldID int64) (Inboxes, error) {
	rows, err := tx.Query(ctx, inboxesOfField, fieldID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var inboxes Inboxes
	for rows.Next() {
		var in Inbox
		if err := rows.Scan(&in.Group, &in.Counts.New, &in.Counts.InReview); err != nil {
			return nil, err
		}
		inboxes = append(inboxes, in)
	}
	return inboxes, rows.Err()
}

// Groups are the groups serving the field, for their live topics.
func (inboxes Inboxes) Groups() []int64 {
	out := make([]int64, len(inboxes))
	for i, in := range inboxes {
		out[i] = in.Group
	}
	return out
}

// Announce sends expert.inbox with its counts to every group.
func (inboxes Inboxes) Announce(ctx context.Context, tx *store.Tx, item *Item) error {
	for _, in := range inboxes {
		if err := tx.Emit(ctx, topics.ExpertInbox, inboxEvent{Counts: in.Counts, Item: item}, topics.ExpertGroup(in.Group)); err != nil {
			return err
		}
	}
	return nil
}

// inboxesOfField is CountInbox for every group serving a field, in one
// statement run prepared (Tx.Query): every published comment announces
// its field's inboxes, and the list of groups and a count per group, each
// written anew into the text by bun, were 1 + 2 statements per comment
// on the demo, each planned again (PostgreSQL: 64 µs and 2 × 166 µs of
// planning besides 13 µs and 2 × 44 µs of execution, pg_stat_statements
// during bench comment, 7 December 2026).
const inboxesOfField = `SELECT gf.group_id,
  COALESCE(SUM(CASE WHEN ic.triage_state = 'new' THEN ic.n END), 0),
  COALESCE(SUM(CASE WHEN ic.triage_state = 'in_review' THEN ic.n END), 0)
FROM expert_group_fields mine
JOIN expert_group_fields gf ON gf.group_id = mine.group_id
LEFT JOIN inbox_counts ic ON ic.field_id = gf.field_id AND ic.triage_state IN ('new', 'in_review')
WHERE mine.field_id = CAST(? AS BIGINT)
GROUP BY gf.group_id
ORDER BY gf.group_id`

// Excerpt shortens a text for an announcement.
func Excerpt(text string) string {
	r := []rune(strings.Join(strings.Fields(text), " "))
	if len(r) <= 140 {
		return string(r)
	}
	return string(r[:139]) + "…"
}
