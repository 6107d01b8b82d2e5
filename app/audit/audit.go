// Package audit keeps the record of administrative changes: who changed
// what, when, and the state before and after. Entries are written in the
// same transaction as the change, so there is no change without its entry.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mitreden/mitreden/app/store"
)

// Record writes one entry. actorID 0 means the system (the demo seed, the
// command line). before and after are encoded as JSON; nil is empty.
func Record(ctx context.Context, tx *store.Tx, actorID int64, action, kind string, id any, before, after any) error {
	b, err := encode(before)
	if err != nil {
		return err
	}
	a, err := encode(after)
	if err != nil {
		return err
	}
	var actor *int64
	if actorID != 0 {
		actor = &actorID
	}
	_, err = tx.ExecContext(ctx,
		"INSERT INTO audit_log (actor_id, action, object_kind, object_id, before_state, after_state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		actor, action, kind, fmt.Sprint(id), b, a, time.Now().UTC())
	return err
}

func encode(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	raw, err := json.Marshal(v)
	return string(raw), err
}
