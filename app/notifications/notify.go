package notifications

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Notice is one thing to tell people, written in the transaction of what
// caused it. It is kept as message keys and translated texts, and shown
// in the language of whoever reads it (the page, a mail).
type Notice struct {
	Kind Kind
	// Title is what it is about (a measure's or an idea's title); empty
	// titles by the kind's name.
	Title locale.Text
	// Body is a catalog key, what happened, with its arguments (plain
	// texts such as a moderator's statement, never another person's data).
	Body string
	Args map[string]string
	// URL is the path of the item on this site.
	URL string
	// Mailed says the cause sends a mail of its own (a password reset):
	// the notification is in the app only.
	Mailed bool
}

// Plain is a title written in one language by a person (an excerpt of
// their contribution): the same for every reader.
func Plain(s string) locale.Text { return locale.Text{locale.Default: s} }

// Recipients names who is told, as a SELECT of user ids (for example
// everyone who voted on a measure) with its arguments. Erased accounts
// and Except (the person who caused it) are left out.
type Recipients struct {
	Query  string
	Args   []any
	Except int64
}

// To is the one person told.
func To(userID int64) Recipients {
	return Recipients{Query: "SELECT CAST(? AS BIGINT)", Args: []any{userID}}
}

// ToAll are the people with these ids (none: nobody is told).
func ToAll(ids []int64) Recipients {
	if len(ids) == 0 {
		return Recipients{}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return Recipients{Query: "SELECT id FROM users WHERE id IN (" + store.Placeholders(len(ids)) + ")", Args: args}
}

// Notify writes n for every recipient, in tx, and announces each
// notification on its owner's private topic (notification.created, the
// item in the owner's language, rendered with cat; without a catalog the
// item carries no text).
func Notify(ctx context.Context, tx *store.Tx, cat *locale.Catalog, to Recipients, n Notice) error {
	if to.Query == "" {
		return nil
	}
	title, err := json.Marshal(n.Title)
	if err != nil {
		return err
	}
	args, err := json.Marshal(n.Args)
	if err != nil {
		return err
	}
	// Who is told, and in which language: read first, since an INSERT
	// answers only the rows it wrote.
	langs := map[int64]string{}
	who := "FROM users u WHERE u.id IN (" + to.Query + ") AND u.id <> ? AND u.deleted_at IS NULL"
	rows, err := tx.Query(ctx, "SELECT u.id, u.locale "+who, append(slices.Clone(to.Args), to.Except)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var lang string
		if err := rows.Scan(&id, &lang); err != nil {
			rows.Close()
			return err
		}
		langs[id] = lang
	}
	if err := rows.Close(); err != nil || len(langs) == 0 {
		return err
	}
	now := time.Now().UTC()
	params := append([]any{string(n.Kind), string(title), n.Body, string(args), n.URL, tx.Time(now)}, to.Args...)
	// How it goes out by mail: as the person chose (Defaults else), never
	// to an account without an address.
	params = append([]any{n.Mailed, string(n.Kind), string(Defaults[n.Kind])}, params...)
	rows, err = tx.Query(ctx, `INSERT INTO notifications (mail, user_id, kind, title, body_key, body_args, url, created_at)
SELECT CASE WHEN u.email IS NULL OR ? THEN 'off'
  ELSE COALESCE((SELECT s.delivery FROM notification_settings s WHERE s.user_id = u.id AND s.kind = ?), ?) END,
  u.id, ?, ?, ?, ?, ?, ? `+who+` RETURNING id, user_id`, append(params, to.Except)...)
	if err != nil {
		return err
	}
	made := map[int64]int64{} // notification → owner
	for rows.Next() {
		var id, user int64
		if err := rows.Scan(&id, &user); err != nil {
			rows.Close()
			return err
		}
		made[id] = user
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(made)) {
		it := Item{ID: id, Kind: n.Kind, URL: n.URL, CreatedAt: now}
		if cat != nil {
			it.Title, it.Body = n.In(cat.Get(langs[made[id]]))
		}
		if err := tx.Emit(ctx, topics.NotificationCreated, it, topics.User(made[id])); err != nil {
			return err
		}
	}
	return nil
}
