package jsonapi

import (
	"context"

	"github.com/uptrace/bun"
)

// Newest reads a page of a list kept newest first by an id column (the
// moderation and audit logs, barrier reports, a field's ideas): up to
// limit rows of query, those with where (if not "") and, when before is
// not 0, an id below before. args are the arguments of where.
func Newest[T any](ctx context.Context, db bun.IDB, query, where string, args []any, id string, before int64, limit int) ([]T, error) {
	if before > 0 {
		if where != "" {
			where += " AND "
		}
		where += id + " < ?"
		args = append(args, before)
	}
	if where != "" {
		query += " WHERE " + where
	}
	var out []T
	err := db.NewRaw(query+" ORDER BY "+id+" DESC LIMIT ?", append(args, limit)...).Scan(ctx, &out)
	return out, err
}
