package notifications

import (
	"context"
	"encoding/json"
	"strings"
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
	return Recipients{Query: "SELECT id FROM users WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", Args: args}
}

// Created is the data of notification.created, on its owner's private
// topic; the reader's page reads the item in their language.
type Created struct {
	ID   int64  `json:"id"`
	Kind Kind   `json:"kind"`
	URL  string `json:"url"`
}

// Notify writes n for every recipient, in tx, in one statement, and
// announces each notification on its owner's private topic.
func Notify(ctx context.Context, tx *store.Tx, to Recipients, n Notice) error {
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
	query := `INSERT INTO notifications (user_id, kind, title, body_key, body_args, url, created_at)
SELECT u.id, ?, ?, ?, ?, ?, ? FROM users u
WHERE u.id IN (` + to.Query + `) AND u.id <> ? AND u.deleted_at IS NULL
RETURNING id, user_id`
	params := append([]any{string(n.Kind), string(title), n.Body, string(args), n.URL, tx.Time(time.Now().UTC())}, to.Args...)
	params = append(params, to.Except)
	rows, err := tx.Query(ctx, query, params...)
	if err != nil {
		return err
	}
	type made struct{ id, user int64 }
	var all []made
	for rows.Next() {
		var m made
		if err := rows.Scan(&m.id, &m.user); err != nil {
			rows.Close()
			return err
		}
		all = append(all, m)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, m := range all {
		if err := tx.Emit(ctx, topics.NotificationCreated, Created{ID: m.id, Kind: n.Kind, URL: n.URL}, topics.User(m.user)); err != nil {
			return err
		}
	}
	return nil
}
