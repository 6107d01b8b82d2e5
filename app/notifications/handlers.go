package notifications

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// Handlers serve the settings as JSON and as a page.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

// APISettings is GET /api/v1/me/notification-settings.
func (h *Handlers) APISettings(c *fiber.Ctx) error {
	out, err := h.svc.Settings(c.UserContext(), access.From(c).UserID)
	return jsonapi.Answer(c, out, err)
}

// APIChangeSettings is PUT /api/v1/me/notification-settings: the kinds
// in the body change, the answer is every setting.
func (h *Handlers) APIChangeSettings(c *fiber.Ctx) error {
	var body map[string]any
	if err := jsonapi.Decode(c, &body); err != nil {
		return err
	}
	// A value that is no string is no delivery: Change refuses it by name.
	changes := make(map[string]string, len(body))
	for k, v := range body {
		s, _ := v.(string)
		changes[k] = s
	}
	out, err := h.svc.Change(c.UserContext(), access.From(c).UserID, changes)
	return jsonapi.Answer(c, out, err)
}

// SettingsPageData is what /me/notification-settings shows.
type SettingsPageData struct {
	Settings   Settings
	Kinds      []Kind
	Deliveries []Delivery
}

// Choices answers the deliveries kind may have: account notices cannot
// be turned off.
func (d *SettingsPageData) Choices(kind Kind) []Delivery {
	if kind == Account {
		return []Delivery{Immediate, Daily}
	}
	return d.Deliveries
}

// SettingsPage is GET /me/notification-settings.
func (h *Handlers) SettingsPage(c *fiber.Ctx) error {
	settings, err := h.svc.Settings(c.UserContext(), access.From(c).UserID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, settings, nil, nil)
}

// SettingsSubmit is POST /me/notification-settings, the page's form.
func (h *Handlers) SettingsSubmit(c *fiber.Ctx) error {
	changes := map[string]string{}
	for _, k := range Kinds {
		if d := c.FormValue(string(k)); d != "" {
			changes[string(k)] = d
		}
	}
	if _, err := h.svc.Change(c.UserContext(), access.From(c).UserID, changes); err != nil {
		current, readErr := h.svc.Settings(c.UserContext(), access.From(c).UserID)
		if readErr != nil {
			return readErr
		}
		return h.render(c, http.StatusUnprocessableEntity, current, err, changes)
	}
	pages.Flash(c, "ok", "flash.notification_settings_saved")
	return pages.Redirect(c, "/me/notification-settings")
}

func (h *Handlers) render(c *fiber.Ctx, status int, settings Settings, failed error, form map[string]string) error {
	v := h.pages.NewView(c, locale.From(c).T("notifications.settings.title"))
	if failed != nil {
		v.SetFormErrors(failed, form)
	}
	v.Data = &SettingsPageData{Settings: settings, Kinds: KindsFor(access.From(c)), Deliveries: Deliveries}
	return h.pages.Render(c, status, "notification_settings", v)
}

// APIList is GET /api/v1/me/notifications: newest first, paged.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	userID, l := access.From(c).UserID, locale.From(c)
	list := func(ctx context.Context, before int64, limit int) ([]Item, error) {
		return h.svc.List(ctx, l, userID, before, limit)
	}
	return jsonapi.ServeList(c, list, func(it Item) int64 { return it.ID }, func(it *Item) Item { return *it })
}

type readBody struct {
	IDs []int64 `json:"ids"`
	All bool    `json:"all"`
}

// APIMarkRead is POST /api/v1/me/notifications/read {ids:[…]} or {all:true}.
func (h *Handlers) APIMarkRead(c *fiber.Ctx) error {
	var b readBody
	if err := jsonapi.Decode(c, &b); err != nil {
		return err
	}
	if err := h.svc.MarkRead(c.UserContext(), access.From(c).UserID, b.IDs, b.All); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ListPageData is what /me/notifications shows.
type ListPageData struct {
	Items  []Item
	Next   *string
	Unread int
}

// ListPage is GET /me/notifications.
func (h *Handlers) ListPage(c *fiber.Ctx) error {
	userID, l := access.From(c).UserID, locale.From(c)
	list := func(ctx context.Context, before int64, limit int) ([]Item, error) {
		return h.svc.List(ctx, l, userID, before, limit)
	}
	items, next, err := jsonapi.FetchPage(c, list, func(it Item) int64 { return it.ID })
	if err != nil {
		return err
	}
	unread, err := h.svc.Unread(c.UserContext(), userID)
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, locale.From(c).T("notifications.title"))
	v.Data = &ListPageData{Items: items, Next: next, Unread: unread}
	return h.pages.Render(c, http.StatusOK, "notifications", v)
}

// MarkReadSubmit is POST /me/notifications/read, the page's form: every
// notification, or the one named by id.
func (h *Handlers) MarkReadSubmit(c *fiber.Ctx) error {
	var ids []int64
	all := c.FormValue("all") == "1"
	if !all {
		id, ok := jsonapi.ParseID(c.FormValue("id"))
		if !ok {
			return problem.Invalid(problem.Field("id", "error.notification_ids"))
		}
		ids = []int64{id}
	}
	if err := h.svc.MarkRead(c.UserContext(), access.From(c).UserID, ids, all); err != nil {
		return err
	}
	return pages.Redirect(c, "/me/notifications")
}
