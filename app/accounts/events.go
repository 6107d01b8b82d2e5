package accounts

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/securitylog"
)

// The account events name the account concerned as user, so that an
// operator following one account sees its sign-ins and what was done to
// it in one place, and the person who did it as by.

// BlockedEvent logs that the signed-in moderator or admin blocked userID.
func BlockedEvent(c *fiber.Ctx, userID int64, until time.Time) {
	securitylog.Event(c, securitylog.Blocked, "user", userID, "by", access.From(c).UserID, "until", until.UTC().Format(time.RFC3339))
}

// LiftBlock lifts the block of userID for the signed-in moderator or
// admin, and logs it when there was one.
func LiftBlock(c *fiber.Ctx, s *Service, userID int64) error {
	lifted, err := s.Unblock(c.UserContext(), access.From(c), userID)
	if err == nil && lifted {
		securitylog.Event(c, securitylog.Unblocked, "user", userID, "by", access.From(c).UserID)
	}
	return err
}

// RoleChangedEvent logs that the signed-in admin changed the role of
// userID, when it changed.
func RoleChangedEvent(c *fiber.Ctx, userID int64, from, to access.Role) {
	if from != to {
		securitylog.Event(c, securitylog.RoleChanged, "user", userID, "by", access.From(c).UserID, "from", string(from), "to", string(to))
	}
}
