package pages

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/freshness"
)

type noParts struct{}

func (noParts) Personal(*fiber.Ctx, *access.Viewer) (func(byte, int64) string, error) {
	return func(byte, int64) string { return "" }, nil
}

func (noParts) Size() int { return 0 }

// A page kept for readers of one role and groups is never served to a
// reader whose pages differ from theirs: blocked, or asked to turn on a
// second factor or to change a one-time password first.
func TestKeptPagesSkipReadersWhosePagesDiffer(t *testing.T) {
	r := &Renderer{Cache: NewPageCache(freshness.New())}
	rendered := 0
	page := r.CachedPersonal(func(*fiber.Ctx) []string { return []string{"measure:1"} }, func(c *fiber.Ctx) error {
		rendered++
		if Stenciling(c) {
			SetParts(c, noParts{})
		}
		return c.SendString("page")
	})
	var reader *access.Viewer
	app := fiber.New()
	app.Get("/m/1", func(c *fiber.Ctx) error { access.Set(c, reader); return c.Next() }, page)
	get := func(v *access.Viewer) {
		t.Helper()
		reader = v
		resp, err := app.Test(httptest.NewRequest("GET", "/m/1", nil))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /m/1: %v %v", resp, err)
		}
	}

	admin := &access.Viewer{UserID: 1, Role: access.Admin}
	get(admin)
	get(&access.Viewer{UserID: 2, Role: access.Admin})
	if rendered != 1 {
		t.Fatalf("two admins: %d pages rendered, want one kept page", rendered)
	}
	until := time.Now().Add(time.Hour)
	for name, v := range map[string]*access.Viewer{
		"blocked":              {UserID: 3, Role: access.Admin, BlockedUntil: &until, BlockReason: "x"},
		"second factor needed": {UserID: 4, Role: access.Admin, NeedsTwoFactor: true},
		"password to change":   {UserID: 5, Role: access.Admin, MustChangePassword: true},
	} {
		before := rendered
		get(v)
		if rendered != before+1 {
			t.Errorf("%s: got the page kept for admins", name)
		}
	}
	past := time.Now().Add(-time.Hour)
	before := rendered
	get(&access.Viewer{UserID: 6, Role: access.Admin, BlockedUntil: &past})
	if rendered != before {
		t.Error("a block that ended still keeps the reader from kept pages")
	}
}
