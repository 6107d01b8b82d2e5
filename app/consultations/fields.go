package consultations

import (
	"context"
	"strconv"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// FieldInput creates or changes a field of action; nil means "leave as is".
type FieldInput struct {
	Slug         *string     `json:"slug"`
	Title        locale.Text `json:"title"`
	Description  locale.Text `json:"description"`
	ExpertGroups *[]int64    `json:"expert_groups"`
}

func (s *Service) validateField(in *FieldInput, creating bool) error {
	var v problem.Validator
	s.checkNamed(&v, in.Slug, &in.Title, &in.Description, creating)
	if in.ExpertGroups != nil {
		v.Check(len(*in.ExpertGroups) <= 100, "expert_groups", "error.too_many")
		for i, g := range *in.ExpertGroups {
			v.Check(g > 0, "expert_groups["+strconv.Itoa(i)+"]", "error.group_unknown")
		}
	}
	return v.Err()
}

// FieldContext is a field with the consultation it belongs to.
type FieldContext struct {
	Consultation Consultation
	Themes       []Theme
	Field        FieldSummary
}

// ThemeTitle returns a theme's title by key, or nil when the key is unknown.
func (f *FieldContext) ThemeTitle(key string) locale.Text {
	for _, t := range f.Themes {
		if t.Key == key {
			return t.Title
		}
	}
	return nil
}

// fieldSelect reads fields f with their counts: measures, and the ideas
// the public sees.
var fieldSelect = `SELECT f.*,
  (SELECT COUNT(*) FROM measures m WHERE m.field_id = f.id) AS measure_count,
  (SELECT COUNT(*) FROM ideas i WHERE i.field_id = f.id AND ` + access.PublicSQL("i") + `) AS idea_count
FROM fields f`

// GetField loads a field with its consultation, groups and counts. Fields
// of draft consultations are hidden (404) unless includeDrafts.
func (s *Service) GetField(ctx context.Context, id int64, includeDrafts bool) (*FieldContext, error) {
	fc := &FieldContext{}
	err := s.st.DB.NewRaw(fieldSelect+" WHERE f.id = ?", id).Scan(ctx, &fc.Field)
	if err := found(err); err != nil {
		return nil, err
	}
	if err := s.st.DB.NewSelect().Model(&fc.Consultation).Where("id = ?", fc.Field.ConsultationID).Scan(ctx); err != nil {
		return nil, err
	}
	if fc.Consultation.Phase == PhaseDraft && !includeDrafts {
		return nil, problem.NotFound()
	}
	if err := s.st.DB.NewSelect().Model(&fc.Themes).Where("consultation_id = ?", fc.Consultation.ID).Order("position", "id").Scan(ctx); err != nil {
		return nil, err
	}
	links, err := groupsOfFields(ctx, s.st.DB, "f.id = ?", id)
	if err != nil {
		return nil, err
	}
	fc.Field.Groups = links[id]
	return fc, nil
}

// CreateField adds a field of action to a consultation.
func (s *Service) CreateField(ctx context.Context, actorID int64, consultationSlug string, in FieldInput) (*FieldSummary, error) {
	if err := s.validateField(&in, true); err != nil {
		return nil, err
	}
	var id int64
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var c Consultation
		if err := found(tx.NewSelect().Model(&c).Where("slug = ?", consultationSlug).Scan(ctx)); err != nil {
			return err
		}
		var pos int
		if err := tx.NewRaw("SELECT COALESCE(MAX(position), 0) + 1 FROM fields WHERE consultation_id = ?", c.ID).Scan(ctx, &pos); err != nil {
			return err
		}
		now := s.now()
		f := &Field{ConsultationID: c.ID, Slug: *in.Slug, Title: in.Title, Description: in.Description, Position: pos, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
			return err
		}
		id = f.ID
		if err := LinkGroups(ctx, tx, "field_id", f.ID, in.ExpertGroups); err != nil {
			return err
		}
		// The consultation's page lists its fields.
		if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "field.create", "field", f.ID, nil, map[string]any{"field": f, "expert_groups": in.ExpertGroups})
	})
	return s.writtenField(ctx, id, err)
}

// UpdateField changes a field; expert_groups, when given, replaces the list.
func (s *Service) UpdateField(ctx context.Context, actorID int64, id int64, in FieldInput) (*FieldSummary, error) {
	if err := s.validateField(&in, false); err != nil {
		return nil, err
	}
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var f Field
		if err := found(tx.NewSelect().Model(&f).Where("id = ?", id).Scan(ctx)); err != nil {
			return err
		}
		var beforeGroups []int64
		if err := tx.NewRaw("SELECT group_id FROM expert_group_fields WHERE field_id = ? ORDER BY group_id", id).Scan(ctx, &beforeGroups); err != nil && !store.IsNoRows(err) {
			return err
		}
		before := map[string]any{"field": f, "expert_groups": beforeGroups}
		patch(&f.Slug, in.Slug)
		patchText(&f.Title, in.Title)
		patchText(&f.Description, in.Description)
		f.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(&f).WherePK().Column("slug", "title", "description", "updated_at").Exec(ctx); err != nil {
			return err
		}
		if err := LinkGroups(ctx, tx, "field_id", id, in.ExpertGroups); err != nil {
			return err
		}
		afterGroups := beforeGroups
		if in.ExpertGroups != nil {
			afterGroups = *in.ExpertGroups
		}
		// Pages of the field's measures show its title and themes.
		if err := tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "field.update", "field", id, before, map[string]any{"field": f, "expert_groups": afterGroups})
	})
	return s.writtenField(ctx, id, err)
}

// LinkGroups replaces which expert groups serve which fields, from one
// side, named by its column: the groups of field id ("field_id") or the
// fields of group id ("group_id"). Repeated ids count once; nil leaves the
// links as they are.
func LinkGroups(ctx context.Context, tx *store.Tx, side string, id int64, others *[]int64) error {
	if others == nil {
		return nil
	}
	other := map[string]string{"field_id": "group_id", "group_id": "field_id"}[side]
	if _, err := tx.ExecContext(ctx, "DELETE FROM expert_group_fields WHERE "+side+" = ?", id); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, o := range *others {
		if seen[o] {
			continue
		}
		seen[o] = true
		if _, err := tx.ExecContext(ctx, "INSERT INTO expert_group_fields ("+side+", "+other+") VALUES (?, ?)", id, o); err != nil {
			return err
		}
	}
	return nil
}

// writtenField answers a write of field id: the write's error as the API
// names it, or the field as it is now.
func (s *Service) writtenField(ctx context.Context, id int64, err error) (*FieldSummary, error) {
	if err := fieldWriteError(err); err != nil {
		return nil, err
	}
	fc, err := s.GetField(ctx, id, true)
	if err != nil {
		return nil, err
	}
	return &fc.Field, nil
}

// found answers the error of a read whose missing row means 404.
func found(err error) error {
	if store.IsNoRows(err) {
		return problem.NotFound()
	}
	return err
}

func fieldWriteError(err error) error {
	switch {
	case store.IsUniqueViolation(err):
		return ErrSlugTaken
	case store.IsForeignKeyViolation(err):
		return problem.Invalid(problem.Field("expert_groups", "error.group_unknown"))
	}
	return err
}
