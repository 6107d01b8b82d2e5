package admin

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// searchResults is how many accounts a member search shows; a narrower
// search text finds the rest.
const searchResults = 20

type groupPage struct {
	// Group is nil while the group is being created.
	Group   *experts.Group
	Fields  []*consultations.FieldContext
	Members []experts.Member
	// Consultations, with their fields, are the choices of the form that
	// assigns fields to the group; Checked the fields ticked on it.
	Consultations []*consultations.Detail
	Checked       map[int64]bool
	// Query is the member search; Found its results, More whether there are more.
	Query string
	Found []accounts.Account
	More  bool
}

// IsMember reports whether the account is in the group already.
func (g groupPage) IsMember(userID int64) bool {
	for _, m := range g.Members {
		if m.ID == userID {
			return true
		}
	}
	return false
}

// renderGroup shows the group's page; checked are the fields ticked on
// the assignment form (nil: those the group serves).
func (h *Handlers) renderGroup(c *fiber.Ctx, g *experts.Group, checked []int64, form map[string]string, err error) error {
	data := groupPage{Group: g, Query: strings.TrimSpace(c.Query("q"))}
	v := h.view(c, "admin.group.new")
	if g != nil {
		v = h.view(c, "admin.group.edit", "Name", g.Name.String(locale.From(c).Lang.Code))
		if checked == nil {
			checked = g.Fields
		}
		if lerr := h.loadGroupPage(c, &data, checked); lerr != nil {
			return lerr
		}
	}
	v.Data = data
	if err != nil {
		return h.invalid(c, err, "admin_group", v, form, nil)
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_group", v)
}

// loadGroupPage reads what the page of an existing group shows.
func (h *Handlers) loadGroupPage(c *fiber.Ctx, data *groupPage, checked []int64) error {
	ctx := c.UserContext()
	var err error
	if data.Members, err = h.Experts.Members(ctx, data.Group.ID); err != nil {
		return err
	}
	if data.Consultations, err = h.allConsultations(c); err != nil {
		return err
	}
	// The fields the group serves, with their consultations, are among
	// those just read for the form.
	served := map[int64]bool{}
	for _, id := range data.Group.Fields {
		served[id] = true
	}
	for _, d := range data.Consultations {
		for _, f := range d.Fields {
			if served[f.ID] {
				data.Fields = append(data.Fields, &consultations.FieldContext{Consultation: d.Consultation, Themes: d.Themes, Field: f})
			}
		}
	}
	data.Checked = map[int64]bool{}
	for _, id := range checked {
		data.Checked[id] = true
	}
	if data.Query != "" {
		found, err := h.Accounts.Search(ctx, accounts.Filter{Query: data.Query}, 0, searchResults+1)
		if err != nil {
			return err
		}
		data.More = len(found) > searchResults
		data.Found = found[:min(len(found), searchResults)]
	}
	return nil
}

// allConsultations loads every consultation, drafts included, with its
// fields and themes.
func (h *Handlers) allConsultations(c *fiber.Ctx) ([]*consultations.Detail, error) {
	list, err := h.Consultations.List(c.UserContext(), true, 0, listAll)
	if err != nil {
		return nil, err
	}
	out := make([]*consultations.Detail, 0, len(list))
	for _, item := range list {
		d, err := h.Consultations.Get(c.UserContext(), item.Slug, true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// NewGroupPage is GET /admin/groups/new.
func (h *Handlers) NewGroupPage(c *fiber.Ctx) error {
	return h.renderGroup(c, nil, nil, map[string]string{}, nil)
}

// CreateGroup is POST /admin/groups.
func (h *Handlers) CreateGroup(c *fiber.Ctx) error {
	form := postedForm(c)
	g, err := h.Experts.Create(c.UserContext(), access.From(c).UserID, experts.Input{Name: experts.Name(h.textFrom(form, "name"))})
	if err != nil {
		return h.renderGroup(c, nil, nil, form, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, groupPath(g.ID, ""))
}

func groupPath(id int64, query string) string {
	p := "/admin/groups/" + strconv.FormatInt(id, 10)
	if query != "" {
		p += "?q=" + url.QueryEscape(query)
	}
	return p
}

func (h *Handlers) group(c *fiber.Ctx) (*experts.Group, error) {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return nil, err
	}
	return h.Experts.Get(c.UserContext(), id)
}

// GroupPage is GET /admin/groups/{id}?q=: the group, its members and a
// search for accounts to add.
func (h *Handlers) GroupPage(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	form := map[string]string{"q": strings.Clone(c.Query("q"))}
	fillText(form, "name", g.Name)
	return h.renderGroup(c, g, nil, form, nil)
}

// UpdateGroup is POST /admin/groups/{id}: its name.
func (h *Handlers) UpdateGroup(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	if _, err := h.Experts.Update(c.UserContext(), access.From(c).UserID, g.ID, experts.Input{Name: experts.Name(h.textFrom(form, "name"))}); err != nil {
		return h.renderGroup(c, g, nil, form, err)
	}
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, groupPath(g.ID, ""))
}

// AddMember is POST /admin/groups/{id}/members (user_id, and the search
// to return to).
func (h *Handlers) AddMember(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	userID, err := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	if err != nil || userID <= 0 {
		return problem.NotFound()
	}
	if err := h.Experts.AddMember(c.UserContext(), access.From(c).UserID, g.ID, userID); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.admin_member_added")
	return pages.Redirect(c, groupPath(g.ID, strings.Clone(c.FormValue("q"))))
}

// RemoveMember is POST /admin/groups/{id}/members/{user_id}/remove.
func (h *Handlers) RemoveMember(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	userID, err := jsonapi.PathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := h.Experts.RemoveMember(c.UserContext(), access.From(c).UserID, g.ID, userID); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.admin_member_removed")
	return pages.Redirect(c, groupPath(g.ID, ""))
}

// SetGroupFields is POST /admin/groups/{id}/fields: the fields of action
// the group serves, ticked from all of them. It saves through the same
// service as the API, whose links are the ones the field form writes
// from the other side (consultations.LinkGroups).
func (h *Handlers) SetGroupFields(c *fiber.Ctx) error {
	g, err := h.group(c)
	if err != nil {
		return err
	}
	ids := postedIDs(c, "fields")
	if _, err := h.Experts.Update(c.UserContext(), access.From(c).UserID, g.ID, experts.Input{Fields: &ids}); err != nil {
		form := map[string]string{}
		fillText(form, "name", g.Name)
		return h.renderGroup(c, g, ids, form, err)
	}
	return pages.RedirectFlash(c, "ok", "flash.admin_saved", groupPath(g.ID, "")+"#fields")
}
