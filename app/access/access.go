// Package access knows who is asking and what they may do. Every role and
// group check in mitreden goes through the Viewer's methods here, so the
// rules live in one place.
package access

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

// Role is a person's highest privilege.
type Role string

const (
	Resident  Role = "resident"
	Expert    Role = "expert"
	Moderator Role = "moderator"
	Admin     Role = "admin"
)

// Roles lists every role from least to most privileged.
var Roles = []Role{Resident, Expert, Moderator, Admin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

func (r Role) rank() int { return slices.Index(Roles, r) }

// Viewer is the person behind a request; the zero value is an anonymous visitor.
type Viewer struct {
	UserID      int64
	DisplayName string
	Role        Role
	Locale      string
	// Groups are the expert groups the person is a member of.
	Groups       []int64
	CreatedAt    time.Time
	BlockedUntil *time.Time
	BlockReason  string
	// SessionID and CSRFToken belong to the session the request came with.
	SessionID int64
	CSRFToken string
	// ViaBearer is true when the request authenticated with a Bearer token,
	// which needs no CSRF token.
	ViaBearer bool
}

// SignedIn reports whether the viewer has an account.
func (v *Viewer) SignedIn() bool { return v != nil && v.UserID != 0 }

// AtLeast reports whether the viewer's role is r or higher.
func (v *Viewer) AtLeast(r Role) bool { return v.SignedIn() && v.Role.rank() >= r.rank() }

// IsAdmin reports the admin role.
func (v *Viewer) IsAdmin() bool { return v.AtLeast(Admin) }

// CanModerate reports moderators and admins.
func (v *Viewer) CanModerate() bool { return v.AtLeast(Moderator) }

// InGroup reports membership in an expert group.
func (v *Viewer) InGroup(groupID int64) bool {
	return v.SignedIn() && slices.Contains(v.Groups, groupID)
}

// CanServeGroup reports whether the viewer works in the group's inbox:
// its members and admins.
func (v *Viewer) CanServeGroup(groupID int64) bool { return v.IsAdmin() || v.InGroup(groupID) }

// CanServeAnyGroup reports whether the viewer is a member of one of groups,
// or an admin: who may create and edit measures in a field served by them.
func (v *Viewer) CanServeAnyGroup(groups []int64) bool {
	if v.IsAdmin() {
		return true
	}
	for _, g := range groups {
		if v.InGroup(g) {
			return true
		}
	}
	return false
}

// CanBlock reports whether the viewer may block (and unblock) the account
// targetID, whose role is target: moderators block residents and experts,
// admins anyone; nobody blocks themselves, which would only lock them out.
func (v *Viewer) CanBlock(targetID int64, target Role) bool {
	if !v.CanModerate() || targetID == v.UserID {
		return false
	}
	return v.IsAdmin() || target.rank() < Moderator.rank()
}

// Blocked reports whether the viewer is blocked from writing at now.
func (v *Viewer) Blocked(now time.Time) bool {
	return v.SignedIn() && v.BlockedUntil != nil && now.Before(*v.BlockedUntil)
}

const localsKey = "mitreden.viewer"

var anonymous = &Viewer{}

// Set stores the viewer for the request.
func Set(c *fiber.Ctx, v *Viewer) { c.Locals(localsKey, v) }

// From returns the request's viewer; never nil.
func From(c *fiber.Ctx) *Viewer {
	if v, ok := c.Locals(localsKey).(*Viewer); ok && v != nil {
		return v
	}
	return anonymous
}

// RequireSignedIn refuses anonymous requests with 401.
func RequireSignedIn(c *fiber.Ctx) error {
	if !From(c).SignedIn() {
		return problem.Unauthorized()
	}
	return c.Next()
}

// RequireRole refuses anonymous requests with 401 and those below r with 403.
func RequireRole(r Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := From(c)
		if !v.SignedIn() {
			return problem.Unauthorized()
		}
		if !v.AtLeast(r) {
			return problem.Forbidden()
		}
		return c.Next()
	}
}
