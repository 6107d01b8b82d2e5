package notifications

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// List answers userID's notifications in l's language, newest first, those
// older than the notification with id before when before is set (the
// list's cursor).
func (s *Service) List(ctx context.Context, l *locale.Localizer, userID, before int64, limit int) ([]Item, error) {
	q := "SELECT id, kind, title, body_key, body_args, url, created_at, read_at FROM notifications WHERE user_id = ?"
	args := []any{userID}
	if before > 0 {
		q += " AND id < ?"
		args = append(args, before)
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	var out []Item
	err := s.st.Each(ctx, q, args, func(rows *sql.Rows) error {
		var (
			it              Item
			title, key, arg string
			read            sql.NullTime
		)
		if err := rows.Scan(&it.ID, &it.Kind, &title, &key, &arg, &it.URL, &it.CreatedAt, &read); err != nil {
			return err
		}
		it.Title, it.Body = render(l, it.Kind, title, key, arg)
		it.CreatedAt = it.CreatedAt.UTC()
		if read.Valid {
			at := read.Time.UTC()
			it.ReadAt = &at
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

// render writes a kept notification (its title and arguments as stored,
// JSON) in l's language.
func render(l *locale.Localizer, kind Kind, title, key, args string) (string, string) {
	var t locale.Text
	_ = json.Unmarshal([]byte(title), &t)
	var a map[string]string
	_ = json.Unmarshal([]byte(args), &a)
	return Notice{Kind: kind, Title: t, Body: key, Args: a}.In(l)
}

// In writes n in l's language: the item's title (or the kind's name), and
// what happened.
func (n Notice) In(l *locale.Localizer) (title, body string) {
	title = n.Title.String(l.Lang.Code)
	if title == "" {
		title = l.T(KindKey(n.Kind))
	}
	args := make(map[string]any, len(n.Args))
	for k, v := range n.Args {
		args[k] = v
	}
	return title, l.T(n.Body, args)
}

// Unread counts userID's unread notifications (the header shows it).
func (s *Service) Unread(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.st.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", userID).Scan(&n)
	return n, err
}

// MaxMarked caps the ids one request marks read.
const MaxMarked = 1000

// MarkRead marks notifications of userID read: those in ids, or every
// one with all. Ids of other people's notifications change nothing.
func (s *Service) MarkRead(ctx context.Context, userID int64, ids []int64, all bool) error {
	if !all && len(ids) == 0 {
		return problem.Invalid(problem.Field("ids", "error.notification_ids"))
	}
	if len(ids) > MaxMarked {
		return problem.Invalid(problem.Field("ids", "error.notification_ids"))
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		q := "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
		args := []any{tx.Time(time.Now().UTC()), userID}
		if !all {
			q += " AND id IN (" + store.Placeholders(len(ids)) + ")"
			for _, id := range ids {
				args = append(args, id)
			}
		}
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

// keepRead is how long a read notification is kept after it was made.
const keepRead = 1 // year

// PruneRead deletes, in tx, up to limit read notifications made more than
// keepRead years ago, and answers whether more may be left (the server's
// retention round calls it until none are). Unread ones stay, however old.
func (s *Service) PruneRead(ctx context.Context, tx *store.Tx, limit int) (more bool, err error) {
	return tx.ExecBatch(ctx, limit, "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE read_at IS NOT NULL AND created_at < ? LIMIT ?)",
		tx.Time(time.Now().AddDate(-keepRead, 0, 0)))
}

// Item is a notification as its owner sees it, in their language.
type Item struct {
	ID        int64      `json:"id"`
	Kind      Kind       `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	URL       string     `json:"url"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}
