// Package export writes an expert group's (or a whole consultation's)
// feedback summary as CSV, XLSX, JSON or Markdown. Rows are read from the
// database in pages and written as they are read, so memory stays flat
// however large the consultation: only the small aggregates (tallies per
// measure, counts per theme, language and day) are held at once.
//
// An export carries only published content and no personal data: authors
// appear as pseudonyms ("Person 1", "Person 2", … in order of first
// appearance) that are stable within one export and mean nothing outside
// it, and breakdowns by language or theme merge groups of fewer than
// MinGroup people into "other".
package export

import (
	"time"
)

// FormatID names the JSON shape; it changes when the shape does.
const FormatID = "mitreden-feedback/1"

// MinGroup is the smallest number of distinct people a row of a breakdown
// by language or theme may stand for; smaller groups are merged into
// "other".
const MinGroup = 5

// OtherKey is the key of the merged row of a breakdown.
const OtherKey = "other"

// Formats an export is written in.
var Formats = []string{"csv", "xlsx", "json", "md"}

// Scope is what an export covers: an expert group's fields, or every
// field of a consultation.
type Scope struct {
	// Kind is "expert_group" or "consultation".
	Kind string
	ID   int64
	Slug string
	Name string
	// FieldIDs are the fields of action covered.
	FieldIDs []int64
}

// FieldInfo names a field of action in the export's language.
type FieldInfo struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	Consultation string `json:"consultation"`
}

// Tally counts votes.
type Tally struct {
	For     int64 `json:"for"`
	Against int64 `json:"against"`
	Neutral int64 `json:"neutral"`
}

// Total is the number of votes.
func (t Tally) Total() int64 { return t.For + t.Against + t.Neutral }

// Approval is for/(for+against), nil when both are 0.
func (t Tally) Approval() *float64 {
	if t.For+t.Against == 0 {
		return nil
	}
	a := float64(t.For) / float64(t.For+t.Against)
	return &a
}

// Stances counts comments by stance.
type Stances struct {
	Pro     int64 `json:"pro"`
	Contra  int64 `json:"contra"`
	Neutral int64 `json:"neutral"`
}

// MeasureRow is one measure with its tallies.
type MeasureRow struct {
	ID       int64
	FieldID  int64
	Field    string
	Title    string
	Status   string
	Themes   []string
	Tally    Tally
	Comments Stances
	// The measure's record: who leads it (empty when nobody is named),
	// every status it has had, oldest first, and the published ideas
	// taken up in it.
	Lead    string
	History []HistoryRow
	Ideas   []IdeaRef
}

// HistoryRow is one status a measure has had, with the statement why
// (empty for its creation) in the export's language.
type HistoryRow struct {
	Status    string
	Statement string
	At        time.Time
}

// IdeaRef names an idea taken up in a measure, or the measure an idea was
// taken up in.
type IdeaRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// IdeaRow is one published idea.
type IdeaRow struct {
	ID          int64
	FieldID     int64
	Field       string
	Title       string
	Body        string
	Lang        string
	Themes      []string
	Author      string
	Tally       Tally
	Comments    int64
	TriageState string
	Response    string
	CreatedAt   time.Time
	// Measure is the measure the idea was taken up in, nil when none.
	Measure *IdeaRef
}

// CommentRow is one published comment.
type CommentRow struct {
	ID          int64
	FieldID     int64
	Field       string
	TargetKind  string
	TargetID    int64
	TargetTitle string
	ParentID    *int64
	Body        string
	Stance      string
	Lang        string
	Author      string
	TriageState string
	Response    string
	CreatedAt   time.Time
}

// CountRow is one line of a breakdown of the summary. Section is one of
// "triage", "stance", "theme", "language", "day"; which counts apply
// depends on it (see docs/export.md). People is nil where it is not
// counted.
type CountRow struct {
	Section  string
	Key      string
	Label    string
	Ideas    int64
	Comments int64
	Votes    int64
	People   *int64
}

// Summary is everything an export holds besides the ideas and comments,
// which are streamed.
type Summary struct {
	Scope       Scope
	GeneratedAt time.Time
	Lang        string
	Fields      []FieldInfo
	Measures    []MeasureRow
	// Totals: published ideas, visible comments, votes on measures and
	// published ideas, and distinct contributors.
	Totals    CountRow
	Triage    []CountRow
	Stances   []CountRow
	Themes    []CountRow
	Languages []CountRow
	Days      []CountRow
}

// Sections lists the breakdowns in the order exports show them.
func (s *Summary) Sections() [][]CountRow {
	return [][]CountRow{s.Triage, s.Stances, s.Themes, s.Languages, s.Days}
}

// MaxTally is the largest vote total of a measure, for scaling bars.
func (s *Summary) MaxTally() int64 {
	var m int64
	for _, r := range s.Measures {
		m = max(m, r.Tally.Total())
	}
	return m
}
