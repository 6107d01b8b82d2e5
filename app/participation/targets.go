// Package participation is what residents do: vote on measures and ideas,
// comment with a stance (one reply level), submit ideas, and report
// contributions. Every write goes through the store's write path with its
// outbox event in the same transaction; tallies are maintained there too.
package participation

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Kind is what can be voted and commented on.
type Kind string

const (
	KindMeasure Kind = "measure"
	KindIdea    Kind = "idea"
)

// Contribution states (moderation), as access defines them with the rule
// of who sees which.
const (
	StatusPending   = access.Pending
	StatusPublished = access.Published
	StatusRejected  = access.Rejected
	StatusHidden    = access.Hidden
	StatusWithdrawn = access.Withdrawn
)

// target is a measure or an idea with the context every write checks.
type target struct {
	Kind           Kind
	ID             int64
	FieldID        int64  `bun:"field_id"`
	ConsultationID int64  `bun:"consultation_id"`
	Slug           string `bun:"slug"`
	Phase          string `bun:"phase"`
	Moderation     string `bun:"moderation"`
	// Status is an idea's moderation state; measures are always published.
	Status   string `bun:"status"`
	AuthorID int64  `bun:"author_id"`
}

// Topic is the item's live topic, e.g. "measure:12".
func (t *target) Topic() topics.Topic { return topics.Item(string(t.Kind), t.ID) }

// ConsultationTopic is the consultation's live topic.
func (t *target) ConsultationTopic() topics.Topic { return topics.Consultation(t.Slug) }

// public answers topics when the item is public, and none while its
// consultation is a draft: public topics carry only what a signed-out
// visitor could see.
func (t *target) public(to ...topics.Topic) []topics.Topic {
	if !access.PublicPhase(t.Phase) {
		return nil
	}
	return to
}

// rowReader is the store's read pool or a write: both run raw statements.
type rowReader interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

const (
	measureTarget = `SELECT m.field_id, f.consultation_id, c.slug, c.phase, c.moderation
FROM measures m JOIN fields f ON f.id = m.field_id JOIN consultations c ON c.id = f.consultation_id WHERE m.id = CAST(? AS BIGINT)`
	ideaTarget = `SELECT i.field_id, f.consultation_id, c.slug, c.phase, c.moderation, i.status, i.author_id
FROM ideas i JOIN fields f ON f.id = i.field_id JOIN consultations c ON c.id = f.consultation_id WHERE i.id = CAST(? AS BIGINT)`
)

// loadTarget finds a measure or an idea with its field and consultation.
// It is on every vote's path: a raw statement, its id passed as
// CAST(? AS BIGINT) (see app/store/raw.go).
func loadTarget(ctx context.Context, db rowReader, kind Kind, id int64) (*target, error) {
	t := &target{Kind: kind, ID: id}
	q, into := measureTarget, []any{&t.FieldID, &t.ConsultationID, &t.Slug, &t.Phase, &t.Moderation}
	switch kind {
	case KindMeasure:
		t.Status = StatusPublished
	case KindIdea:
		q, into = ideaTarget, append(into, &t.Status, &t.AuthorID)
	default:
		return nil, problem.NotFound()
	}
	err := db.QueryRow(ctx, q, id).Scan(into...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// visibleTo reports whether v may see the target at all.
func (t *target) visibleTo(v *access.Viewer) bool { return v.SeesItem(t.Phase, t.Status, t.AuthorID) }

// preloadTarget reads what never changes about a target (its field and
// consultation) on the read pool, before the write, so the single writer
// only has to check what can change: the phase, the moderation mode and
// an idea's state.
func (s *Service) preloadTarget(ctx context.Context, v *access.Viewer, kind Kind, id int64) (*target, error) {
	t, err := loadTarget(ctx, s.st, kind, id)
	if err != nil {
		return nil, err
	}
	if !t.visibleTo(v) {
		return nil, problem.NotFound()
	}
	return t, nil
}

// recheckTarget checks, inside the write, that a preloaded target can
// still be contributed to: it exists for the writer, is published, and its
// consultation is open (with its moderation mode as it is now).
func recheckTarget(ctx context.Context, tx *store.Tx, v *access.Viewer, pre *target) (*target, error) {
	t := *pre
	if t.Kind == KindIdea {
		// Moderation may move an idea to another field: locked, so that a
		// move waits for this write or this write reads the moved idea,
		// and a comment always copies the field its idea is in.
		if err := tx.QueryRowForShare(ctx, "SELECT status, field_id FROM ideas WHERE id = ?", t.ID).Scan(&t.Status, &t.FieldID); err != nil {
			if store.IsNoRows(err) {
				return nil, problem.NotFound()
			}
			return nil, err
		}
	}
	return &t, checkTarget(ctx, tx, v, &t)
}

// checkTarget refuses contributions to what the writer may not see, to
// consultations that are not open and to ideas not yet published.
func checkTarget(ctx context.Context, tx *store.Tx, v *access.Viewer, t *target) error {
	if !t.visibleTo(v) {
		return problem.NotFound()
	}
	moderation, err := consultations.GuardWrite(ctx, tx, v, t.ConsultationID)
	if err != nil {
		return err
	}
	t.Moderation = moderation
	if t.Status != StatusPublished {
		// The author sees a pending idea but nobody votes or comments on it yet.
		return problem.Conflict("error.not_published")
	}
	return nil
}

// Author is how a contribution's author appears: {id, display_name}, with
// id null and a "deleted account" name after erasure, and role for staff.
type Author struct {
	ID          *int64 `json:"id"`
	DisplayName string `json:"display_name"`
	// Role is moderator, expert or admin on ideas and comments by staff
	// (see Authored.Contributor), absent for residents.
	Role string `json:"role,omitempty"`
}

// authorOf builds an Author from the joined user columns. Live events are
// rendered once for every subscriber, without a language (l nil).
func AuthorOf(id int64, name string, deleted bool, l *locale.Localizer) Author {
	if deleted {
		if l == nil {
			return Author{DisplayName: "deleted account"}
		}
		return Author{DisplayName: l.T("author.deleted")}
	}
	return Author{ID: &id, DisplayName: name}
}

func groupTopics(groups []int64) []topics.Topic {
	out := make([]topics.Topic, 0, len(groups))
	for _, g := range groups {
		out = append(out, topics.ExpertGroup(g))
	}
	return out
}
