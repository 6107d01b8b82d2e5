package admin

import (
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

type usersPage struct {
	Accounts []accounts.Account
	// NextURL is the next page with the same filter, "" on the last.
	NextURL string
	Roles   []string
	Groups  map[int64]locale.Text
	Now     time.Time
}

func roleValues() []string {
	out := make([]string, len(access.Roles))
	for i, r := range access.Roles {
		out[i] = string(r)
	}
	return out
}

// groupNames maps group ids to names for showing memberships.
func (h *Handlers) groupNames(c *fiber.Ctx) (map[int64]locale.Text, error) {
	groups, err := h.Experts.List(c.UserContext(), 0, listAll)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]locale.Text, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}

// UsersPage is GET /admin/users?q=&role=&cursor=.
func (h *Handlers) UsersPage(c *fiber.Ctx) error { return h.renderUsers(c, nil, nil) }

// InviteSubmit is POST /admin/users/invite: an account for someone
// (staff, mostly), who is mailed a link to set a password.
func (h *Handlers) InviteSubmit(c *fiber.Ctx) error {
	form := map[string]string{"invite_email": c.FormValue("invite_email"), "invite_name": c.FormValue("invite_name"), "invite_role": c.FormValue("invite_role")}
	_, err := h.Accounts.Invite(c.UserContext(), access.From(c), accounts.NewAccount{
		Email: form["invite_email"], DisplayName: form["invite_name"], Role: access.Role(form["invite_role"]), Locale: locale.From(c).Lang.Code,
	})
	if err == nil {
		pages.Flash(c, "ok", "flash.invited")
		return pages.Redirect(c, "/admin/users")
	}
	return h.renderUsers(c, form, onField(err, accounts.ErrEmailTaken, "email"))
}

// inviteFields are the invitation form's inputs, named apart from the
// search form's.
func inviteFields(field string) (string, string, bool) {
	input, ok := map[string]string{"email": "invite_email", "display_name": "invite_name", "role": "invite_role"}[field]
	return input, "", ok
}

// renderUsers shows /admin/users, with the invitation form's errors when
// there are any.
func (h *Handlers) renderUsers(c *fiber.Ctx, invite map[string]string, inviteErr error) error {
	filter := accounts.FilterFrom(c)
	data := usersPage{Roles: roleValues(), Now: time.Now()}
	v := h.view(c, "admin.users.title")
	v.Data = data
	form := map[string]string{"q": filter.Query, "role": string(filter.Role)}
	page, err := jsonapi.ParsePage(c)
	if err == nil {
		data.Accounts, err = h.Accounts.Search(c.UserContext(), filter, page.After, page.Limit+1)
	}
	if err != nil {
		return h.invalid(c, err, "admin_users", v, form, nil)
	}
	var next *string
	data.Accounts, next = jsonapi.Paginate(data.Accounts, page.Limit, func(a accounts.Account) int64 { return a.ID })
	if next != nil {
		data.NextURL = "/admin/users?" + url.Values{"q": {filter.Query}, "role": {string(filter.Role)}, "cursor": {*next}}.Encode()
	}
	if data.Groups, err = h.groupNames(c); err != nil {
		return err
	}
	v.Data, v.Form = data, form
	if inviteErr != nil {
		maps.Copy(form, invite)
		return h.invalid(c, inviteErr, "admin_users", v, form, inviteFields)
	}
	return h.pages.Render(c, fiber.StatusOK, "admin_users", v)
}

type userPage struct {
	Account   *accounts.Account
	Groups    map[int64]locale.Text
	Roles     []string
	Blocked   bool
	BlockedBy string
	// Sessions counts the account's running sessions.
	Sessions int64
	// MinUntil is the earliest day a block can last through: today.
	MinUntil time.Time
}

func (h *Handlers) renderUser(c *fiber.Ctx, form map[string]string, err error) error {
	id, perr := jsonapi.PathID(c, "id")
	if perr != nil {
		return perr
	}
	a, aerr := h.Accounts.Account(c.UserContext(), id)
	if aerr != nil {
		return aerr
	}
	now := time.Now()
	data := userPage{Account: a, Roles: roleValues(), MinUntil: now}
	if data.Groups, aerr = h.groupNames(c); aerr != nil {
		return aerr
	}
	if data.Sessions, aerr = h.Accounts.SessionCount(c.UserContext(), a.ID); aerr != nil {
		return aerr
	}
	if a.BlockedUntil != nil && a.BlockedUntil.After(now) {
		data.Blocked = true
		if a.BlockedBy != nil {
			if by, err := h.Accounts.ByID(c.UserContext(), *a.BlockedBy); err == nil {
				data.BlockedBy = by.DisplayName
			}
		}
	}
	v := h.view(c, "admin.user.title", "Name", a.DisplayName)
	v.Data = data
	if form == nil {
		form = map[string]string{"role": string(a.Role), "display_name": a.DisplayName}
	}
	if err != nil {
		return h.invalid(c, err, "admin_user", v, form, nil)
	}
	v.Form = form
	return h.pages.Render(c, fiber.StatusOK, "admin_user", v)
}

// UserPage is GET /admin/users/{id}.
func (h *Handlers) UserPage(c *fiber.Ctx) error { return h.renderUser(c, nil, nil) }

func userPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// UpdateUser is POST /admin/users/{id}: role and display name.
func (h *Handlers) UpdateUser(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	form := postedForm(c)
	role, name := access.Role(form["role"]), form["display_name"]
	a, before, err := h.Accounts.Update(c.UserContext(), access.From(c).UserID, id, accounts.Change{Role: &role, DisplayName: &name})
	if err != nil {
		return h.renderUser(c, form, onField(err, accounts.ErrLastAdmin, "role"))
	}
	accounts.RoleChangedEvent(c, id, before, a.Role)
	pages.Flash(c, "ok", "flash.admin_saved")
	return pages.Redirect(c, userPath(id))
}

// dateLayout is how a date input sends its value.
const dateLayout = "2006-01-02"

// BlockUser is POST /admin/users/{id}/block: blocked through the given day
// (the city's time), with a reason the person is shown.
func (h *Handlers) BlockUser(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	form := postedForm(c)
	day, err := time.ParseInLocation(dateLayout, strings.TrimSpace(form["until"]), locale.CityTime())
	if err != nil {
		return h.renderUser(c, form, problem.Invalid(problem.Field("until", "error.date_format")))
	}
	blocked, err := h.Accounts.Block(c.UserContext(), access.From(c), id, day.AddDate(0, 0, 1), form["reason"])
	if err != nil {
		return h.renderUser(c, form, err)
	}
	accounts.BlockedEvent(c, id, blocked.BlockedUntil)
	pages.Flash(c, "ok", "flash.admin_blocked")
	return pages.Redirect(c, userPath(id))
}

// UnblockUser is POST /admin/users/{id}/unblock.
func (h *Handlers) UnblockUser(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := accounts.LiftBlock(c, h.Accounts, id); err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.admin_unblocked")
	return pages.Redirect(c, userPath(id))
}
