package participation

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/store"
)

// moderated are the columns comments and ideas share: both go through the
// same screening, moderation, edits and withdrawal, which read only these.
// Comment and Idea embed it; bun reads its fields as their own columns.
type moderated struct {
	AuthorID    int64      `bun:"author_id"`
	Status      string     `bun:"status"`
	Version     int        `bun:"version"`
	Flags       string     `bun:"flags"`
	NeedsReview bool       `bun:"needs_review"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	PublishedAt *time.Time `bun:"published_at"`
}

// newModerated starts a contribution under the consultation's moderation:
// pending under pre-moderation, else published at once and, when the
// screening flagged it, up for review afterwards.
func newModerated(authorID int64, moderation, flags string, flagged bool, now time.Time) moderated {
	m := moderated{AuthorID: authorID, Status: StatusPublished, Version: 1, Flags: flags, CreatedAt: now, UpdatedAt: now}
	if moderation == consultations.ModerationPre {
		m.Status = StatusPending
		return m
	}
	m.PublishedAt = &now
	m.NeedsReview = flagged
	return m
}

func (m *moderated) shared() *moderated { return m }

// queueNew puts a new contribution before the moderators when it waits
// for them or was published flagged.
func (m *moderated) queueNew(ctx context.Context, tx *store.Tx, kind string, id, fieldID int64, text string) error {
	if m.Status != StatusPending && !m.NeedsReview {
		return nil
	}
	return queues.AnnounceModeration(ctx, tx, &queues.Item{Kind: kind, ID: id, FieldID: fieldID, State: m.Status, Excerpt: queues.Excerpt(text)})
}

// editable reports whether an author may still change a contribution:
// decided and withdrawn ones stay as they were.
func editable(status string) bool {
	return status == StatusPending || status == StatusPublished
}

// contribution is a *Comment or an *Idea, for what works on either.
type contribution[T any] interface {
	*T
	shared() *moderated
	// item is the idea or measure the contribution belongs to (an idea
	// belongs to itself).
	item() (Kind, int64)
}

// ownContribution locks v's own comment or idea for a change, inside a
// write, with the item it belongs to, whose consultation must still take
// contributions.
func ownContribution[T any, P contribution[T]](ctx context.Context, tx *store.Tx, v *access.Viewer, id int64) (P, *target, error) {
	row := P(new(T))
	if err := tx.Locked(tx.NewSelect().Model(row).Where("id = ?", id)).Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, nil, problem.NotFound()
		}
		return nil, nil, err
	}
	if row.shared().AuthorID != v.UserID {
		return nil, nil, problem.Forbidden()
	}
	kind, itemID := row.item()
	t, err := loadTarget(ctx, tx, kind, itemID)
	if err != nil {
		return nil, nil, err
	}
	if t.Moderation, err = consultations.GuardWrite(ctx, tx, v, t.ConsultationID); err != nil {
		return nil, nil, err
	}
	return row, t, nil
}

// editOwn is what an author's edit of a comment or an idea shares. The
// input was checked into val: with an error there, nothing is read.
// Inside one write v's own contribution is locked and refused when no
// longer editable; save then changes it, screening the new text with
// matcher. An edit is a new version (save's UPDATE says so), so that a
// moderator's decision on the text read before it is refused as stale.
func editOwn[T any, P contribution[T]](ctx context.Context, s *Service, v *access.Viewer, id int64, val *problem.Validator,
	save func(ctx context.Context, tx *store.Tx, c P, t *target, matcher *screening.Matcher) error) error {
	if err := val.Err(); err != nil {
		return err
	}
	matcher, err := s.Screener.Matcher(ctx)
	if err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		c, t, err := ownContribution[T, P](ctx, tx, v, id)
		if err != nil {
			return err
		}
		if !editable(c.shared().Status) {
			return problem.Conflict("error.not_editable")
		}
		return save(ctx, tx, c, t, matcher)
	})
}

// withdrawOwn takes back v's own comment or idea: set moves it to
// withdrawn (SetIdeaStatus, Service.setCommentStatus), and it leaves
// every public list.
func withdrawOwn[T any, P contribution[T]](ctx context.Context, s *Service, v *access.Viewer, id int64,
	set func(ctx context.Context, tx *store.Tx, id int64, to string) (int, error)) error {
	if err := access.MayWrite(v); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		c, _, err := ownContribution[T, P](ctx, tx, v, id)
		if err != nil {
			return err
		}
		if c.shared().Status == StatusWithdrawn {
			return nil
		}
		_, err = set(ctx, tx, id, StatusWithdrawn)
		return err
	})
}

// setStatus moves row id of table (comments or ideas) to status to and
// answers its new version. published_at keeps the first publication.
func setStatus(ctx context.Context, tx *store.Tx, table string, id int64, to string) (int, error) {
	now := time.Now().UTC()
	q := "UPDATE " + table + " SET status = ?, version = version + 1, updated_at = ?"
	args := []any{to, now}
	if to == StatusPublished {
		q += ", published_at = COALESCE(published_at, ?)"
		args = append(args, now)
	}
	var version int
	err := tx.NewRaw(q+" WHERE id = ? RETURNING version", append(args, id)...).Scan(ctx, &version)
	return version, err
}
