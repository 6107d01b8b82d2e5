package jsonapi

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

// Page is a parsed ?limit= and ?cursor=.
type Page struct {
	Limit int
	// After is the sort key the previous page ended with; 0 starts at the beginning.
	After int64
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ParseLimit reads ?limit= (default 50, at most 200), for lists with
// cursors of their own.
func ParseLimit(c *fiber.Ctx) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, problem.Invalid(problem.Field("limit", "error.limit"))
	}
	return min(n, MaxLimit), nil
}

// ParsePage reads ?limit= (default 50, at most 200) and ?cursor=.
func ParsePage(c *fiber.Ctx) (Page, error) {
	p := Page{Limit: DefaultLimit}
	var v problem.Validator
	if limit, err := ParseLimit(c); err != nil {
		v.Add(problem.Field("limit", "error.limit"))
	} else {
		p.Limit = limit
	}
	if raw := c.Query("cursor"); raw != "" {
		after, ok := DecodeCursor(raw)
		v.Check(ok, "cursor", "error.cursor")
		p.After = after
	}
	return p, v.Err()
}

// EncodeCursor makes an opaque cursor from a sort key.
func EncodeCursor(after int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(after, 10)))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'c' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[1:]), 10, 64)
	return n, err == nil && n > 0
}

// EncodeKey makes an opaque cursor from a composite sort key, for lists
// ordered by more than an id (for example time, kind, id).
func EncodeKey(parts ...int64) string {
	strs := make([]string, len(parts))
	for i, p := range parts {
		strs[i] = strconv.FormatInt(p, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("k" + strings.Join(strs, ",")))
}

// DecodeKey reads a cursor made by EncodeKey with n parts.
func DecodeKey(s string, n int) ([]int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'k' {
		return nil, false
	}
	strs := strings.Split(string(b[1:]), ",")
	if len(strs) != n {
		return nil, false
	}
	out := make([]int64, n)
	for i, p := range strs {
		if out[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, false
		}
	}
	return out, true
}

// List is the shape of every list answer.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Paginate trims up to limit+1 fetched rows to a page: when there are
// more than limit, the extra row only proves a next page exists, and the
// cursor points after the page's last row.
func Paginate[T any](rows []T, limit int, key func(T) int64) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	next := EncodeCursor(key(rows[limit-1]))
	return rows[:limit], &next
}

// NewList is a list answer; items nil becomes [].
func NewList[T any](items []T, next *string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

// Fetch is how a list reads up to limit rows after the cursor's row.
type Fetch[T any] func(ctx context.Context, after int64, limit int) ([]T, error)

// FetchPage reads one page the way every list pages: it reads ?limit= and
// ?cursor=, fetches up to one row more than a page after the cursor, and
// returns the page's rows with the cursor of the next page (or nil). The
// API lists (ServeList) and the HTML lists share it.
func FetchPage[T any](c *fiber.Ctx, fetch Fetch[T], key func(T) int64) ([]T, *string, error) {
	page, err := ParsePage(c)
	if err != nil {
		return nil, nil, err
	}
	rows, err := fetch(c.UserContext(), page.After, page.Limit+1)
	if err != nil {
		return nil, nil, err
	}
	rows, next := Paginate(rows, page.Limit, key)
	return rows, next, nil
}

// ServeList answers a list request: the page FetchPage reads, its rows
// made into items by out, with the cursor of the next page (or null).
func ServeList[T, J any](c *fiber.Ctx, fetch Fetch[T], key func(T) int64, out func(*T) J) error {
	rows, next, err := FetchPage(c, fetch, key)
	if err != nil {
		return err
	}
	items := make([]J, len(rows))
	for i := range rows {
		items[i] = out(&rows[i])
	}
	return c.JSON(NewList(items, next))
}

// PathID reads a positive integer path parameter; anything else is 404,
// as no such resource can exist.
func PathID(c *fiber.Ctx, name string) (int64, error) {
	id, ok := ParseID(c.Params(name))
	if !ok {
		return 0, problem.NotFound()
	}
	return id, nil
}

// PathIDs reads several path parameters as PathID does, in order: an item
// and one of its parts (a measure and a comment).
func PathIDs(c *fiber.Ctx, names ...string) ([]int64, error) {
	ids := make([]int64, len(names))
	for i, name := range names {
		id, err := PathID(c, name)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// PathIDAndBody reads the path parameter name as PathID does, then the
// JSON body into dst: the order every update by id checks them in.
func PathIDAndBody(c *fiber.Ctx, name string, dst any) (int64, error) {
	id, err := PathID(c, name)
	if err != nil {
		return 0, err
	}
	return id, Decode(c, dst)
}

// ByID serves a request about the item whose id is the path parameter
// "id": fn's answer is the JSON response.
func ByID[T any](fn func(c *fiber.Ctx, id int64) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		out, err := fn(c, id)
		return Answer(c, out, err)
	}
}

// UpdateByID serves a change to the item whose id is the path parameter
// "id", with a JSON body: fn's answer is the JSON response.
func UpdateByID[B, T any](fn func(c *fiber.Ctx, id int64, body *B) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body B
		id, err := PathIDAndBody(c, "id", &body)
		if err != nil {
			return err
		}
		out, err := fn(c, id, &body)
		return Answer(c, out, err)
	}
}

// Answer is how a handler ends with fn's result: its error, or the
// value as JSON.
func Answer[T any](c *fiber.Ctx, out T, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// ParseID reads an id as written in a URL: plain decimal digits without
// sign, leading zero or space, so that one item has one address ("+1",
// "01" and "1e3" are no ids).
func ParseID(s string) (int64, bool) {
	if s == "" || s[0] == '0' || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

// Person is how the API names someone: {id,display_name}.
type Person struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}
