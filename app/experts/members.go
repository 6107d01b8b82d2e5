package experts

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Member is a person in an expert group.
type Member struct {
	ID          int64       `bun:"id"`
	DisplayName string      `bun:"display_name"`
	Email       *string     `bun:"email"`
	Role        access.Role `bun:"role"`
	JoinedAt    time.Time   `bun:"created_at"`
}

// EmailAddress is the member's e-mail, or "" after erasure.
func (m *Member) EmailAddress() string {
	if m.Email == nil {
		return ""
	}
	return *m.Email
}

// Members lists a group's members by name.
func (s *Service) Members(ctx context.Context, groupID int64) ([]Member, error) {
	var out []Member
	err := s.st.DB.NewRaw(`
SELECT u.id, u.display_name, u.email, u.role, m.created_at
FROM expert_group_members m JOIN users u ON u.id = m.user_id
WHERE m.group_id = ? AND u.deleted_at IS NULL ORDER BY u.display_name, u.id`, groupID).Scan(ctx, &out)
	return out, err
}

// AddMember puts a person into a group. A resident becomes an expert (a
// role is the highest privilege, so moderators and admins keep theirs).
// Adding a member twice changes nothing.
func (s *Service) AddMember(ctx context.Context, actorID, groupID, userID int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		role, err := memberTarget(ctx, tx, groupID, userID)
		if err != nil {
			return err
		}
		changed, err := changeMembership(ctx, tx, "INSERT INTO expert_group_members (group_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			groupID, userID, time.Now().UTC())
		if err != nil || !changed {
			return err
		}
		newRole := role
		if role == access.Resident {
			newRole = access.Expert
			if _, err := tx.ExecContext(ctx, "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", newRole, time.Now().UTC(), userID); err != nil {
				return err
			}
			// Pages show the role beside the person's contributions.
			if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actorID, "expert_group.member_add", "expert_group", groupID,
			map[string]any{"user_id": userID, "member": false, "role": role},
			map[string]any{"user_id": userID, "member": true, "role": newRole})
	})
}

// RemoveMember takes a person out of a group. Their role stays as it is:
// whether they still serve as an expert is for an administrator to decide.
func (s *Service) RemoveMember(ctx context.Context, actorID, groupID, userID int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		role, err := memberTarget(ctx, tx, groupID, userID)
		if err != nil {
			return err
		}
		changed, err := changeMembership(ctx, tx, "DELETE FROM expert_group_members WHERE group_id = ? AND user_id = ?", groupID, userID)
		if err != nil || !changed {
			return err
		}
		return audit.Record(ctx, tx, actorID, "expert_group.member_remove", "expert_group", groupID,
			map[string]any{"user_id": userID, "member": true, "role": role},
			map[string]any{"user_id": userID, "member": false, "role": role})
	})
}

// changeMembership adds or removes a membership with query. A change
// that changed nothing (adding a member twice) is no change: it answers
// false and announces nothing; otherwise the sessions that carry the
// person's groups are told.
func changeMembership(ctx context.Context, tx *store.Tx, query string, args ...any) (changed bool, err error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, accounts.Changed(ctx, tx)
}

// memberTarget checks that the group and the account exist and answers
// the account's role.
func memberTarget(ctx context.Context, tx *store.Tx, groupID, userID int64) (access.Role, error) {
	var n int
	if err := tx.NewRaw("SELECT COUNT(*) FROM expert_groups WHERE id = ?", groupID).Scan(ctx, &n); err != nil {
		return "", err
	}
	var role access.Role
	err := tx.NewRaw("SELECT role FROM users WHERE id = ? AND deleted_at IS NULL", userID).Scan(ctx, &role)
	if n == 0 || store.IsNoRows(err) {
		return "", problem.NotFound()
	}
	return role, err
}

// APIAddMember is PUT /api/v1/expert-groups/{id}/members/{user_id} (admin).
func (h *Handlers) APIAddMember(c *fiber.Ctx) error { return changeMember(c, h.svc.AddMember) }

// APIRemoveMember is DELETE /api/v1/expert-groups/{id}/members/{user_id} (admin).
func (h *Handlers) APIRemoveMember(c *fiber.Ctx) error { return changeMember(c, h.svc.RemoveMember) }

// changeMember makes the signed-in administrator's change to the
// membership of {user_id} in group {id}, and answers 204.
func changeMember(c *fiber.Ctx, change func(ctx context.Context, actorID, groupID, userID int64) error) error {
	groupID, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	userID, err := jsonapi.PathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := change(c.UserContext(), access.From(c).UserID, groupID, userID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
