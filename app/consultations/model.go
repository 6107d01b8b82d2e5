// Package consultations owns consultations (Beteiligungsverfahren) with
// their strategic frame (guidelines, priorities, cross-cutting themes), the
// fields of action (Handlungsfelder) and the measures proposed in them.
package consultations

import (
	"database/sql/driver"
	"encoding/json"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
)

// Phases and moderation modes. What a draft hides, and from whom, is
// access's rule (access.SeesPhase).
const (
	PhaseDraft     = access.DraftPhase
	PhaseOpen      = "open"
	PhaseClosed    = "closed"
	PhaseEvaluated = "evaluated"

	ModerationPre  = "pre"
	ModerationPost = "post"
)

// Phases lists every phase in order.
var Phases = []string{PhaseDraft, PhaseOpen, PhaseClosed, PhaseEvaluated}

// ModerationModes lists pre- and post-moderation.
var ModerationModes = []string{ModerationPre, ModerationPost}

// Measure statuses.
var MeasureStatuses = []string{"proposed", "in_discussion", "adopted", "rejected", "implemented"}

// Consultation is a consultations row.
type Consultation struct {
	bun.BaseModel `bun:"table:consultations"`

	ID          int64       `bun:"id,pk,autoincrement" json:"-"`
	Slug        string      `bun:"slug" json:"slug"`
	Title       locale.Text `bun:"title,type:text" json:"title"`
	Description locale.Text `bun:"description,type:text" json:"description"`
	Phase       string      `bun:"phase" json:"phase"`
	Moderation  string      `bun:"moderation" json:"moderation"`
	// The schedule (schedule.go): the phase changes by itself at these
	// dates, each once (its flag set when it fired).
	OpensAt     *time.Time  `bun:"opens_at" json:"opens_at"`
	ClosesAt    *time.Time  `bun:"closes_at" json:"closes_at"`
	OpensFired  bool        `bun:"opens_fired" json:"opens_fired"`
	ClosesFired bool        `bun:"closes_fired" json:"closes_fired"`
	Process     locale.Text `bun:"process,type:text" json:"process"`
	CreatedAt   time.Time   `bun:"created_at" json:"-"`
	UpdatedAt   time.Time   `bun:"updated_at" json:"-"`
}

// Numbered is a guideline or a priority: a numbered translated text.
type Numbered struct {
	ID             int64       `bun:"id,pk,autoincrement" json:"-"`
	ConsultationID int64       `bun:"consultation_id" json:"-"`
	Number         int         `bun:"number" json:"number"`
	Text           locale.Text `bun:"text,type:text" json:"text"`
}

// Theme is a cross-cutting theme (Querschnittsthema).
type Theme struct {
	bun.BaseModel `bun:"table:themes"`

	ID             int64       `bun:"id,pk,autoincrement" json:"-"`
	ConsultationID int64       `bun:"consultation_id" json:"-"`
	Key            string      `bun:"key" json:"key"`
	Title          locale.Text `bun:"title,type:text" json:"title"`
	Position       int         `bun:"position" json:"-"`
}

// Field is a field of action (Handlungsfeld).
type Field struct {
	bun.BaseModel `bun:"table:fields"`

	ID             int64       `bun:"id,pk,autoincrement" json:"id"`
	ConsultationID int64       `bun:"consultation_id" json:"-"`
	Slug           string      `bun:"slug" json:"slug"`
	Title          locale.Text `bun:"title,type:text" json:"title"`
	Description    locale.Text `bun:"description,type:text" json:"description"`
	Position       int         `bun:"position" json:"-"`
	CreatedAt      time.Time   `bun:"created_at" json:"-"`
	UpdatedAt      time.Time   `bun:"updated_at" json:"-"`
}

// GroupRef names an expert group serving a field.
type GroupRef struct {
	ID   int64       `bun:"id"`
	Name locale.Text `bun:"name,type:text"`
}

// FieldSummary is a field with its groups and counts, as a consultation lists it.
type FieldSummary struct {
	Field
	MeasureCount int64 `bun:"measure_count,scanonly"`
	IdeaCount    int64 `bun:"idea_count,scanonly"`
	Groups       []GroupRef
}

// GroupIDs lists the ids of the groups serving the field.
func (f *FieldSummary) GroupIDs() []int64 {
	ids := make([]int64, 0, len(f.Groups))
	for _, g := range f.Groups {
		ids = append(ids, g.ID)
	}
	return ids
}

// Detail is a consultation with everything its page shows.
type Detail struct {
	Consultation
	Guidelines []Numbered
	Priorities []Numbered
	Themes     []Theme
	Fields     []FieldSummary
}

// NumberedList is a numbered list of a consultation's frame: its name
// (the key of its heading) and its texts.
type NumberedList struct {
	Name  string
	Items []Numbered
}

// NumberedLists are the guidelines and the priorities, as the
// consultation's page shows them one after the other.
func (d *Detail) NumberedLists() []NumberedList {
	return []NumberedList{{"guidelines", d.Guidelines}, {"priorities", d.Priorities}}
}

// ThemeTitle returns a theme's title by key, or nil when the key is unknown.
func (d *Detail) ThemeTitle(key string) locale.Text {
	for _, t := range d.Themes {
		if t.Key == key {
			return t.Title
		}
	}
	return nil
}

// patch applies one value of a change: nil leaves *dst as it is.
func patch[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// patchText applies a text of a change: nil leaves *dst as it is.
func patchText(dst *locale.Text, t locale.Text) {
	if t != nil {
		*dst = t
	}
}

// Keys is a list of theme keys stored as a JSON array.
type Keys []string

// Value stores the keys as JSON.
func (k Keys) Value() (driver.Value, error) {
	if k == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(k))
	return string(b), err
}

// Scan reads the keys from JSON.
func (k *Keys) Scan(src any) error {
	out := []string{}
	if err := locale.ScanJSON(src, &out, "consultations.Keys"); err != nil {
		return err
	}
	*k = out
	return nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports a lower-case, hyphenated slug of 2–64 characters.
func ValidSlug(s string) bool { return len(s) >= 2 && len(s) <= 64 && slugPattern.MatchString(s) }
