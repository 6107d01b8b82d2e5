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
	var groups []int64
	if err := tx.NewRaw("SELECT group_id FROM expert_group_fields WHERE field_id = ? ORDER BY group_id", fieldID).Scan(ctx, &groups); err != nil && !store.IsNoRows(err) {
		return err
	}
	for _, g := range groups {
		counts, err := CountInbox(ctx, tx, g)
		if err != nil {
			return err
		}
		if err := tx.Emit(ctx, topics.ExpertInbox, inboxEvent{Counts: counts, Item: item}, topics.ExpertGroup(g)); err != nil {
			return err
		}
	}
	return nil
}

// Excerpt shortens a text for an announcement.
func Excerpt(text string) string {
	r := []rune(strings.Join(strings.Fields(text), " "))
	if len(r) <= 140 {
		return string(r)
	}
	return string(r[:139]) + "…"
}
