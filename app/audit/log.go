package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/store"
)

// Entry is one line of the audit log. ActorID is nil for the system;
// Before and After are JSON, empty when there was nothing.
type Entry struct {
	ID          int64     `bun:"id"`
	ActorID     *int64    `bun:"actor_id"`
	ActorName   *string   `bun:"actor_name"`
	Action      string    `bun:"action"`
	ObjectKind  string    `bun:"object_kind"`
	ObjectID    string    `bun:"object_id"`
	BeforeState string    `bun:"before_state"`
	AfterState  string    `bun:"after_state"`
	CreatedAt   time.Time `bun:"created_at"`
}

// List answers entries newest first: before 0 starts at the newest, else
// the page starts below that id.
func List(ctx context.Context, db bun.IDB, before int64, limit int) ([]Entry, error) {
	q := `
SELECT a.id, a.actor_id, u.display_name AS actor_name, a.action, a.object_kind, a.object_id,
  a.before_state, a.after_state, a.created_at
FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id`
	return jsonapi.Newest[Entry](ctx, db, q, "", nil, "a.id", before, limit)
}

// Handlers serve the audit log to administrators.
type Handlers struct{ st *store.Store }

// NewHandlers wires the handlers.
func NewHandlers(st *store.Store) *Handlers { return &Handlers{st: st} }

type entryJSON struct {
	ID         int64           `json:"id"`
	Actor      *jsonapi.Person `json:"actor"`
	Action     string          `json:"action"`
	ObjectKind string          `json:"object_kind"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	CreatedAt  time.Time       `json:"created_at"`
}

func rawOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

// APIList is GET /api/v1/audit-log (admin), newest first.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	list := func(ctx context.Context, after int64, limit int) ([]Entry, error) {
		return List(ctx, h.st.DB, after, limit)
	}
	return jsonapi.ServeList(c, list, func(e Entry) int64 { return e.ID }, entryOut)
}

func entryOut(e *Entry) entryJSON {
	out := entryJSON{
		ID: e.ID, Action: e.Action, ObjectKind: e.ObjectKind, ObjectID: e.ObjectID,
		Before: rawOrNull(e.BeforeState), After: rawOrNull(e.AfterState), CreatedAt: e.CreatedAt.UTC(),
	}
	if e.ActorID != nil {
		out.Actor = &jsonapi.Person{ID: *e.ActorID}
		if e.ActorName != nil {
			out.Actor.DisplayName = *e.ActorName
		}
	}
	return out
}
