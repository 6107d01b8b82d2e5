// Package legal keeps the texts of the pages a German public site must
// have, /impressum and /datenschutz, per language. The catalogs hold a
// default text; once an administration writes its own, the page shows that
// (in the reader's language, else German).
package legal

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Page is one legal page: Key names it in its path and the API, Catalog is
// the prefix of its title and default text in the message catalogs.
type Page struct {
	Key     string
	Catalog string
}

// Pages lists the legal pages.
var Pages = []Page{{Key: "impressum", Catalog: "imprint"}, {Key: "datenschutz", Catalog: "privacy"}}

// Find answers the page with key, or 404.
func Find(key string) (Page, error) {
	i := slices.IndexFunc(Pages, func(p Page) bool { return p.Key == key })
	if i < 0 {
		return Page{}, problem.NotFound()
	}
	return Pages[i], nil
}

// MaxBody caps a legal text, per language.
const MaxBody = 50000

// Text is a legal page's stored text; Body is empty while the page shows
// the catalog's default.
type Text struct {
	Page
	Body      locale.Text
	UpdatedAt *time.Time
}

// Service reads and writes the legal texts.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
}

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog) *Service {
	return &Service{st: st, catalog: catalog}
}

// Get loads a page's stored text.
func (s *Service) Get(ctx context.Context, key string) (*Text, error) {
	p, err := Find(key)
	if err != nil {
		return nil, err
	}
	return load(ctx, s.st.DB, p)
}

func load(ctx context.Context, db bun.IDB, p Page) (*Text, error) {
	t := &Text{Page: p, Body: locale.Text{}}
	var row struct {
		Body      locale.Text `bun:"body,type:text"`
		UpdatedAt time.Time   `bun:"updated_at"`
	}
	err := db.NewRaw("SELECT body, updated_at FROM legal_pages WHERE key = ?", p.Key).Scan(ctx, &row)
	if store.IsNoRows(err) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	t.Body, t.UpdatedAt = row.Body, &row.UpdatedAt
	return t, nil
}

// Set replaces a page's text (German required), with an audit entry.
func (s *Service) Set(ctx context.Context, actorID int64, key string, body locale.Text) (*Text, error) {
	p, err := Find(key)
	if err != nil {
		return nil, err
	}
	var v problem.Validator
	body = s.catalog.CheckText(&v, "body", body, 1, MaxBody)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Text
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := load(ctx, tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO legal_pages (key, body, updated_at, updated_by) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.Key, body, time.Now().UTC(), actorID); err != nil {
			return err
		}
		if out, err = load(ctx, tx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "legal.update", "legal_page", p.Key, before.Body, out.Body)
	})
	return out, err
}

// Shown resolves the text a reader in l's language sees: the stored text
// in that language, else in German, else the catalog's default.
func (t *Text) Shown(l *locale.Localizer) locale.Shown {
	if t.Body[locale.Default] != "" {
		return t.Body.In(l.Lang.Code)
	}
	return locale.Shown{Text: l.T(t.Catalog + ".body"), Lang: l.Lang.Code}
}

// Handlers serve the legal pages and their API.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

// Page serves /impressum or /datenschutz.
func (h *Handlers) Page(key string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := h.svc.Get(c.UserContext(), key)
		if err != nil {
			return err
		}
		l := locale.From(c)
		v := h.pages.NewView(c, l.T(t.Catalog+".title"))
		v.Data = t.Shown(l)
		return h.pages.Render(c, fiber.StatusOK, "legal", v)
	}
}

type textJSON struct {
	Key       string     `json:"key"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Lang      string     `json:"lang"`
	UpdatedAt *time.Time `json:"updated_at"`
}

func textOut(t *Text, l *locale.Localizer) textJSON {
	shown := t.Shown(l)
	return textJSON{Key: t.Key, Title: l.T(t.Catalog + ".title"), Body: shown.Text, Lang: shown.Lang, UpdatedAt: t.UpdatedAt}
}

// APIGet is GET /api/v1/legal/{key}: the text in the request's language.
func (h *Handlers) APIGet(c *fiber.Ctx) error {
	t, err := h.svc.Get(c.UserContext(), strings.Clone(c.Params("key")))
	if err != nil {
		return err
	}
	return c.JSON(textOut(t, locale.From(c)))
}

type textBody struct {
	Body locale.Text `json:"body"`
}

// APIPut is PUT /api/v1/legal/{key} (admin): {"body":{"de":"…","en":"…"}}.
func (h *Handlers) APIPut(c *fiber.Ctx) error {
	key := strings.Clone(c.Params("key"))
	if _, err := Find(key); err != nil {
		return err
	}
	var b textBody
	if err := jsonapi.Decode(c, &b); err != nil {
		return err
	}
	t, err := h.svc.Set(c.UserContext(), access.From(c).UserID, key, b.Body)
	if err != nil {
		return err
	}
	return c.JSON(textOut(t, locale.From(c)))
}

// Placeholders answers the pages that still show the catalogs' default
// text: no administration has saved a text of its own for them yet. A
// German public site must not go live with them.
func (s *Service) Placeholders(ctx context.Context) ([]Page, error) {
	var out []Page
	for _, p := range Pages {
		t, err := load(ctx, s.st.DB, p)
		if err != nil {
			return nil, err
		}
		if t.Body[locale.Default] == "" {
			out = append(out, p)
		}
	}
	return out, nil
}
