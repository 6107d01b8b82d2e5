package queues

import (
	"net/url"
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

// Filter is what the moderation queue and a group's inbox are both
// narrowed by, besides a state and filters of their own.
type Filter struct {
	FieldID int64
	// ContentLang keeps contributions written in this language.
	ContentLang string
}

// Where is f as conditions on the contributions aliased alias, each
// after " AND ", with their arguments.
func (f Filter) Where(alias string) (string, []any) {
	q, args := "", []any{}
	if f.FieldID != 0 {
		q += " AND " + alias + ".field_id = ?"
		args = append(args, f.FieldID)
	}
	if f.ContentLang != "" {
		q += " AND " + alias + ".lang = ?"
		args = append(args, f.ContentLang)
	}
	return q, args
}

// ParseFilter reads the ?field=, ?cursor= and ?content_lang= that the
// queue and the inbox both take, checking them in v after the caller's
// own parameters (so the errors keep their order).
// NextURL is the link to the next page of a list at path: the cursor,
// the filter and the page's own parameters (name, value pairs; empty
// values left out), so that the next page keeps every filter. It is ""
// on the last page.
func NextURL(path string, next *string, f Filter, params ...string) string {
	if next == nil {
		return ""
	}
	q := url.Values{"cursor": {*next}}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			q.Set(params[i], params[i+1])
		}
	}
	if f.FieldID != 0 {
		q.Set("field", strconv.FormatInt(f.FieldID, 10))
	}
	if f.ContentLang != "" {
		q.Set("content_lang", f.ContentLang)
	}
	return path + "?" + q.Encode()
}

func ParseFilter(c *fiber.Ctx, v *problem.Validator) (Filter, *Cursor) {
	var f Filter
	var cursor *Cursor
	if raw := c.Query("field"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		v.Check(err == nil && id > 0, "field", "error.field_unknown")
		f.FieldID = id
	}
	if raw := c.Query("cursor"); raw != "" {
		k, ok := jsonapi.DecodeKey(raw, 3)
		v.Check(ok, "cursor", "error.cursor")
		if ok {
			cursor = &Cursor{CreatedAt: time.UnixMicro(k[0]).UTC(), KindRank: int(k[1]), ID: k[2]}
		}
	}
	f.ContentLang = parseContentLang(c, v)
	return f, cursor
}

// parseContentLang reads ?content_lang=, the language contributions were
// written in, as contributions store it (a BCP 47 tag, canonical form);
// an unknown code is an error on content_lang.
func parseContentLang(c *fiber.Ctx, v *problem.Validator) string {
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
