package accounts

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Account is a user as the administration sees it: the row and the
// expert groups the person is a member of.
type Account struct {
	User
	Groups []int64
}

// Filter narrows the account list: Query is matched against e-mail and
// display name (case-insensitively, anywhere), Role exactly.
type Filter struct {
	Query string
	Role  access.Role
}

// MaxQuery caps a search text.
const MaxQuery = 200

// Check validates the filter, naming the query parameters.
func (f Filter) Check() error {
	var v problem.Validator
	if f.Role != "" {
		v.Check(f.Role.Valid(), "role", "error.role")
	}
	v.Check(len([]rune(f.Query)) <= MaxQuery && plaintext.Flaw(f.Query) == "", "q", "error.search")
	return v.Err()
}

// likePattern makes a LIKE pattern matching s anywhere; '!' escapes the
// wildcards a person may type. The database lower-cases it, the same way
// it lower-cases the column (SQLite folds ASCII letters only).
func likePattern(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.TrimSpace(s)) + "%"
}

// Search lists accounts (erased ones left out) in creation order after
// the cursor.
func (s *Service) Search(ctx context.Context, f Filter, after int64, limit int) ([]Account, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	var users []User
	q := s.st.DB.NewSelect().Model(&users).Where("deleted_at IS NULL").Where("id > ?", after).Order("id").Limit(int64(limit))
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if strings.TrimSpace(f.Query) != "" {
		p := likePattern(f.Query)
		q = q.Where("(LOWER(email) LIKE LOWER(?) ESCAPE '!' OR LOWER(display_name) LIKE LOWER(?) ESCAPE '!')", p, p)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return s.withGroups(ctx, s.st.DB, users)
}

// Account loads one account with its groups.
func (s *Service) Account(ctx context.Context, id int64) (*Account, error) {
	return s.account(ctx, s.st.DB, id)
}

func (s *Service) account(ctx context.Context, db bun.IDB, id int64) (*Account, error) {
	var u User
	err := db.NewSelect().Model(&u).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx)
	if store.IsNoRows(err) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, err
	}
	list, err := s.withGroups(ctx, db, []User{u})
	if err != nil {
		return nil, err
	}
	return &list[0], nil
}

func (s *Service) withGroups(ctx context.Context, db bun.IDB, users []User) ([]Account, error) {
	out := make([]Account, len(users))
	if len(users) == 0 {
		return out, nil
	}
	ids := make([]int64, len(users))
	at := make(map[int64]int, len(users))
	for i, u := range users {
		ids[i], at[u.ID] = u.ID, i
		out[i] = Account{User: u, Groups: []int64{}}
	}
	var links []struct {
		UserID  int64 `bun:"user_id"`
		GroupID int64 `bun:"group_id"`
	}
	if err := db.NewSelect().TableExpr("expert_group_members").Column("user_id", "group_id").
		Where("user_id IN (?)", bun.List(ids)).Order("group_id").Scan(ctx, &links); err != nil {
		return nil, err
	}
	for _, l := range links {
		a := &out[at[l.UserID]]
		a.Groups = append(a.Groups, l.GroupID)
	}
	return out, nil
}

// Change is what an administrator may change on an account; nil leaves a
// value as it is.
type Change struct {
	Role        *access.Role `json:"role"`
	DisplayName *string      `json:"display_name"`
}

// ErrLastAdmin answers a change that would leave nobody to administer.
var ErrLastAdmin = problem.Conflict("error.last_admin_role")

// Update changes an account's role or display name, with an audit entry.
// It answers the account as changed and the role it had before.
func (s *Service) Update(ctx context.Context, actorID, userID int64, in Change) (*Account, access.Role, error) {
	var v problem.Validator
	if in.Role != nil {
		v.Check(in.Role.Valid(), "role", "error.role")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var (
		out        *Account
		roleBefore access.Role
	)
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := s.account(ctx, tx, userID)
		if err != nil {
			return err
		}
		roleBefore = before.Role
		role, name := before.Role, before.DisplayName
		if in.Role != nil {
			role = *in.Role
		}
		// A new name is checked against the rules of the role the account
		// ends up with: staff may be called "Administration". The form
		// sends the name with every change; an unchanged one is no rename.
		if in.DisplayName != nil && strings.TrimSpace(*in.DisplayName) != before.DisplayName {
			if name, err = s.checkDisplayName(ctx, tx, &v, *in.DisplayName, role, userID); err != nil {
				return err
			}
			if err := v.Err(); err != nil {
				return err
			}
		}
		if before.Role == access.Admin && role != access.Admin {
			var admins int
			if err := tx.NewRaw("SELECT COUNT(*) FROM users WHERE role = 'admin' AND deleted_at IS NULL AND id <> ?", userID).Scan(ctx, &admins); err != nil {
				return err
			}
			if admins == 0 {
				return ErrLastAdmin
			}
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("role = ?", role).Set("display_name = ?", name).
			Set("updated_at = ?", s.now()).Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		if out, err = s.account(ctx, tx, userID); err != nil {
			return err
		}
		if err := Changed(ctx, tx); err != nil {
			return err
		}
		// Pages show display names, and staff roles, beside contributions.
		if name != before.DisplayName || role != before.Role {
			if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actorID, "user.update", "user", userID,
			map[string]any{"role": before.Role, "display_name": before.DisplayName},
			map[string]any{"role": role, "display_name": name})
	})
	return out, roleBefore, err
}

// AccountJSON is an account in the administration's API:
// {id,email,display_name,role,groups,blocked_until,created_at}.
type AccountJSON struct {
	ID           int64       `json:"id"`
	Email        string      `json:"email"`
	DisplayName  string      `json:"display_name"`
	Role         access.Role `json:"role"`
	Groups       []int64     `json:"groups"`
	BlockedUntil *time.Time  `json:"blocked_until"`
	CreatedAt    time.Time   `json:"created_at"`
}

// accountOut shows a block only while it lasts.
func (s *Service) accountOut(a *Account) AccountJSON {
	out := AccountJSON{
		ID: a.ID, Email: a.EmailAddress(), DisplayName: a.DisplayName, Role: a.Role, Groups: a.Groups,
		CreatedAt: a.CreatedAt.UTC(),
	}
	if a.BlockedUntil != nil && a.BlockedUntil.After(s.now()) {
		until := a.BlockedUntil.UTC()
		out.BlockedUntil = &until
	}
	return out
}

// FilterFrom reads ?q= and ?role= from a request.
func FilterFrom(c *fiber.Ctx) Filter {
	return Filter{Query: strings.Clone(c.Query("q")), Role: access.Role(strings.Clone(c.Query("role")))}
}

// APIListUsers is GET /api/v1/users?q=&role= (admin).
func (h *Handlers) APIListUsers(c *fiber.Ctx) error {
	search := func(ctx context.Context, after int64, limit int) ([]Account, error) {
		return h.svc.Search(ctx, FilterFrom(c), after, limit)
	}
	return jsonapi.ServeList(c, search, func(a Account) int64 { return a.ID }, h.svc.accountOut)
}

// APIUpdateUser is PATCH /api/v1/users/{id} (admin).
func (h *Handlers) APIUpdateUser(c *fiber.Ctx) error {
	var in Change
	id, err := jsonapi.PathIDAndBody(c, "id", &in)
	if err != nil {
		return err
	}
	a, before, err := h.svc.Update(c.UserContext(), access.From(c).UserID, id, in)
	if err != nil {
		return err
	}
	RoleChangedEvent(c, id, before, a.Role)
	return c.JSON(h.svc.accountOut(a))
}
