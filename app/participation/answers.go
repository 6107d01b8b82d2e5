package participation

import (
	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
)

// Triage is an expert group's triage of an idea or a comment as stored:
// its state and public answer, with the group whose inbox the answer came
// from (none for answers older than that record, or whose group is gone).
// Rows embed it; TriageColumns reads it.
type Triage struct {
	TriageState       string      `bun:"triage_state"`
	Response          string      `bun:"response"`
	ResponseGroupID   *int64      `bun:"response_group_id"`
	ResponseGroupName locale.Text `bun:"response_group_name,type:text"`
}

// TriageColumns are the columns Triage reads from alias x, with the
// answering group joined by TriageJoin.
func TriageColumns(x string) string {
	return x + ".triage_state, " + x + ".response, " + x + ".response_group_id, rg.name AS response_group_name"
}

// TriageJoin joins the answering group of alias x as rg.
func TriageJoin(x string) string {
	return " LEFT JOIN expert_groups rg ON rg.id = " + x + ".response_group_id"
}

// Answer is an expert group's public answer as the API shows it:
// {text, group:{id,name}}, group null when it is not known.
type Answer struct {
	Text  string       `json:"text"`
	Group *AnswerGroup `json:"group"`
}

// AnswerGroup names the group that answered.
type AnswerGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Answer is the public answer in lang's language (the group's name is
// translated), nil without an answer text.
func (t *Triage) Answer(lang string) *Answer {
	if t.Response == "" {
		return nil
	}
	a := &Answer{Text: t.Response}
	if t.ResponseGroupID != nil {
		a.Group = &AnswerGroup{ID: *t.ResponseGroupID, Name: t.ResponseGroupName.String(lang)}
	}
	return a
}

// AnswerShown is what a page prints of a triage next to its item.
type AnswerShown struct {
	// Heading is "Answer from" before a group's name, or the heading of
	// an answer whose group is not known, or of a state without answer.
	Heading string
	Group   locale.Shown
	State   string
	Text    string
}

// Shown prepares the triage for a page in l's language; nil while the
// expert groups have neither answered nor moved the item on from "new".
func (t *Triage) Shown(l *locale.Localizer) *AnswerShown {
	if t.Response == "" && (t.TriageState == "" || t.TriageState == "new") {
		return nil
	}
	s := &AnswerShown{State: l.T(triageKeys + t.TriageState), Text: t.Response}
	switch {
	case t.Response == "":
		s.Heading = l.T("answer.state")
	case t.ResponseGroupID != nil:
		s.Heading = l.T("answer.from")
		s.Group = t.ResponseGroupName.In(l.Lang.Code)
	default:
		s.Heading = l.T("idea.response")
	}
	return s
}

// staffRole is the role a contribution shows beside its author's name:
// moderator, expert or admin; none for residents and erased accounts.
func staffRole(role string, deleted bool) string {
	if deleted {
		return ""
	}
	switch access.Role(role) {
	case access.Moderator, access.Expert, access.Admin:
		return role
	}
	return ""
}

// Authored is the author of a listed idea or comment, as AuthorColumns
// selects it.
type Authored struct {
	AuthorID      int64  `bun:"author_id"`
	AuthorName    string `bun:"author_name"`
	AuthorDeleted bool   `bun:"author_deleted"`
	AuthorRole    string `bun:"author_role"`
}

// AuthorColumns selects an Authored for the contribution aliased alias,
// joined with its author's users row as u.
func AuthorColumns(alias string) string {
	return alias + ".author_id, u.display_name AS author_name, (u.deleted_at IS NOT NULL) AS author_deleted, u.role AS author_role"
}

// Contributor is AuthorOf for an idea's or a comment's author, with
// their current staff role.
func (a *Authored) Contributor(l *locale.Localizer) Author {
	out := AuthorOf(a.AuthorID, a.AuthorName, a.AuthorDeleted, l)
	out.Role = a.Role()
	return out
}

// Role is the author's staff role, "" for residents.
func (a Authored) Role() string { return staffRole(a.AuthorRole, a.AuthorDeleted) }

// langOf is l's language, German for live events (l nil).
func langOf(l *locale.Localizer) string {
	if l == nil {
		return locale.Default
	}
	return l.Lang.Code
}
