package consultations

import (
	"context"
	"database/sql"
)

// Reader is what one signed-in reader has to do with a measure or an
// idea: their vote and whether they follow it.
type Reader struct {
	MyVote    *int
	Following bool
}

// rowQuerier is the store's read pool.
type rowQuerier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// ReaderOf reads userID's vote on an item and whether they follow it, in
// one statement: every signed-in read of an item asks (nothing for
// userID 0, an anonymous reader).
func ReaderOf(ctx context.Context, db rowQuerier, userID int64, kind string, id int64) (Reader, error) {
	var r Reader
	if userID == 0 {
		return r, nil
	}
	var vote sql.NullInt64
	err := db.QueryRow(ctx, `SELECT (SELECT value FROM votes WHERE user_id = ? AND target_kind = ? AND target_id = ?),
  EXISTS (SELECT 1 FROM follows WHERE user_id = ? AND target_kind = ? AND target_id = ?)`,
		userID, kind, id, userID, kind, id).Scan(&vote, &r.Following)
	if err != nil {
		return r, err
	}
	if vote.Valid {
		v := int(vote.Int64)
		r.MyVote = &v
	}
	return r, nil
}
