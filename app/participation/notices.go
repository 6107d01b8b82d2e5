package participation

import (
	"context"
	"strconv"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Subject is how a notification names a measure, an idea or a comment:
// the title of the item (a comment's measure or idea), the address to
// open, and the contribution's author.
type Subject struct {
	Title    locale.Text
	URL      string
	AuthorID int64
}

// About reads the subject of a notification about kind ("measure",
// "idea" or "comment") id, inside a write.
func About(ctx context.Context, tx *store.Tx, kind string, id int64) (*Subject, error) {
	var (
		s      Subject
		target = Kind(kind)
		itemID = id
	)
	if kind == "comment" {
		if err := tx.QueryRow(ctx, "SELECT target_kind, target_id, author_id FROM comments WHERE id = ?", id).Scan(&target, &itemID, &s.AuthorID); err != nil {
			return nil, notFound(err)
		}
	}
	switch target {
	case KindMeasure:
		if err := tx.QueryRow(ctx, "SELECT title FROM measures WHERE id = ?", itemID).Scan(&s.Title); err != nil {
			return nil, notFound(err)
		}
	case KindIdea:
		var title string
		var author int64
		if err := tx.QueryRow(ctx, "SELECT title, author_id FROM ideas WHERE id = ?", itemID).Scan(&title, &author); err != nil {
			return nil, notFound(err)
		}
		s.Title = notifications.Plain(title)
		if kind == "idea" {
			s.AuthorID = author
		}
	default:
		return nil, problem.NotFound()
	}
	s.URL = itemPath(target, itemID)
	if kind == "comment" {
		s.URL += "#comment-" + strconv.FormatInt(id, 10)
	}
	return &s, nil
}

func notFound(err error) error {
	if store.IsNoRows(err) {
		return problem.NotFound()
	}
	return err
}

// notifyReply tells a comment's author that a reply to it was published.
func notifyReply(ctx context.Context, tx *store.Tx, row *CommentRow) error {
	if row.ParentID == nil {
		return nil
	}
	parent, err := About(ctx, tx, "comment", *row.ParentID)
	if err != nil {
		return err
	}
	return notifications.Notify(ctx, tx, notifications.Recipients{
		Query: "SELECT CAST(? AS BIGINT)", Args: []any{parent.AuthorID}, Except: row.AuthorID,
	}, notifications.Notice{
		Kind: notifications.Reply, Title: parent.Title, Body: "notifications.reply",
		URL: itemPath(row.TargetKind, row.TargetID) + "#comment-" + strconv.FormatInt(row.ID, 10),
	})
}
