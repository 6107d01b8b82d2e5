package consultations

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Service reads and changes consultations, fields and measures.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
	now     func() time.Time
}

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog) *Service {
	return &Service{st: st, catalog: catalog, now: func() time.Time { return time.Now().UTC() }}
}

// List returns consultations in creation order after the cursor; drafts
// only when includeDrafts.
func (s *Service) List(ctx context.Context, includeDrafts bool, after int64, limit int) ([]Consultation, error) {
	var out []Consultation
	q := s.st.DB.NewSelect().Model(&out).Where("id > ?", after).Order("id").Limit(int64(limit))
	if !includeDrafts {
		q = q.Where("phase <> ?", PhaseDraft)
	}
	return out, q.Scan(ctx)
}

// Get loads a consultation with its frame and fields. Drafts are hidden
// (404) unless includeDrafts.
func (s *Service) Get(ctx context.Context, slug string, includeDrafts bool) (*Detail, error) {
	return s.load(ctx, s.st.DB, slug, includeDrafts)
}

func (s *Service) load(ctx context.Context, db bun.IDB, slug string, includeDrafts bool) (*Detail, error) {
	d := &Detail{}
	err := db.NewSelect().Model(&d.Consultation).Where("slug = ?", slug).Scan(ctx)
	if store.IsNoRows(err) || (err == nil && d.Phase == PhaseDraft && !includeDrafts) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, err
	}
	id := d.ID
	if err := db.NewSelect().Model(&d.Guidelines).ModelTableExpr("guidelines AS numbered").Where("consultation_id = ?", id).Order("number").Scan(ctx); err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&d.Priorities).ModelTableExpr("priorities AS numbered").Where("consultation_id = ?", id).Order("number").Scan(ctx); err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&d.Themes).Where("consultation_id = ?", id).Order("position", "id").Scan(ctx); err != nil {
		return nil, err
	}
	if err := db.NewRaw(fieldSelect+" WHERE f.consultation_id = ? ORDER BY f.position, f.id", id).Scan(ctx, &d.Fields); err != nil {
		return nil, err
	}
	links, err := groupsOfFields(ctx, db, "f.consultation_id = ?", id)
	if err != nil {
		return nil, err
	}
	for i := range d.Fields {
		d.Fields[i].Groups = links[d.Fields[i].ID]
	}
	if d.Guidelines == nil {
		d.Guidelines = []Numbered{}
	}
	if d.Priorities == nil {
		d.Priorities = []Numbered{}
	}
	if d.Themes == nil {
		d.Themes = []Theme{}
	}
	if d.Fields == nil {
		d.Fields = []FieldSummary{}
	}
	return d, nil
}

// groupsOfFields maps field ids to the groups serving them, for the fields
// matching where (over fields f).
func groupsOfFields(ctx context.Context, db bun.IDB, where string, args ...any) (map[int64][]GroupRef, error) {
	var rows []struct {
		FieldID int64       `bun:"field_id"`
		ID      int64       `bun:"id"`
		Name    locale.Text `bun:"name,type:text"`
	}
	err := db.NewRaw(`
SELECT gf.field_id, g.id, g.name
FROM expert_group_fields gf JOIN expert_groups g ON g.id = gf.group_id JOIN fields f ON f.id = gf.field_id
WHERE `+where+` ORDER BY g.id`, args...).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := map[int64][]GroupRef{}
	for _, r := range rows {
		out[r.FieldID] = append(out[r.FieldID], GroupRef{ID: r.ID, Name: r.Name})
	}
	return out, nil
}

// ThemeInput is a theme as an administration writes it.
type ThemeInput struct {
	Key   string      `json:"key"`
	Title locale.Text `json:"title"`
}

// Input creates or changes a consultation. In a change, nil means "leave as is".
type Input struct {
	Slug        *string        `json:"slug"`
	Title       locale.Text    `json:"title"`
	Description locale.Text    `json:"description"`
	Phase       *string        `json:"phase"`
	Moderation  *string        `json:"moderation"`
	Guidelines  *[]locale.Text `json:"guidelines"`
	Priorities  *[]locale.Text `json:"priorities"`
	Themes      *[]ThemeInput  `json:"themes"`
	// The schedule: a date absent is left, null removes it.
	OpensAt  DateChange  `json:"opens_at"`
	ClosesAt DateChange  `json:"closes_at"`
	Process  locale.Text `json:"process"`
}

// textList is a numbered list of texts a change may carry.
type textList struct {
	name  string // its field in the API and its table
	texts *[]locale.Text
}

// givenLists are the guidelines and the priorities, in that order, when
// the change gives them.
func (in *Input) givenLists() []textList {
	var given []textList
	for _, l := range []textList{{"guidelines", in.Guidelines}, {"priorities", in.Priorities}} {
		if l.texts != nil {
			given = append(given, l)
		}
	}
	return given
}

// Text limits, in characters.
const (
	MaxTitle       = 200
	MaxDescription = 20000
	MaxFrameText   = 2000
)

// checkNamed checks the slug, title and description that consultations
// and fields both have; creating one requires the slug and title, and a
// missing description is empty.
func (s *Service) checkNamed(v *problem.Validator, slug *string, title, description *locale.Text, creating bool) {
	if slug != nil || creating {
		v.Check(slug != nil && ValidSlug(*slug), "slug", "error.slug")
	}
	if *title != nil || creating {
		*title = s.catalog.CheckText(v, "title", *title, 3, MaxTitle)
	}
	*description = s.checkDescription(v, *description, creating)
}

// checkDescription checks a description of a consultation, field or
// measure; on creation a missing one is empty.
func (s *Service) checkDescription(v *problem.Validator, d locale.Text, creating bool) locale.Text {
	if d == nil && creating {
		return locale.Text{}
	}
	if d == nil {
		return nil
	}
	return s.catalog.CheckText(v, "description", d, 0, MaxDescription)
}

func (s *Service) validate(in *Input, creating bool) error {
	var v problem.Validator
	s.checkNamed(&v, in.Slug, &in.Title, &in.Description, creating)
	if in.Phase != nil {
		v.Check(slices.Contains(Phases, *in.Phase), "phase", "error.phase")
	}
	if in.Moderation != nil {
		v.Check(slices.Contains(ModerationModes, *in.Moderation), "moderation", "error.moderation")
	}
	in.OpensAt.check(&v, "opens_at")
	in.ClosesAt.check(&v, "closes_at")
	if in.Process != nil {
		in.Process = s.catalog.CheckText(&v, "process", in.Process, 0, MaxDescription)
	}
	// The lists are cleaned in copies: the caller's (the demo's, shared by
	// every seed) stay as they were.
	for _, list := range in.givenLists() {
		v.Check(len(*list.texts) <= 50, list.name, "error.too_many")
		*list.texts = slices.Clone(*list.texts)
		for i, t := range *list.texts {
			(*list.texts)[i] = s.catalog.CheckText(&v, list.name+"["+strconv.Itoa(i)+"]", t, 1, MaxFrameText)
		}
	}
	if in.Themes != nil {
		v.Check(len(*in.Themes) <= 50, "themes", "error.too_many")
		seen := map[string]bool{}
		*in.Themes = slices.Clone(*in.Themes)
		for i := range *in.Themes {
			t := &(*in.Themes)[i]
			f := "themes[" + strconv.Itoa(i) + "]"
			v.Check(ValidSlug(t.Key), f+".key", "error.slug")
			v.Check(!seen[t.Key], f+".key", "error.duplicate")
			seen[t.Key] = true
			t.Title = s.catalog.CheckText(&v, f+".title", t.Title, 1, MaxTitle)
		}
	}
	return v.Err()
}

// ErrSlugTaken answers a slug already in use.
var ErrSlugTaken = problem.Conflict("error.slug_taken")

// Create makes a consultation; new ones start as draft with pre-moderation
// unless phase and moderation say otherwise.
func (s *Service) Create(ctx context.Context, actorID int64, in Input) (*Detail, error) {
	if err := s.validate(&in, true); err != nil {
		return nil, err
	}
	now := s.now()
	c := &Consultation{Slug: *in.Slug, Title: in.Title, Description: in.Description, Phase: PhaseDraft, Moderation: ModerationPre, CreatedAt: now, UpdatedAt: now}
	patch(&c.Phase, in.Phase)
	patch(&c.Moderation, in.Moderation)
	applySchedule(c, &in)
	if err := checkSchedule(c, &in, now); err != nil {
		return nil, err
	}
	var out *Detail
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.NewInsert().Model(c).Returning("id").Exec(ctx); err != nil {
			return err
		}
		d, err := s.saveFrame(ctx, tx, c, in)
		if err != nil {
			return err
		}
		out = d
		if c.Phase != PhaseDraft {
			if err := announce(ctx, tx, PhaseDraft, d); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actorID, "consultation.create", "consultation", c.Slug, nil, frameSnapshot(d))
	})
	if store.IsUniqueViolation(err) {
		return nil, ErrSlugTaken
	}
	return out, err
}

// Update changes a consultation. Lists given replace the old lists whole.
func (s *Service) Update(ctx context.Context, actorID int64, slug string, in Input) (*Detail, error) {
	if err := s.validate(&in, false); err != nil {
		return nil, err
	}
	var out *Detail
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The row is locked first: a date firing on another instance
		// meanwhile waits, or has fired and is read as fired.
		var id int64
		if err := tx.QueryRow(ctx, "SELECT id FROM consultations WHERE slug = ?"+tx.ForUpdate(""), slug).Scan(&id); err != nil {
			return found(err)
		}
		before, err := s.load(ctx, tx, slug, true)
		if err != nil {
			return err
		}
		c := before.Consultation
		patch(&c.Slug, in.Slug)
		patchText(&c.Title, in.Title)
		patchText(&c.Description, in.Description)
		patch(&c.Phase, in.Phase)
		patch(&c.Moderation, in.Moderation)
		applySchedule(&c, &in)
		c.UpdatedAt = s.now()
		if err := checkSchedule(&c, &in, c.UpdatedAt); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&c).WherePK().
			Column("slug", "title", "description", "phase", "moderation", "updated_at").
			Column("opens_at", "closes_at", "opens_fired", "closes_fired", "process").Exec(ctx); err != nil {
			return err
		}
		after, err := s.saveFrame(ctx, tx, &c, in)
		if err != nil {
			return err
		}
		out = after
		// Every page of the consultation shows its title and phase.
		if err := announce(ctx, tx, before.Phase, after); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "consultation.update", "consultation", c.Slug, frameSnapshot(before), frameSnapshot(after))
	})
	if store.IsUniqueViolation(err) {
		return nil, ErrSlugTaken
	}
	return out, err
}

// saveFrame writes the lists in carries for consultation c and reads the
// consultation back as it is now.
func (s *Service) saveFrame(ctx context.Context, tx *store.Tx, c *Consultation, in Input) (*Detail, error) {
	if err := replaceFrame(ctx, tx, c.ID, in); err != nil {
		return nil, err
	}
	return s.load(ctx, tx, c.Slug, true)
}

// replaceFrame writes the guidelines, priorities and themes that in carries.
func replaceFrame(ctx context.Context, tx *store.Tx, consultationID int64, in Input) error {
	for _, list := range in.givenLists() {
		if _, err := tx.NewDelete().TableExpr(list.name).Where("consultation_id = ?", consultationID).Exec(ctx); err != nil {
			return err
		}
		for i, t := range *list.texts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+list.name+" (consultation_id, number, text) VALUES (?, ?, ?)", consultationID, i+1, t); err != nil {
				return err
			}
		}
	}
	if in.Themes != nil {
		if _, err := tx.NewDelete().Model((*Theme)(nil)).Where("consultation_id = ?", consultationID).Exec(ctx); err != nil {
			return err
		}
		for i, t := range *in.Themes {
			row := &Theme{ConsultationID: consultationID, Key: t.Key, Title: t.Title, Position: i + 1}
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// frameSnapshot is what the audit log keeps of a consultation.
func frameSnapshot(d *Detail) map[string]any {
	return map[string]any{
		"consultation": d.Consultation, "guidelines": d.Guidelines, "priorities": d.Priorities, "themes": d.Themes,
	}
}
