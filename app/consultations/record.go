package consultations

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// A measure's record says what became of it, for everyone: every status it
// has had with the statement why (its history), milestones, documents (for
// example the council papers that decided it) and the ideas taken up in
// it. The lead (the responsible department) is a column of the measure.

// HistoryEntry is one status a measure has had. The first is its creation;
// Statement is empty for it and for measures older than the record.
type HistoryEntry struct {
	Status    string      `bun:"status"`
	Statement locale.Text `bun:"statement,type:text"`
	CreatedAt time.Time   `bun:"created_at"`
}

// Milestone is a step of a measure, with the day it is due and the day it
// was done (YYYY-MM-DD, either may be nil).
type Milestone struct {
	ID     int64       `bun:"id"`
	Title  locale.Text `bun:"title,type:text"`
	DueOn  *string     `bun:"due_on"`
	DoneOn *string     `bun:"done_on"`
}

// Document is a link to a document about a measure.
type Document struct {
	Title locale.Text `bun:"title,type:text"`
	URL   string      `bun:"url"`
}

// IdeaRef is a published idea taken up in a measure.
type IdeaRef struct {
	ID    int64  `bun:"id"`
	Title string `bun:"title"`
	Lang  string `bun:"lang"`
}

// Record is everything a measure's record holds besides its lead.
type Record struct {
	History    []HistoryEntry
	Milestones []Milestone
	Documents  []Document
	Ideas      []IdeaRef
}

// Latest is the newest entry of the history.
func (r *Record) Latest() *HistoryEntry {
	if len(r.History) == 0 {
		return nil
	}
	return &r.History[len(r.History)-1]
}

// loadRecord reads the record of measure id; of the ideas only the public
// ones (access.PublicSQL), as an idea taken out of view leaves it.
func loadRecord(ctx context.Context, db bun.IDB, id int64) (Record, error) {
	r := Record{History: []HistoryEntry{}, Milestones: []Milestone{}, Documents: []Document{}, Ideas: []IdeaRef{}}
	for _, q := range []struct {
		query string
		dst   any
	}{
		{"SELECT status, statement, created_at FROM measure_history WHERE measure_id = ? ORDER BY id", &r.History},
		{"SELECT id, title, due_on, done_on FROM measure_milestones WHERE measure_id = ? ORDER BY position", &r.Milestones},
		{"SELECT title, url FROM measure_documents WHERE measure_id = ? ORDER BY position", &r.Documents},
		{"SELECT i.id, i.title, i.lang FROM ideas i WHERE i.measure_id = ? AND " + access.PublicSQL("i") + " ORDER BY i.id", &r.Ideas},
	} {
		if err := db.NewRaw(q.query, id).Scan(ctx, q.dst); err != nil && !store.IsNoRows(err) {
			return r, err
		}
	}
	return r, nil
}

// Record limits.
const (
	MaxStatement     = 4000
	MaxLead          = 200
	MaxMilestones    = 50
	MaxDocuments     = 50
	MaxMilestoneText = 300
	maxURL           = 2000
)

// checkStatement checks the statement a status change needs: a translated
// text with German. Without any, the failing field is "statement".
func (s *Service) checkStatement(v *problem.Validator, t locale.Text) locale.Text {
	if t[locale.Default] == "" && len(t) == 0 {
		v.Add(problem.Field("statement", "error.statement_required"))
		return nil
	}
	return s.catalog.CheckText(v, "statement", t, 1, MaxStatement)
}

// addHistory appends a status to a measure's history.
func addHistory(ctx context.Context, tx *store.Tx, measureID int64, status string, statement locale.Text, actorID int64, at time.Time) error {
	var actor *int64
	if actorID != 0 {
		actor = &actorID
	}
	_, err := tx.Exec(ctx, "INSERT INTO measure_history (measure_id, status, statement, actor_id, created_at) VALUES (?, ?, ?, ?, ?)",
		measureID, status, statement, actor, tx.Time(at))
	return err
}

// MilestoneInput is a milestone as PUT /measures/{id}/milestones carries it.
type MilestoneInput struct {
	Title  locale.Text `json:"title"`
	DueOn  *string     `json:"due_on"`
	DoneOn *string     `json:"done_on"`
}

// DocumentInput is a document as PUT /measures/{id}/documents carries it.
type DocumentInput struct {
	Title locale.Text `json:"title"`
	URL   string      `json:"url"`
}

// checkMilestones cleans the texts of list in place: callers pass a copy
// of what they must keep (the demo's lists are shared by every seed).
func (s *Service) checkMilestones(list []MilestoneInput) error {
	var v problem.Validator
	v.Check(len(list) <= MaxMilestones, "milestones", "error.too_many")
	for i := range list {
		f := "milestones[" + strconv.Itoa(i) + "]"
		list[i].Title = s.catalog.CheckText(&v, f+".title", list[i].Title, 1, MaxMilestoneText)
		for name, d := range map[string]*string{"due_on": list[i].DueOn, "done_on": list[i].DoneOn} {
			if d != nil {
				_, err := time.Parse(time.DateOnly, *d)
				v.Check(err == nil, f+"."+name, "error.date_format")
			}
		}
	}
	return v.Err()
}

// checkDocuments cleans the titles of list in place, as checkMilestones.
func (s *Service) checkDocuments(list []DocumentInput) error {
	var v problem.Validator
	v.Check(len(list) <= MaxDocuments, "documents", "error.too_many")
	for i := range list {
		f := "documents[" + strconv.Itoa(i) + "]"
		list[i].Title = s.catalog.CheckText(&v, f+".title", list[i].Title, 1, MaxMilestoneText)
		v.Check(httpsURL(list[i].URL), f+".url", "error.https_url")
	}
	return v.Err()
}

// httpsURL accepts an absolute https link to a named host: a document
// link is shown to everyone, so no other scheme (javascript:, data:) and
// no credentials in it.
func httpsURL(raw string) bool {
	if len(raw) > maxURL || strings.ContainsAny(raw, " \t\r\n\"<>\\") {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Hostname() != ""
}

// ReplaceMilestones replaces a measure's milestones.
func (s *Service) ReplaceMilestones(ctx context.Context, actorID, id int64, list []MilestoneInput) (*MeasureDetail, error) {
	list = slices.Clone(list)
	if err := s.checkMilestones(list); err != nil {
		return nil, err
	}
	return s.changeRecord(ctx, actorID, id, "measure.milestones", map[string]any{"milestones": list}, func(ctx context.Context, tx *store.Tx, before *MeasureDetail) error {
		columns := []string{"title", "due_on", "done_on"}
		if err := replaceRows(ctx, tx, "measure_milestones", columns, id, list, func(m MilestoneInput) []any { return []any{m.Title, m.DueOn, m.DoneOn} }); err != nil {
			return err
		}
		if !newlyReached(before.Record.Milestones, list) || !access.PublicPhase(before.Phase) {
			return nil
		}
		return notifyFollowers(ctx, tx, s.catalog, &before.Measure, actorID, "notifications.milestone_reached")
	})
}

// newlyReached reports a milestone marked reached that was not before
// (known by its German title): the people following the measure hear of
// it, as of a status change; other edits of the record are not news.
func newlyReached(before []Milestone, after []MilestoneInput) bool {
	done := map[string]bool{}
	for _, m := range before {
		if m.DoneOn != nil {
			done[m.Title[locale.Default]] = true
		}
	}
	for _, m := range after {
		if m.DoneOn != nil && !done[m.Title[locale.Default]] {
			return true
		}
	}
	return false
}

// ReplaceDocuments replaces a measure's documents.
func (s *Service) ReplaceDocuments(ctx context.Context, actorID, id int64, list []DocumentInput) (*MeasureDetail, error) {
	list = slices.Clone(list)
	if err := s.checkDocuments(list); err != nil {
		return nil, err
	}
	return s.changeRecord(ctx, actorID, id, "measure.documents", map[string]any{"documents": list}, func(ctx context.Context, tx *store.Tx, _ *MeasureDetail) error {
		columns := []string{"title", "url"}
		return replaceRows(ctx, tx, "measure_documents", columns, id, list, func(d DocumentInput) []any { return []any{d.Title, d.URL} })
	})
}

// replaceRows replaces the rows of measure id in table (one of the
// record's lists) by list, in its order: values are an item's columns,
// which follow measure_id and position.
func replaceRows[I any](ctx context.Context, tx *store.Tx, table string, columns []string, id int64, list []I, values func(I) []any) error {
	if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE measure_id = ?", id); err != nil {
		return err
	}
	insert := "INSERT INTO " + table + " (measure_id, position, " + strings.Join(columns, ", ") + ") VALUES (?, ?, " + store.Placeholders(len(columns)) + ")"
	for i, item := range list {
		if _, err := tx.Exec(ctx, insert, append([]any{id, i + 1}, values(item)...)...); err != nil {
			return err
		}
	}
	return nil
}

// changeRecord runs one change of a measure's record: it loads the measure
// (locked on PostgreSQL), runs change, audits it as action with audited as
// the entry's after state (an object, as every audit entry's state is) and
// announces the measure as it is now.
func (s *Service) changeRecord(ctx context.Context, actorID, id int64, action string, audited any, change func(ctx context.Context, tx *store.Tx, m *MeasureDetail) error) (*MeasureDetail, error) {
	var out *MeasureDetail
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := s.lockMeasure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := change(ctx, tx, before); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE measures SET updated_at = ? WHERE id = ?", tx.Time(s.now()), id); err != nil {
			return err
		}
		if out, err = s.getMeasure(ctx, tx, id, true, 0); err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, actorID, action, id, audited); err != nil {
			return err
		}
		return announceMeasure(ctx, tx, out)
	})
	return out, err
}

// lockMeasure reads a measure inside a write, its row locked against
// other writers on PostgreSQL until the write commits.
func (s *Service) lockMeasure(ctx context.Context, tx *store.Tx, id int64) (*MeasureDetail, error) {
	var found int64
	if err := tx.QueryRow(ctx, "SELECT id FROM measures WHERE id = ?"+tx.ForUpdate(""), id).Scan(&found); err != nil {
		if store.IsNoRows(err) {
			return nil, problem.NotFound()
		}
		return nil, err
	}
	return s.getMeasure(ctx, tx, id, true, 0)
}

func auditRecord(ctx context.Context, tx *store.Tx, actorID int64, action string, id int64, after any) error {
	return audit.Record(ctx, tx, actorID, action, "measure", id, nil, after)
}

// announceMeasure tells the measure's subscribers, its consultation's and those
// of the ideas taken up in it (their pages name it) that it changed, as
// its GET shows it; a measure of a draft consultation is not public yet.
func announceMeasure(ctx context.Context, tx *store.Tx, m *MeasureDetail, more ...int64) error {
	if !access.PublicPhase(m.Phase) {
		return nil
	}
	to := []topics.Topic{topics.Measure(m.ID), topics.Consultation(m.ConsultationSlug)}
	for _, idea := range m.Record.Ideas {
		to = append(to, topics.Idea(idea.ID))
	}
	for _, id := range more {
		to = append(to, topics.Idea(id))
	}
	return tx.Emit(ctx, topics.MeasureUpdated, m.JSON(locale.Default), to...)
}

// ErrIdeaElsewhere refuses to take up an idea that is not published in the
// measure's consultation.
var ErrIdeaElsewhere = problem.Invalid(problem.Field("idea_id", "error.idea_not_takeable"))

// TakeUpIdea links a published idea of the measure's consultation to the
// measure; an idea taken up in another measure moves. Its author is told.
func (s *Service) TakeUpIdea(ctx context.Context, actorID, measureID, ideaID int64) error {
	return s.linkIdea(ctx, actorID, measureID, ideaID, true)
}

// DropIdea unlinks an idea from the measure; an idea not linked to it
// stays as it is.
func (s *Service) DropIdea(ctx context.Context, actorID, measureID, ideaID int64) error {
	return s.linkIdea(ctx, actorID, measureID, ideaID, false)
}

func (s *Service) linkIdea(ctx context.Context, actorID, measureID, ideaID int64, link bool) error {
	return s.st.Write(store.For(ctx, measureID), func(ctx context.Context, tx *store.Tx) error {
		m, err := s.lockMeasure(ctx, tx, measureID)
		if err != nil {
			return err
		}
		var idea struct {
			Status         string
			MeasureID      *int64
			AuthorID       int64
			Title          string
			ConsultationID int64
		}
		err = tx.QueryRow(ctx, "SELECT i.status, i.measure_id, i.author_id, i.title, f.consultation_id FROM ideas i JOIN fields f ON f.id = i.field_id WHERE i.id = ?"+tx.ForUpdate("i"), ideaID).
			Scan(&idea.Status, &idea.MeasureID, &idea.AuthorID, &idea.Title, &idea.ConsultationID)
		if store.IsNoRows(err) {
			return problem.NotFound()
		}
		if err != nil {
			return err
		}
		linked := idea.MeasureID != nil && *idea.MeasureID == measureID
		if link == linked {
			return nil
		}
		var to *int64
		if link {
			if !access.IsPublic(idea.Status) || idea.ConsultationID != m.ConsultationID {
				return ErrIdeaElsewhere
			}
			to = &measureID
		}
		if _, err := tx.Exec(ctx, "UPDATE ideas SET measure_id = ? WHERE id = ?", to, ideaID); err != nil {
			return err
		}
		action := map[bool]string{true: "measure.idea_taken_up", false: "measure.idea_dropped"}[link]
		if err := auditRecord(ctx, tx, actorID, action, measureID, map[string]any{"idea_id": ideaID, "from": idea.MeasureID}); err != nil {
			return err
		}
		// The measure the idea leaves changes too.
		if link && idea.MeasureID != nil {
			if err := s.reannounce(ctx, tx, *idea.MeasureID); err != nil {
				return err
			}
		}
		if err := s.reannounce(ctx, tx, measureID, ideaID); err != nil {
			return err
		}
		if !link {
			return nil
		}
		return notifications.Notify(ctx, tx, s.catalog, notifications.Recipients{
			Query: notifications.To(idea.AuthorID).Query, Args: []any{idea.AuthorID}, Except: actorID,
		}, notifications.Notice{
			Kind: notifications.Answer, Title: m.Title, URL: "/m/" + strconv.FormatInt(measureID, 10),
			Body: "notifications.idea_taken_up", Args: map[string]string{"Idea": idea.Title},
		})
	})
}

// reannounce reads a measure as it is now and announces it.
func (s *Service) reannounce(ctx context.Context, tx *store.Tx, id int64, ideas ...int64) error {
	m, err := s.getMeasure(ctx, tx, id, true, 0)
	if err != nil {
		return err
	}
	return announceMeasure(ctx, tx, m, ideas...)
}
