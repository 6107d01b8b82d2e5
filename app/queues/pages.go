package queues

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"

	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/problem"
)

// Cursor is where a page of the moderation queue or of a group's inbox
// continues: the item it ended with, in the order both lists keep
// (created_at, then kind rank, then id).
type Cursor struct {
	CreatedAt time.Time
	KindRank  int
	ID        int64
}

// Encode makes the opaque ?cursor= value of c.
func (c Cursor) Encode() string {
	return jsonapi.EncodeKey(c.CreatedAt.UnixMicro(), int64(c.KindRank), c.ID)
}

// ParseFieldAndCursor reads the ?field= and ?cursor= that the queue and
// the inbox both take, checking them in v after the caller's own
// parameters (so the errors keep their order).
func ParseFieldAndCursor(c *fiber.Ctx, v *problem.Validator) (fieldID int64, cursor *Cursor) {
	if raw := c.Query("field"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		v.Check(err == nil && id > 0, "field", "error.field_unknown")
		fieldID = id
	}
	if raw := c.Query("cursor"); raw != "" {
		k, ok := jsonapi.DecodeKey(raw, 3)
		v.Check(ok, "cursor", "error.cursor")
		if ok {
			cursor = &Cursor{CreatedAt: time.UnixMicro(k[0]).UTC(), KindRank: int(k[1]), ID: k[2]}
		}
	}
	return fieldID, cursor
}

// ParseContentLang reads ?content_lang=, the language contributions were
// written in, as contributions store it (a BCP 47 tag, canonical form);
// an unknown code is an error on content_lang.
func ParseContentLang(c *fiber.Ctx, v *problem.Validator) string {
	raw := c.Query("content_lang")
	if raw == "" {
		return ""
	}
	tag, err := language.Parse(raw)
	v.Check(err == nil && len(raw) <= 35, "content_lang", "error.lang")
	if err != nil {
		return ""
	}
	return tag.String()
}

// Page trims up to limit+1 fetched items to a page; when there were more,
// it also returns the cursor of the page's last item.
func Page[T any](items []T, limit int, key func(*T) Cursor) ([]T, *string) {
	if len(items) <= limit {
		return items, nil
	}
	items = items[:limit]
	next := key(&items[limit-1]).Encode()
	return items, &next
}
