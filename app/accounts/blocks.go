package accounts

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// MaxBlockReason caps the reason a blocked person is shown.
const MaxBlockReason = 1000

// BlockedAccount is a person who may not write until BlockedUntil, as
// moderators see it: no e-mail address, which they do not need.
type BlockedAccount struct {
	ID            int64       `bun:"id"`
	DisplayName   string      `bun:"display_name"`
	Role          access.Role `bun:"role"`
	BlockedUntil  time.Time   `bun:"blocked_until"`
	BlockReason   string      `bun:"block_reason"`
	BlockedBy     *int64      `bun:"blocked_by"`
	BlockedByName *string     `bun:"blocked_by_name"`
}

const blockedSelect = `
SELECT u.id, u.display_name, u.role, u.blocked_until, u.block_reason, u.blocked_by, b.display_name AS blocked_by_name
FROM users u LEFT JOIN users b ON b.id = u.blocked_by
WHERE u.deleted_at IS NULL AND u.blocked_until > ?`

// Blocked lists the accounts blocked now, in creation order after the cursor.
func (s *Service) Blocked(ctx context.Context, after int64, limit int) ([]BlockedAccount, error) {
	var out []BlockedAccount
	err := s.st.DB.NewRaw(blockedSelect+" AND u.id > ? ORDER BY u.id LIMIT ?", s.now(), after, limit).Scan(ctx, &out)
	return out, err
}

// Block stops an account from writing until until, with a reason the
// person is shown. Moderators block residents and experts, admins anyone
// but themselves (access.Viewer.CanBlock). A new block replaces an old one.
func (s *Service) Block(ctx context.Context, actor *access.Viewer, userID int64, until time.Time, reason string) (*BlockedAccount, error) {
	var v problem.Validator
	v.Check(until.After(s.now()), "until", "error.until_past")
	reason = plaintext.Check(&v, "reason", reason, 1, MaxBlockReason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	until = until.UTC()
	out, _, err := s.changeBlock(ctx, actor, userID, "user.block", &until, reason)
	return out, err
}

// Unblock lifts a block and reports whether there was one to lift;
// lifting none is no change.
func (s *Service) Unblock(ctx context.Context, actor *access.Viewer, userID int64) (bool, error) {
	_, lifted, err := s.changeBlock(ctx, actor, userID, "user.unblock", nil, "")
	return lifted, err
}

func (s *Service) changeBlock(ctx context.Context, actor *access.Viewer, userID int64, action string, until *time.Time, reason string) (*BlockedAccount, bool, error) {
	var (
		out     *BlockedAccount
		changed bool
	)
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		changed = false
		before, err := s.account(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !actor.CanBlock(before.ID, before.Role) {
			return access.Refusal(actor)
		}
		if before.BlockedUntil != nil && before.BlockedUntil.After(s.now()) {
			if err := s.mayChangeBlock(ctx, tx, actor, before.BlockedBy); err != nil {
				return err
			}
		}
		var by *int64
		if until != nil {
			by = &actor.UserID
		} else if before.BlockedUntil == nil {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("blocked_until = ?", until).Set("block_reason = ?", reason).
			Set("blocked_by = ?", by).Set("updated_at = ?", s.now()).Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		if err := Changed(ctx, tx); err != nil {
			return err
		}
		if err := notifyBlock(ctx, tx, s.catalog, userID, until, reason); err != nil {
			return err
		}
		if until != nil {
			var row BlockedAccount
			if err := tx.NewRaw(blockedSelect+" AND u.id = ?", s.now(), userID).Scan(ctx, &row); err != nil {
				return err
			}
			out = &row
		}
		changed = true
		return audit.Record(ctx, tx, actor.UserID, action, "user", userID,
			map[string]any{"blocked_until": before.BlockedUntil, "block_reason": before.BlockReason},
			map[string]any{"blocked_until": until, "block_reason": reason})
	})
	return out, changed, err
}

// notifyBlock tells the person that their account was blocked (until
// when, why, and how to object: EU DSA Art. 17) or that the block was
// lifted. Who blocked stays unnamed.
func notifyBlock(ctx context.Context, tx *store.Tx, cat *locale.Catalog, userID int64, until *time.Time, reason string) error {
	n := notifications.Notice{Kind: notifications.Account, URL: "/me", Body: "notifications.account.unblocked"}
	if until != nil {
		n.Body = "notifications.account.blocked"
		n.Args = map[string]string{"Until": until.UTC().Format("2006-01-02"), "Reason": reason}
	}
	return notifications.Notify(ctx, tx, cat, notifications.To(userID), n)
}

// errAdminsBlock refuses a moderator who would lift or replace a block an
// administrator set.
var errAdminsBlock = &problem.Problem{Status: fiber.StatusForbidden, DetailKey: "error.block_by_admin", Event: access.RefusedEvent}

// mayChangeBlock refuses actor to lift or replace the block that setter
// set unless actor may (access.Viewer.CanChangeBlock): a moderator cannot
// undo an administrator's decision. A block without a known setter counts
// as an administrator's.
func (s *Service) mayChangeBlock(ctx context.Context, tx *store.Tx, actor *access.Viewer, setter *int64) error {
	role := access.Admin
	if setter != nil {
		if err := tx.NewRaw("SELECT role FROM users WHERE id = ?", *setter).Scan(ctx, &role); err != nil && !store.IsNoRows(err) {
			return err
		}
	}
	if !actor.CanChangeBlock(role) {
		return errAdminsBlock
	}
	return nil
}

// BlockJSON is a blocked account in the API:
// {id,display_name,role,blocked_until,block_reason,blocked_by}.
type BlockJSON struct {
	ID           int64           `json:"id"`
	DisplayName  string          `json:"display_name"`
	Role         access.Role     `json:"role"`
	BlockedUntil time.Time       `json:"blocked_until"`
	BlockReason  string          `json:"block_reason"`
	BlockedBy    *jsonapi.Person `json:"blocked_by"`
}

func blockOut(b *BlockedAccount) BlockJSON {
	out := BlockJSON{ID: b.ID, DisplayName: b.DisplayName, Role: b.Role, BlockedUntil: b.BlockedUntil.UTC(), BlockReason: b.BlockReason}
	if b.BlockedBy != nil && b.BlockedByName != nil {
		out.BlockedBy = &jsonapi.Person{ID: *b.BlockedBy, DisplayName: *b.BlockedByName}
	}
	return out
}

type blockBody struct {
	Until  string `json:"until"`
	Reason string `json:"reason"`
}

// ParseUntil reads an RFC 3339 time, naming the field when it is not one.
func ParseUntil(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		key := "error.time_format"
		if strings.TrimSpace(s) == "" {
			key = "error.required"
		}
		return time.Time{}, problem.Invalid(problem.Field(field, key))
	}
	return t, nil
}

// APIBlock is POST /api/v1/users/{id}/block (moderator, admin).
func (h *Handlers) APIBlock(c *fiber.Ctx) error {
	var b blockBody
	id, err := jsonapi.PathIDAndBody(c, "id", &b)
	if err != nil {
		return err
	}
	until, err := ParseUntil("until", b.Until)
	if err != nil {
		return err
	}
	blocked, err := h.svc.Block(c.UserContext(), access.From(c), id, until, b.Reason)
	if err != nil {
		return err
	}
	BlockedEvent(c, id, blocked.BlockedUntil)
	return c.JSON(blockOut(blocked))
}

// APIUnblock is DELETE /api/v1/users/{id}/block (moderator, admin).
func (h *Handlers) APIUnblock(c *fiber.Ctx) error {
	return apiActOnAccount(c, func(c *fiber.Ctx, id int64) error { return LiftBlock(c, h.svc, id) })
}

// APIBlocks is GET /api/v1/moderation/blocks (moderator, admin).
func (h *Handlers) APIBlocks(c *fiber.Ctx) error {
	return jsonapi.ServeList(c, h.svc.Blocked, func(b BlockedAccount) int64 { return b.ID }, blockOut)
}
