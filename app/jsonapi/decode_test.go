package jsonapi

import (
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

type sample struct {
	Email string            `json:"email"`
	Count int               `json:"count"`
	Title map[string]string `json:"title"`
	Tags  []string          `json:"tags"`
	Inner *struct {
		Note string `json:"note"`
	} `json:"inner"`
}

func TestDecodeBytes(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		status int
		field  string
		key    string
	}{
		{"ok", `{"email":"a@b.de","count":2,"title":{"de":"Hallo"},"tags":["x"],"inner":{"note":"n"}}`, 0, "", ""},
		{"empty", ``, 400, "", ""},
		{"malformed", `{"email":`, 400, "", ""},
		{"trailing garbage", `{"email":"a"} x`, 400, "", ""},
		{"not an object", `[1,2]`, 400, "", ""},
		{"wrong type", `{"count":"two"}`, 422, "count", "error.wrong_type"},
		{"unknown field", `{"emali":"x"}`, 422, "emali", "error.unknown_field"},
		{"invalid utf8 in value", "{\"email\":\"a\xff\"}", 422, "email", "error.text_utf8"},
		{"invalid utf8 nested", "{\"title\":{\"de\":\"ok\",\"en\":\"b\xc3\"}}", 422, "title.en", "error.text_utf8"},
		{"invalid utf8 in array", "{\"tags\":[\"ok\",\"\xfe\"]}", 422, "tags[1]", "error.text_utf8"},
		{"lone surrogate", `{"email":"a\ud800b"}`, 422, "email", "error.text_replacement"},
		{"nul byte", `{"inner":{"note":"a\u0000b"}}`, 422, "inner.note", "error.text_control"},
		{"escape char", `{"tags":["\u001b[31m"]}`, 422, "tags[0]", "error.text_control"},
		{"script tag is just text", `{"email":"<script>alert(1)</script>"}`, 0, "", ""},
		{"duplicate key", `{"email":"a@b.de","count":1,"email":"c@d.de"}`, 400, "", ""},
		{"duplicate key nested", `{"title":{"de":"a","en":"b","de":"c"}}`, 400, "", ""},
		{"duplicate key in an array's object", `{"tags":[],"inner":{"note":"a","note":"b"}}`, 400, "", ""},
		{"duplicate key by escape", `{"email":"a@b.de","\u0065mail":"c@d.de"}`, 400, "", ""},
		{"duplicate key by case (matched to one field)", `{"email":"a@b.de","Email":"c@d.de"}`, 400, "", ""},
		{"same key in sibling objects", `{"title":{"de":"a"},"inner":{"note":"de"}}`, 0, "", ""},
		{"key equal to a value", `{"email":"count","count":1}`, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var dst sample
			err := DecodeBytes([]byte(c.body), &dst)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != c.status {
				t.Fatalf("got %v, want status %d", err, c.status)
			}
			if c.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != c.field || p.Errors[0].Key != c.key) {
				t.Fatalf("errors %+v, want %s %s", p.Errors, c.field, c.key)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, n := range []int64{1, 42, 1 << 40} {
		got, ok := DecodeCursor(EncodeCursor(n))
		if !ok || got != n {
			t.Fatalf("cursor %d -> %d %v", n, got, ok)
		}
	}
	for _, bad := range []string{"", "!!", "YzA", "eA"} {
		if _, ok := DecodeCursor(bad); ok {
			t.Errorf("cursor %q accepted", bad)
		}
	}
	rows, next := Paginate([]int64{1, 2, 3}, 2, func(n int64) int64 { return n })
	if len(rows) != 2 || next == nil {
		t.Fatalf("page %v %v", rows, next)
	}
	if rows, next := Paginate([]int64{1, 2}, 2, func(n int64) int64 { return n }); len(rows) != 2 || next != nil {
		t.Fatalf("last page %v %v", rows, next)
	}
	if after, _ := DecodeCursor(*next); after != 2 {
		t.Fatalf("next cursor points after %d", after)
	}
}

func TestDuplicateKeyInArrays(t *testing.T) {
	cases := map[string]bool{
		`[{"a":1},{"a":1}]`:          false,
		`{"a":[{"b":1,"b":2}]}`:      true,
		`{"a":[1,{"c":[{}]}],"a":2}`: true,
		`{"a":{"a":{"a":1}}}`:        false,
		`{"a":1,`:                    false, // malformed: left to the decoder
	}
	for body, want := range cases {
		if got := duplicateKey([]byte(body)); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}

func TestParseID(t *testing.T) {
	for s, want := range map[string]int64{
		"1": 1, "42": 42, "9223372036854775807": 9223372036854775807,
		"": 0, "0": 0, "01": 0, "+1": 0, "-1": 0, "1e3": 0, " 1": 0, "1 ": 0, "0x1": 0, "1_000": 0,
		"9223372036854775808": 0, "99999999999999999999": 0, "١": 0,
	} {
		got, ok := ParseID(s)
		if ok != (want != 0) || got != want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
}

// Body calls the handler with the decoded body, and only when the body
// is one: Decode's problems are the answer otherwise.
func TestBody(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		var p *problem.Problem
		if !errors.As(err, &p) {
			return c.SendStatus(fiber.StatusInternalServerError)
		}
		return c.SendStatus(p.Status)
	}})
	var got string
	app.Post("/", Body(func(c *fiber.Ctx, b *sample) error {
		got = b.Email
		return c.SendStatus(fiber.StatusNoContent)
	}))
	cases := []struct {
		contentType, body string
		status            int
	}{
		{"application/json", `{"email":"a@b.de"}`, fiber.StatusNoContent},
		{"text/plain", `{"email":"a@b.de"}`, fiber.StatusUnsupportedMediaType},
		{"application/json", `{"email":`, fiber.StatusBadRequest},
		{"application/json", `{"emali":"x"}`, fiber.StatusUnprocessableEntity},
	}
	for _, c := range cases {
		got = ""
		req := httptest.NewRequest(fiber.MethodPost, "/", strings.NewReader(c.body))
		req.Header.Set(fiber.HeaderContentType, c.contentType)
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		called := c.status == fiber.StatusNoContent
		if resp.StatusCode != c.status || (got == "a@b.de") != called {
			t.Errorf("%s %s: %d, handler saw %q; want %d", c.contentType, c.body, resp.StatusCode, got, c.status)
		}
	}
}

func TestPathIDs(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		var p *problem.Problem
		if errors.As(err, &p) {
			return c.SendStatus(p.Status)
		}
		return c.SendStatus(fiber.StatusInternalServerError)
	}})
	app.Get("/m/:id/comments/:comment", func(c *fiber.Ctx) error {
		ids, err := PathIDs(c, "id", "comment")
		if err != nil {
			return err
		}
		return c.SendString(strconv.FormatInt(ids[0], 10) + "," + strconv.FormatInt(ids[1], 10))
	})
	for path, want := range map[string]string{"/m/3/comments/17": "200 3,17", "/m/3/comments/x": "404 ", "/m/0/comments/1": "404 "} {
		resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if got := strconv.Itoa(resp.StatusCode) + " " + string(body); got != want && !(want == "404 " && resp.StatusCode == 404) {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
