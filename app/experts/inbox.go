package experts

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// Triage states an expert group moves items through.
var (
	TriageStates = []string{"new", "in_review", "considered", "adopted", "not_pursued"}
	// TriageTargets are the states an expert can set.
	TriageTargets = []string{"in_review", "considered", "adopted", "not_pursued"}
)

// triageKeys prefixes the catalog keys of the triage states (triage.new, …).
const triageKeys = "triage."

// MaxResponse limits a group's public answer, in characters.
const MaxResponse = 5000

// InboxItem is a published idea or comment in a group's fields.
type InboxItem struct {
	Kind     string `bun:"kind"`
	KindRank int    `bun:"kind_rank"`
	ID       int64  `bun:"id"`
	FieldID  int64  `bun:"field_id"`
	Title    string `bun:"title"`
	Body     string `bun:"body"`
	Lang     string `bun:"lang"`
	Stance   string `bun:"stance"`
	participation.Triage
	CreatedAt time.Time `bun:"created_at"`
	participation.Authored
	TargetKind string              `bun:"target_kind"`
	TargetID   int64               `bun:"target_id"`
	Tally      consultations.Tally `bun:"embed:"`
	// What a comment is about, so an expert sees it without opening it:
	// the measure's title (per language) or the idea's title and language.
	TargetMeasureTitle locale.Text `bun:"target_measure_title"`
	TargetIdeaTitle    string      `bun:"target_idea_title"`
	TargetIdeaLang     string      `bun:"target_idea_lang"`
}

// TargetLink is the public page of the measure or idea a comment is about.
func (it *InboxItem) TargetLink() string {
	if it.TargetKind == "idea" {
		return "/i/" + strconv.FormatInt(it.TargetID, 10)
	}
	return "/m/" + strconv.FormatInt(it.TargetID, 10)
}

// Link is where the item is shown publicly.
func (it *InboxItem) Link() string {
	if it.Kind == "idea" {
		return "/i/" + strconv.FormatInt(it.ID, 10)
	}
	prefix := "/m/"
	if it.TargetKind == "idea" {
		prefix = "/i/"
	}
	return prefix + strconv.FormatInt(it.TargetID, 10) + "#comment-" + strconv.FormatInt(it.ID, 10)
}

// InboxFilter narrows an inbox.
type InboxFilter struct {
	State string
	Theme string
	queues.Filter
}

// Inbox lists the published ideas and comments of the group's fields,
// newest first, before the cursor.
func (s *Service) Inbox(ctx context.Context, groupID int64, f InboxFilter, before *queues.Cursor, limit int) ([]InboxItem, error) {
	cond := func(alias string) (string, []any) {
		q := access.PublicSQL(alias) + " AND " + alias + ".field_id IN (SELECT field_id FROM expert_group_fields WHERE group_id = ?)"
		args := []any{groupID}
		if f.State != "" && f.State != "all" {
			q += " AND " + alias + ".triage_state = ?"
			args = append(args, f.State)
		}
		where, whereArgs := f.Where(alias)
		return q + where, append(args, whereArgs...)
	}
	ideaCond, ideaArgs := cond("i")
	commentCond, commentArgs := cond("c")
	if f.Theme != "" {
		pattern := `%"` + f.Theme + `"%`
		ideaCond += " AND i.themes LIKE ?"
		ideaArgs = append(ideaArgs, pattern)
		// A comment carries the themes of the measure or idea it is about.
		commentCond += ` AND ((c.target_kind = 'measure' AND EXISTS (SELECT 1 FROM measures m WHERE m.id = c.target_id AND m.themes LIKE ?))
  OR (c.target_kind = 'idea' AND EXISTS (SELECT 1 FROM ideas ti WHERE ti.id = c.target_id AND ti.themes LIKE ?)))`
		commentArgs = append(commentArgs, pattern, pattern)
	}
	tallyCols := `COALESCE(t.votes_for, 0) AS votes_for, COALESCE(t.votes_against, 0) AS votes_against, COALESCE(t.votes_neutral, 0) AS votes_neutral`
	q := `SELECT * FROM (
SELECT 'idea' AS kind, 2 AS kind_rank, i.id, i.field_id, i.title, i.body, i.lang, '' AS stance, ` + participation.TriageColumns("i") + `, i.created_at,
  ` + participation.AuthorColumns("i") + `, 'idea' AS target_kind, i.id AS target_id, ` + tallyCols + `,
  '{}' AS target_measure_title, '' AS target_idea_title, '' AS target_idea_lang
FROM ideas i JOIN users u ON u.id = i.author_id LEFT JOIN tallies t ON t.target_kind = 'idea' AND t.target_id = i.id` + participation.TriageJoin("i") + `
WHERE ` + ideaCond + `
UNION ALL
SELECT 'comment' AS kind, 1 AS kind_rank, c.id, c.field_id, '' AS title, c.body, c.lang, c.stance, ` + participation.TriageColumns("c") + `, c.created_at,
  ` + participation.AuthorColumns("c") + `, c.target_kind, c.target_id, 0 AS votes_for, 0 AS votes_against, 0 AS votes_neutral,
  COALESCE(about_m.title, '{}') AS target_measure_title, COALESCE(about_i.title, '') AS target_idea_title, COALESCE(about_i.lang, '') AS target_idea_lang
FROM comments c JOIN users u ON u.id = c.author_id` + participation.TriageJoin("c") + `
LEFT JOIN measures about_m ON c.target_kind = 'measure' AND about_m.id = c.target_id
LEFT JOIN ideas about_i ON c.target_kind = 'idea' AND about_i.id = c.target_id
WHERE ` + commentCond + `
) q`
	args := append(ideaArgs, commentArgs...)
	if before != nil {
		q += " WHERE (q.created_at < ? OR (q.created_at = ? AND (q.kind_rank < ? OR (q.kind_rank = ? AND q.id < ?))))"
		args = append(args, before.CreatedAt, before.CreatedAt, before.KindRank, before.KindRank, before.ID)
	}
	q += " ORDER BY q.created_at DESC, q.kind_rank DESC, q.id DESC LIMIT ?"
	var items []InboxItem
	err := s.st.DB.NewRaw(q, append(args, limit)...).Scan(ctx, &items)
	return items, err
}

// TriageInput moves an item to a triage state, with an optional public answer.
type TriageInput struct {
	State    string  `json:"state"`
	Response *string `json:"response"`
}

// Triage records a group's triage of a published idea or comment in its
// fields. The answer is shown publicly with the idea (or comment), with
// the name of the group: the one whose inbox it was given in (an empty
// answer belongs to no group).
func (s *Service) Triage(ctx context.Context, v *access.Viewer, groupID int64, kind string, itemID int64, in TriageInput) error {
	if !v.CanServeGroup(groupID) {
		return access.Refusal(v)
	}
	table := map[string]string{"idea": "ideas", "comment": "comments"}[kind]
	if table == "" {
		return problem.NotFound()
	}
	var val problem.Validator
	// "new" is no target, but the form of a new item shows it as its
	// state; saving an answer there keeps the item new (checked below).
	val.Check(in.State == "new" || slices.Contains(TriageTargets, in.State), "state", "error.triage_state")
	response := ""
	if in.Response != nil {
		response = plaintext.Check(&val, "response", *in.Response, 0, MaxResponse)
	}
	if err := val.Err(); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var found []struct {
			FieldID int64  `bun:"field_id"`
			State   string `bun:"triage_state"`
		}
		if err := tx.NewRaw(`SELECT x.field_id, x.triage_state FROM `+table+` x WHERE x.id = ? AND `+access.PublicSQL("x")+`
AND x.field_id IN (SELECT field_id FROM expert_group_fields WHERE group_id = ?)`, itemID, groupID).Scan(ctx, &found); err != nil && !store.IsNoRows(err) {
			return err
		}
		if len(found) == 0 {
			return problem.NotFound()
		}
		if in.State == "new" && found[0].State != "new" {
			return problem.Invalid(problem.Field("state", "error.triage_state"))
		}
		fieldID := found[0].FieldID
		q := "UPDATE " + table + " SET triage_state = ?, responded_by = ?, responded_at = ?"
		args := []any{in.State, v.UserID, time.Now().UTC()}
		if in.Response != nil {
			var group *int64
			if response != "" {
				group = &groupID
			}
			q += ", response = ?, response_group_id = ?"
			args = append(args, response, group)
		}
		if _, err := tx.ExecContext(ctx, q+" WHERE id = ?", append(args, itemID)...); err != nil {
			return err
		}
		announce := participation.IdeaUpdated
		if kind == "comment" {
			announce = participation.CommentTriaged
		}
		if err := announce(ctx, tx, itemID); err != nil {
			return err
		}
		if response != "" {
			if err := notifyAnswer(ctx, tx, s.catalog, v, kind, itemID, response); err != nil {
				return err
			}
		}
		return queues.AnnounceInbox(ctx, tx, fieldID, &queues.Item{Kind: kind, ID: itemID, FieldID: fieldID, State: in.State})
	})
}

// notifyAnswer tells the author of an idea or a comment that an expert
// group answered it, and the idea's followers too.
func notifyAnswer(ctx context.Context, tx *store.Tx, cat *locale.Catalog, v *access.Viewer, kind string, itemID int64, response string) error {
	about, err := participation.About(ctx, tx, kind, itemID)
	if err != nil {
		return err
	}
	to := notifications.Recipients{Query: "SELECT CAST(? AS BIGINT)", Args: []any{about.AuthorID}, Except: v.UserID}
	if kind == "idea" {
		to.Query += " UNION SELECT user_id FROM follows WHERE target_kind = 'idea' AND target_id = ?"
		to.Args = append(to.Args, itemID)
	}
	return notifications.Notify(ctx, tx, cat, to, notifications.Notice{
		Kind: notifications.Answer, Title: about.Title, URL: about.URL,
		Body: "notifications.answer", Args: map[string]string{"Response": response},
	})
}

// TriageOf reads an idea's or a comment's triage as it now stands.
func (s *Service) TriageOf(ctx context.Context, kind string, itemID int64) (*participation.Triage, error) {
	table := map[string]string{"idea": "ideas", "comment": "comments"}[kind]
	if table == "" {
		return nil, problem.NotFound()
	}
	var out []participation.Triage
	if err := s.st.DB.NewRaw("SELECT "+participation.TriageColumns("x")+" FROM "+table+" x"+participation.TriageJoin("x")+" WHERE x.id = ?", itemID).Scan(ctx, &out); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	if len(out) == 0 {
		return nil, problem.NotFound()
	}
	return &out[0], nil
}
