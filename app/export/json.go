package export

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// The JSON shape, version mitreden-feedback/1 (docs/export.md). Codes
// (states, stances, statuses, theme keys) are not translated; titles are
// in the export's language.
type (
	jsonScope struct {
		Kind string `json:"kind"`
		ID   int64  `json:"id,omitempty"`
		Slug string `json:"slug,omitempty"`
		Name string `json:"name"`
	}
	jsonTotals struct {
		Ideas    int64 `json:"ideas"`
		Comments int64 `json:"comments"`
		Votes    int64 `json:"votes"`
		People   int64 `json:"people"`
	}
	jsonTriage struct {
		State    string `json:"state"`
		Label    string `json:"label"`
		Ideas    int64  `json:"ideas"`
		Comments int64  `json:"comments"`
	}
	jsonStance struct {
		Stance   string `json:"stance"`
		Label    string `json:"label"`
		Comments int64  `json:"comments"`
	}
	jsonTheme struct {
		Key      string `json:"key"`
		Title    string `json:"title"`
		Ideas    int64  `json:"ideas"`
		Comments int64  `json:"comments"`
		Votes    int64  `json:"votes"`
		People   int64  `json:"people"`
	}
	jsonLanguage struct {
		Lang     string `json:"lang"`
		Name     string `json:"name"`
		Ideas    int64  `json:"ideas"`
		Comments int64  `json:"comments"`
		People   int64  `json:"people"`
	}
	jsonDay struct {
		Date     string `json:"date"`
		Ideas    int64  `json:"ideas"`
		Comments int64  `json:"comments"`
		Votes    int64  `json:"votes"`
	}
	jsonSummary struct {
		Totals        jsonTotals     `json:"totals"`
		Triage        []jsonTriage   `json:"triage"`
		Stances       []jsonStance   `json:"stances"`
		Themes        []jsonTheme    `json:"themes"`
		Languages     []jsonLanguage `json:"languages"`
		Participation []jsonDay      `json:"participation"`
	}
	jsonMeasure struct {
		ID       int64    `json:"id"`
		FieldID  int64    `json:"field_id"`
		Title    string   `json:"title"`
		Status   string   `json:"status"`
		Themes   []string `json:"themes"`
		Tally    Tally    `json:"tally"`
		Approval *float64 `json:"approval"`
		Comments Stances  `json:"comments"`
		// The record: lead (null when nobody is named), history (oldest
		// first) and the published ideas taken up.
		Lead    *string       `json:"lead"`
		History []jsonHistory `json:"history"`
		Ideas   []IdeaRef     `json:"ideas"`
	}
	jsonHistory struct {
		Status    string    `json:"status"`
		Statement *string   `json:"statement"`
		CreatedAt time.Time `json:"created_at"`
	}
	jsonIdea struct {
		ID           int64     `json:"id"`
		FieldID      int64     `json:"field_id"`
		Title        string    `json:"title"`
		Body         string    `json:"body"`
		Lang         string    `json:"lang"`
		Themes       []string  `json:"themes"`
		Author       string    `json:"author"`
		Tally        Tally     `json:"tally"`
		Approval     *float64  `json:"approval"`
		CommentCount int64     `json:"comment_count"`
		TriageState  string    `json:"triage_state"`
		Response     string    `json:"response"`
		CreatedAt    time.Time `json:"created_at"`
		Measure      *IdeaRef  `json:"measure"`
	}
	jsonTarget struct {
		Kind  string `json:"kind"`
		ID    int64  `json:"id"`
		Title string `json:"title"`
	}
	jsonComment struct {
		ID          int64      `json:"id"`
		FieldID     int64      `json:"field_id"`
		Target      jsonTarget `json:"target"`
		ParentID    *int64     `json:"parent_id"`
		Body        string     `json:"body"`
		Stance      string     `json:"stance"`
		Lang        string     `json:"lang"`
		Author      string     `json:"author"`
		TriageState string     `json:"triage_state"`
		Response    string     `json:"response"`
		CreatedAt   time.Time  `json:"created_at"`
	}
)

// jsonWriter writes the document's head and summary at once, then each
// idea and comment with its own Encode as it is read.
type jsonWriter struct {
	buf   *bufio.Writer
	enc   *json.Encoder
	first bool
}

func newJSON(w io.Writer) *jsonWriter {
	buf := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return &jsonWriter{buf: buf, enc: enc}
}

func (j *jsonWriter) key(k string) error {
	_, err := j.buf.WriteString(k)
	return err
}

func people(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (j *jsonWriter) begin(sum *Summary) error {
	scope := jsonScope{Kind: sum.Scope.Kind, Name: sum.Scope.Name}
	if sum.Scope.Kind == "consultation" {
		scope.Slug = sum.Scope.Slug
	} else {
		scope.ID = sum.Scope.ID
	}
	s := jsonSummary{
		Totals:  jsonTotals{Ideas: sum.Totals.Ideas, Comments: sum.Totals.Comments, Votes: sum.Totals.Votes, People: people(sum.Totals.People)},
		Triage:  []jsonTriage{},
		Stances: []jsonStance{}, Themes: []jsonTheme{}, Languages: []jsonLanguage{}, Participation: []jsonDay{},
	}
	for _, r := range sum.Triage {
		s.Triage = append(s.Triage, jsonTriage{State: r.Key, Label: r.Label, Ideas: r.Ideas, Comments: r.Comments})
	}
	for _, r := range sum.Stances {
		s.Stances = append(s.Stances, jsonStance{Stance: r.Key, Label: r.Label, Comments: r.Comments})
	}
	for _, r := range sum.Themes {
		s.Themes = append(s.Themes, jsonTheme{Key: r.Key, Title: r.Label, Ideas: r.Ideas, Comments: r.Comments, Votes: r.Votes, People: people(r.People)})
	}
	for _, r := range sum.Languages {
		s.Languages = append(s.Languages, jsonLanguage{Lang: r.Key, Name: r.Label, Ideas: r.Ideas, Comments: r.Comments, People: people(r.People)})
	}
	for _, r := range sum.Days {
		s.Participation = append(s.Participation, jsonDay{Date: r.Key, Ideas: r.Ideas, Comments: r.Comments, Votes: r.Votes})
	}
	measures := make([]jsonMeasure, 0, len(sum.Measures))
	for _, m := range sum.Measures {
		jm := jsonMeasure{ID: m.ID, FieldID: m.FieldID, Title: m.Title, Status: m.Status, Themes: m.Themes,
			Tally: m.Tally, Approval: m.Tally.Approval(), Comments: m.Comments, History: []jsonHistory{}, Ideas: m.Ideas}
		if m.Lead != "" {
			jm.Lead = &m.Lead
		}
		for _, h := range m.History {
			e := jsonHistory{Status: h.Status, CreatedAt: h.At}
			if h.Statement != "" {
				e.Statement = &h.Statement
			}
			jm.History = append(jm.History, e)
		}
		measures = append(measures, jm)
	}
	fields := sum.Fields
	if fields == nil {
		fields = []FieldInfo{}
	}
	parts := []struct {
		key string
		v   any
	}{
		{`{"format":`, FormatID}, {`,"scope":`, scope}, {`,"generated_at":`, sum.GeneratedAt}, {`,"lang":`, sum.Lang},
		{`,"fields":`, fields}, {`,"summary":`, s}, {`,"measures":`, measures},
	}
	for _, p := range parts {
		if err := j.key(p.key); err != nil {
			return err
		}
		if err := j.enc.Encode(p.v); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonWriter) beginIdeas() error {
	j.first = true
	return j.key(`,"ideas":[`)
}

func (j *jsonWriter) item(v any) error {
	if !j.first {
		if err := j.key(","); err != nil {
			return err
		}
	}
	j.first = false
	return j.enc.Encode(v)
}

func (j *jsonWriter) idea(r *IdeaRow) error {
	return j.item(jsonIdea{ID: r.ID, FieldID: r.FieldID, Title: r.Title, Body: r.Body, Lang: r.Lang, Themes: r.Themes, Author: r.Author,
		Tally: r.Tally, Approval: r.Tally.Approval(), CommentCount: r.Comments, TriageState: r.TriageState, Response: r.Response, CreatedAt: r.CreatedAt,
		Measure: r.Measure})
}

func (j *jsonWriter) beginComments() error {
	j.first = true
	return j.key(`],"comments":[`)
}

func (j *jsonWriter) comment(r *CommentRow) error {
	return j.item(jsonComment{ID: r.ID, FieldID: r.FieldID, Target: jsonTarget{Kind: r.TargetKind, ID: r.TargetID, Title: r.TargetTitle},
		ParentID: r.ParentID, Body: r.Body, Stance: r.Stance, Lang: r.Lang, Author: r.Author, TriageState: r.TriageState,
		Response: r.Response, CreatedAt: r.CreatedAt})
}

func (j *jsonWriter) end() error {
	if err := j.key("]}\n"); err != nil {
		return err
	}
	return j.buf.Flush()
}
