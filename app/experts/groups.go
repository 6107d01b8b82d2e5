// Package experts owns the expert groups (Expert*innengruppen): which fields
// of action each serves and who its members are.
package experts

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Group is an expert group.
type Group struct {
	bun.BaseModel `bun:"table:expert_groups"`

	ID        int64       `bun:"id,pk,autoincrement" json:"id"`
	Name      locale.Text `bun:"name,type:text" json:"name"`
	CreatedAt time.Time   `bun:"created_at" json:"-"`
	UpdatedAt time.Time   `bun:"updated_at" json:"-"`
	Fields    []int64     `bun:"-" json:"fields"`
}

// Service manages expert groups.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
}

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog) *Service {
	return &Service{st: st, catalog: catalog}
}

// List returns groups in creation order after the cursor, with their fields.
func (s *Service) List(ctx context.Context, after int64, limit int) ([]Group, error) {
	var groups []Group
	if err := s.st.DB.NewSelect().Model(&groups).Where("id > ?", after).Order("id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	return groups, s.attachFields(ctx, s.st.DB, groups)
}

// GroupsOf lists the groups a person is a member of.
func (s *Service) GroupsOf(ctx context.Context, userID int64) ([]Group, error) {
	var groups []Group
	err := s.st.DB.NewSelect().Model(&groups).
		Where("id IN (SELECT group_id FROM expert_group_members WHERE user_id = ?)", userID).Order("id").Scan(ctx)
	return groups, err
}

// Get loads one group.
func (s *Service) Get(ctx context.Context, id int64) (*Group, error) {
	return s.get(ctx, s.st.DB, id)
}

func (s *Service) get(ctx context.Context, db bun.IDB, id int64) (*Group, error) {
	var groups []Group
	if err := db.NewSelect().Model(&groups).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, problem.NotFound()
	}
	if err := s.attachFields(ctx, db, groups); err != nil {
		return nil, err
	}
	return &groups[0], nil
}

func (s *Service) attachFields(ctx context.Context, db bun.IDB, groups []Group) error {
	if len(groups) == 0 {
		return nil
	}
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
		groups[i].Fields = []int64{}
	}
	var links []struct {
		GroupID int64 `bun:"group_id"`
		FieldID int64 `bun:"field_id"`
	}
	if err := db.NewSelect().TableExpr("expert_group_fields").Column("group_id", "field_id").
		Where("group_id IN (?)", bun.List(ids)).Order("field_id").Scan(ctx, &links); err != nil {
		return err
	}
	for _, l := range links {
		for i := range groups {
			if groups[i].ID == l.GroupID {
				groups[i].Fields = append(groups[i].Fields, l.FieldID)
			}
		}
	}
	return nil
}

// Name is a group's name as written: a plain string (taken as German) or
// an object of translations.
type Name locale.Text

// UnmarshalJSON accepts "Name" and {"de":"Name","en":"…"}.
func (n *Name) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = Name{locale.Default: s}
		return nil
	}
	var t map[string]string
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	*n = Name(t)
	return nil
}

// Input creates or changes a group; nil means "leave as is".
type Input struct {
	Name   Name     `json:"name"`
	Fields *[]int64 `json:"fields"`
}

func (s *Service) validate(in *Input, creating bool) error {
	var v problem.Validator
	if in.Name != nil || creating {
		in.Name = Name(s.catalog.CheckText(&v, "name", locale.Text(in.Name), 2, 200))
	}
	if in.Fields != nil {
		for i, f := range *in.Fields {
			v.Check(f > 0, "fields["+strconv.Itoa(i)+"]", "error.field_unknown")
		}
	}
	return v.Err()
}

// Create makes a group serving the given fields.
func (s *Service) Create(ctx context.Context, actorID int64, in Input) (*Group, error) {
	if err := s.validate(&in, true); err != nil {
		return nil, err
	}
	var out *Group
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		now := time.Now().UTC()
		g := &Group{Name: locale.Text(in.Name), CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(g).Returning("id").Exec(ctx); err != nil {
			return err
		}
		if err := consultations.LinkGroups(ctx, tx, "group_id", g.ID, in.Fields); err != nil {
			return err
		}
		var err error
		if out, err = s.get(ctx, tx, g.ID); err != nil {
			return err
		}
		// Consultation pages name the groups serving each field.
		if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "expert_group.create", "expert_group", g.ID, nil, out)
	})
	return out, writeError(err)
}

// Update changes a group; fields, when given, replaces the list.
func (s *Service) Update(ctx context.Context, actorID, id int64, in Input) (*Group, error) {
	if err := s.validate(&in, false); err != nil {
		return nil, err
	}
	var out *Group
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Name != nil {
			if _, err := tx.NewUpdate().Model((*Group)(nil)).Set("name = ?", locale.Text(in.Name)).Set("updated_at = ?", time.Now().UTC()).Where("id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		if err := consultations.LinkGroups(ctx, tx, "group_id", id, in.Fields); err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		// Consultation pages name the groups serving each field.
		if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "expert_group.update", "expert_group", id, before, out)
	})
	return out, writeError(err)
}

func writeError(err error) error {
	if store.IsForeignKeyViolation(err) {
		return problem.Invalid(problem.Field("fields", "error.field_unknown"))
	}
	return err
}

// Handlers serve the expert-group endpoints.
type Handlers struct{ svc *Service }

// NewHandlers wires the handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

type groupJSON struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Fields []int64 `json:"fields"`
}

func groupOut(g *Group, lang string) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name.String(lang), Fields: g.Fields}
}

// APIList is GET /api/v1/expert-groups.
func (h *Handlers) APIList(c *fiber.Ctx) error {
	lang := locale.From(c).Lang.Code
	out := func(g *Group) groupJSON { return groupOut(g, lang) }
	return jsonapi.ServeList(c, h.svc.List, func(g Group) int64 { return g.ID }, out)
}

// APICreate is POST /api/v1/expert-groups (admin).
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in Input
	if err := jsonapi.Decode(c, &in); err != nil {
		return err
	}
	g, err := h.svc.Create(c.UserContext(), access.From(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(groupOut(g, locale.From(c).Lang.Code))
}

// APIUpdate is PATCH /api/v1/expert-groups/{id} (admin).
func (h *Handlers) APIUpdate() fiber.Handler {
	return jsonapi.UpdateByID(func(c *fiber.Ctx, id int64, in *Input) (any, error) {
		g, err := h.svc.Update(c.UserContext(), access.From(c).UserID, id, *in)
		if err != nil {
			return nil, err
		}
		return groupOut(g, locale.From(c).Lang.Code), nil
	})
}
