package participation

import (
	"context"
	"strconv"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
)

// MyContribution is one of a person's ideas or comments as /me lists it,
// with its moderation state.
type MyContribution struct {
	Kind       string    `bun:"kind"` // "idea" or "comment"
	ID         int64     `bun:"id"`
	Title      string    `bun:"title"`
	Body       string    `bun:"body"`
	Status     string    `bun:"status"`
	CreatedAt  time.Time `bun:"created_at"`
	TargetKind Kind      `bun:"target_kind"`
	TargetID   int64     `bun:"target_id"`
	// Decision is the latest moderation decision's statement of reasons,
	// shown to the author when their content was rejected or hidden.
	DecisionReason    string `bun:"decision_reason"`
	DecisionStatement string `bun:"decision_statement"`
	// Appealed is true once the author appealed the latest decision.
	Appealed bool `bun:"appealed"`
	// Triage is the expert groups' state and public answer.
	Triage
	// MeasureID is the measure an idea was taken up in (nil for comments
	// and ideas not taken up), with its title.
	MeasureID    *int64      `bun:"measure_id"`
	MeasureTitle locale.Text `bun:"measure_title,type:text"`
	// On names the measure or idea a comment is about, so the list says
	// where each comment was written (empty for ideas, and for an idea
	// no longer public).
	On On `bun:"embed:on_"`
}

// On is the measure or idea something is about, with its title.
type On struct {
	MeasureTitle locale.Text `bun:"measure_title,type:text"`
	IdeaTitle    string      `bun:"idea_title"`
	IdeaLang     string      `bun:"idea_lang"`
}

// Shown reports whether there is a title to show.
func (o On) Shown() bool { return len(o.MeasureTitle) > 0 || o.IdeaTitle != "" }

// onColumns and onJoins read the title of the measure or idea (public,
// or one's own) that rows of alias are about (its target_kind and
// target_id); author is the placeholder of the reader.
func onColumns() string {
	return "om.title AS on_measure_title, COALESCE(oi.title, '') AS on_idea_title, COALESCE(oi.lang, '') AS on_idea_lang"
}

func onJoins(alias, author string) string {
	return `
LEFT JOIN measures om ON ` + alias + `.target_kind = 'measure' AND om.id = ` + alias + `.target_id
LEFT JOIN ideas oi ON ` + alias + `.target_kind = 'idea' AND oi.id = ` + alias + `.target_id AND (` + access.PublicSQL("oi") + ` OR oi.author_id = ` + author + `)`
}

// MeasureLink is where the measure the idea was taken up in is shown.
func (m *MyContribution) MeasureLink() string {
	if m.MeasureID == nil {
		return ""
	}
	return "/m/" + strconv.FormatInt(*m.MeasureID, 10)
}

// Appealable reports whether the author may still appeal the decision.
func (m *MyContribution) Appealable() bool {
	return (m.Status == StatusRejected || m.Status == StatusHidden) && m.DecisionStatement != "" && !m.Appealed
}

// Link is where the contribution is shown.
func (m *MyContribution) Link() string {
	if m.Kind == "idea" {
		return "/i/" + strconv.FormatInt(m.ID, 10)
	}
	return itemPath(m.TargetKind, m.TargetID) + "#comment-" + strconv.FormatInt(m.ID, 10)
}

// OnLink is the page of the measure or idea a comment is about.
func (m *MyContribution) OnLink() string { return itemPath(m.TargetKind, m.TargetID) }

// Visible reports whether the author can open it where it is shown:
// published, or waiting for moderation (shown to its author only).
func (m *MyContribution) Visible() bool { return access.Listed(m.Status, true) }

// Editable reports whether the author may still change it.
func (m *MyContribution) Editable() bool {
	return m.Status == StatusPending || m.Status == StatusPublished
}

// ContributionsOf lists a person's ideas and comments, newest first, one
// page at a time (offset paging: one person's list is short).
func (s *Service) ContributionsOf(ctx context.Context, userID int64, offset, limit int) ([]MyContribution, error) {
	var rows []MyContribution
	err := s.st.DB.NewRaw(`
SELECT x.kind, x.id, x.title, x.body, x.status, x.created_at, x.target_kind, x.target_id, COALESCE(d.reason, '') AS decision_reason, COALESCE(d.statement, '') AS decision_statement,
  EXISTS (SELECT 1 FROM appeals a WHERE a.decision_id = d.id) AS appealed, `+TriageColumns("x")+`,
  x.measure_id, tm.title AS measure_title, `+onColumns()+` FROM (
  SELECT 'idea' AS kind, i.id, i.title, i.body, i.status, i.created_at, 'idea' AS target_kind, i.id AS target_id,
    i.triage_state, i.response, i.response_group_id, i.measure_id
  FROM ideas i WHERE i.author_id = ?0
  UNION ALL
  SELECT 'comment' AS kind, c.id, '' AS title, c.body, c.status, c.created_at, c.target_kind, c.target_id,
    c.triage_state, c.response, c.response_group_id, CAST(NULL AS BIGINT) AS measure_id
  FROM comments c WHERE c.author_id = ?0
) x
LEFT JOIN moderation_decisions d ON d.id = (
  SELECT MAX(id) FROM moderation_decisions WHERE target_kind = x.kind AND target_id = x.id
)`+TriageJoin("x")+`
LEFT JOIN measures tm ON tm.id = x.measure_id`+onJoins("x", "?0")+`
ORDER BY x.created_at DESC, x.id DESC LIMIT ?1 OFFSET ?2`, userID, limit, offset).Scan(ctx, &rows)
	return rows, err
}

// MyReport is a report a person made, with what became of it.
type MyReport struct {
	Kind      string    `bun:"target_kind"`
	ID        int64     `bun:"target_id"`
	Reason    string    `bun:"reason"`
	CreatedAt time.Time `bun:"created_at"`
	// Outcome is the moderator's action ("approve", "hide", "reject",
	// "restore"), empty while undecided.
	Outcome string `bun:"outcome"`
	Excerpt string `bun:"excerpt"`
}

// ReportsOf lists the reports a person made, newest first.
func (s *Service) ReportsOf(ctx context.Context, userID int64, limit int) ([]MyReport, error) {
	var rows []MyReport
	err := s.st.DB.NewRaw(`SELECT r.target_kind, r.target_id, r.reason, r.created_at, r.outcome,
  COALESCE((SELECT c.body FROM comments c WHERE r.target_kind = 'comment' AND c.id = r.target_id),
           (SELECT i.title FROM ideas i WHERE r.target_kind = 'idea' AND i.id = r.target_id), '') AS excerpt
FROM reports r WHERE r.reporter_id = ? ORDER BY r.id DESC LIMIT ?`, userID, limit).Scan(ctx, &rows)
	return rows, err
}

// MyVote is a vote of a person as /me lists it, with what it is about.
type MyVote struct {
	Kind      Kind      `bun:"target_kind"`
	ID        int64     `bun:"target_id"`
	Value     int       `bun:"value"`
	UpdatedAt time.Time `bun:"updated_at"`
	On        On        `bun:"embed:on_"`
}

// Link is the page of the measure or idea voted on.
func (m *MyVote) Link() string { return itemPath(m.Kind, m.ID) }

// ValueKey names the vote in the catalog.
func (m *MyVote) ValueKey() string {
	switch {
	case m.Value > 0:
		return "vote.for"
	case m.Value < 0:
		return "vote.against"
	}
	return "vote.neutral"
}

// VotesOf lists a person's votes, the latest first.
func (s *Service) VotesOf(ctx context.Context, userID int64, limit int) ([]MyVote, error) {
	var rows []MyVote
	err := s.st.DB.NewRaw(`SELECT v.target_kind, v.target_id, v.value, v.updated_at, `+onColumns()+`
FROM votes v`+onJoins("v", "?0")+`
WHERE v.user_id = ?0 ORDER BY v.updated_at DESC, v.id DESC LIMIT ?1`, userID, limit).Scan(ctx, &rows)
	return rows, err
}
