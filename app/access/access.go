// Package access knows who is asking and what they may do. Every role and
// group check in mitreden goes through the Viewer's methods here, so the
// rules live in one place.
package access

import (
	"slices"
	"strings"
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
	// TwoFactor is true when the account signs in with a second factor.
	TwoFactor bool
	// NeedsTwoFactor marks an admin or moderator without a second factor
	// while MITREDEN_STAFF_2FA=required: no staff action until it is on.
	NeedsTwoFactor bool
	// MustChangePassword marks an account still on a generated one-time
	// password: nothing but the password change and signing out.
	MustChangePassword bool
	// Unverified marks an account whose address is not confirmed yet
	// while MITREDEN_EMAIL_VERIFICATION=required: it reads, but does not
	// contribute.
	Unverified bool
	// OnlyConsultation is the one consultation a code account (made by
	// a participation code) contributes to; 0 for other accounts.
	OnlyConsultation int64
}

// SignedIn reports whether the viewer has an account.
func (v *Viewer) SignedIn() bool { return v != nil && v.UserID != 0 }

// AtLeast reports whether the viewer's role is r or higher. It says what
// the role is, not what the person may do now: use the Can methods.
func (v *Viewer) AtLeast(r Role) bool { return v.SignedIn() && v.Role.rank() >= r.rank() }

// IsAdmin reports an admin who may act as one now.
func (v *Viewer) IsAdmin() bool { return v.AtLeast(Admin) && v.staffRefusal() == nil }

// CanModerate reports moderators and admins who may act as such now.
func (v *Viewer) CanModerate() bool { return v.AtLeast(Moderator) && v.staffRefusal() == nil }

// InGroup reports membership in an expert group.
func (v *Viewer) InGroup(groupID int64) bool {
	return v.SignedIn() && slices.Contains(v.Groups, groupID)
}

// CanServeGroup reports whether the viewer works in the group's inbox now:
// its members and admins.
func (v *Viewer) CanServeGroup(groupID int64) bool {
	return v.IsAdmin() || (v.InGroup(groupID) && v.staffRefusal() == nil)
}

// CanServeAnyGroup reports whether the viewer may now serve one of groups
// (a member, or an admin): who may create and edit measures in a field
// served by them.
func (v *Viewer) CanServeAnyGroup(groups []int64) bool {
	for _, g := range groups {
		if v.CanServeGroup(g) {
			return true
		}
	}
	return v.IsAdmin()
}

// CanBlock reports whether the viewer may block the account targetID,
// whose role is target: moderators block residents and experts, admins
// anyone; nobody blocks themselves, which would only lock them out.
func (v *Viewer) CanBlock(targetID int64, target Role) bool {
	if !v.CanModerate() || targetID == v.UserID {
		return false
	}
	return v.IsAdmin() || target.rank() < Moderator.rank()
}

// CanChangeBlock reports whether the viewer may lift or replace a block
// that an account with role setter set: a moderator cannot undo an
// admin's decision.
func (v *Viewer) CanChangeBlock(setter Role) bool {
	return v.IsAdmin() || setter.rank() < Admin.rank()
}

// Blocked reports whether the viewer is blocked at now.
func (v *Viewer) Blocked(now time.Time) bool {
	return v.SignedIn() && v.BlockedUntil != nil && now.Before(*v.BlockedUntil)
}

// BlockedProblem is the 403 a blocked person gets: the reason and the end
// of the block, in the detail and as members a client can show. It is
// logged as access.refused, like a staff refusal: it is what a blocked
// staff member trying a staff write gets first (RefuseBlockedWrites).
func (v *Viewer) BlockedProblem() *problem.Problem {
	until := ""
	if v.BlockedUntil != nil {
		until = v.BlockedUntil.UTC().Format(time.RFC3339)
	}
	p := problem.Refused(problem.CodeBlocked, "error.blocked").With(map[string]any{"Until": until, "Reason": v.BlockReason})
	p.Members = map[string]any{"reason": v.BlockReason, "until": until}
	p.Event = RefusedEvent
	return p
}

// staffRefusal is why a signed-in viewer may not act as staff now, or nil:
// a block binds staff too, and staff without a required second factor
// first turn it on.
func (v *Viewer) staffRefusal() *problem.Problem {
	switch {
	case v.Blocked(time.Now()):
		return v.BlockedProblem()
	case v.NeedsTwoFactor:
		return problem.Refused(problem.CodeTwoFactorRequired, "error.two_factor_required")
	}
	return nil
}

// RefusedEvent is the security event a refused staff action is logged as.
const RefusedEvent = "access.refused"

// Refusal is the answer to a viewer a staff check refused: 401 for an
// anonymous visitor, 403 with the reason (blocked, second factor missing)
// for staff who may not act now, else a plain 403. Every staff check
// answers through it, so a 403 of its own is logged as access.refused.
func Refusal(v *Viewer) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	p := v.staffRefusal()
	if p == nil {
		p = problem.Forbidden()
	}
	p.Event = RefusedEvent
	return p
}

// MayWrite refuses anonymous (401), blocked (403) and unverified (403,
// code email_unverified) contributors.
func MayWrite(v *Viewer) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	if v.Blocked(time.Now()) {
		return v.BlockedProblem()
	}
	if v.Unverified {
		return problem.Refused(problem.CodeEmailUnverified, "error.email_unverified")
	}
	return nil
}

// MayContributeIn refuses a code account's contribution to a consultation
// other than its own; every write to a consultation checks it
// (consultations.GuardWrite).
func (v *Viewer) MayContributeIn(consultationID int64) error {
	if v.OnlyConsultation != 0 && v.OnlyConsultation != consultationID {
		return problem.Refused(problem.CodeOtherConsultation, "error.code_other_consultation")
	}
	return nil
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

// RequireRole guards a staff route: 401 for anonymous requests, 403 for
// those below r, and 403 with the reason for staff who may not act now.
func RequireRole(r Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := From(c)
		if !v.AtLeast(r) || v.staffRefusal() != nil {
			return Refusal(v)
		}
		return c.Next()
	}
}

// SelfService reports the writes a blocked account may still make: sign
// in and out, manage its own account (password, second factor, sessions,
// notification settings, export, deletion) and appeal a decision.
func SelfService(path string) bool {
	for _, prefix := range []string{"/api/v1/auth/", "/api/v1/me/", "/me/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	switch path {
	case "/api/v1/me", "/logout", "/login", "/login/2fa", "/code", "/register", "/password-reset", "/password-reset/confirm", "/unsubscribe", "/verify":
		return true
	}
	return strings.HasSuffix(path, "/appeal")
}

// RefuseBlockedWrites answers every write of a blocked account with 403
// (code blocked) before any handler runs, but those of SelfService: the
// one place a block is checked for writes.
func RefuseBlockedWrites(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if v := From(c); v.Blocked(time.Now()) && !SelfService(c.Path()) {
		return v.BlockedProblem()
	}
	return c.Next()
}

const ipKey = "mitreden.client_ip"

// SetClientIP records the request's client address, as found behind
// trusted proxies.
func SetClientIP(c *fiber.Ctx, ip string) { c.Locals(ipKey, ip) }

// ClientIP is the request's client address: what limits, logs and socket
// caps count. Without SetClientIP it is the connection's peer.
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(ipKey).(string); ok && ip != "" {
		return ip
	}
	return c.Context().RemoteIP().String()
}
