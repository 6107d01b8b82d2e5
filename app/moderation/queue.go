// Package moderation is how moderators curate contributions: the pending
// queue (pre-moderation), the reported queue (published content that was
// reported or flagged by the screening lists), the appealed queue, their
// decisions with reasons and statements of reasons (EU DSA Art. 16, 17,
// 20), an append-only log, and content hidden automatically when enough
// people report it.
package moderation

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// Queue states a moderator can list.
// "all" is what waits for review in any of them, the default.
var States = []string{"all", "pending", "reported", "appealed"}

// Service runs moderation.
type Service struct {
	st      *store.Store
	catalog *locale.Catalog
	// HideAfterReports is how many distinct accounts older than a day must
	// report a published contribution before it is hidden automatically.
	HideAfterReports int
	now              func() time.Time
}

// DefaultHideAfterReports is the report threshold unless configured.
const DefaultHideAfterReports = 3

// NewService builds the service.
func NewService(st *store.Store, catalog *locale.Catalog, hideAfterReports int) *Service {
	if hideAfterReports <= 0 {
		hideAfterReports = DefaultHideAfterReports
	}
	return &Service{st: st, catalog: catalog, HideAfterReports: hideAfterReports, now: func() time.Time { return time.Now().UTC() }}
}

// Report is an open report on a queue item.
type Report struct {
	Reason    string    `bun:"reason" json:"reason"`
	Note      string    `bun:"note" json:"note"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// Appeal is an author's open appeal against a decision.
type Appeal struct {
	Statement string    `bun:"statement" json:"statement"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	// DecidedBy is the moderator who made the appealed decision; another
	// moderator must decide the appeal.
	DecidedBy *int64 `bun:"decided_by" json:"-"`
	// Decision is the decision appealed against, as the deciding moderator
	// needs to see it.
	Decision AppealedDecision `bun:"embed:decision_" json:"decision"`
}

// AppealedDecision is the decision an appeal contests.
type AppealedDecision struct {
	Action    string `bun:"action" json:"action"`
	Reason    string `bun:"reason" json:"reason"`
	Statement string `bun:"statement" json:"statement"`
	// ActorName is who decided; empty for an automatic decision.
	ActorName    string    `bun:"actor_name" json:"-"`
	ActorDeleted bool      `bun:"actor_deleted" json:"-"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`
}

// Item is a contribution in a moderation queue.
type Item struct {
	Kind         string `bun:"kind"`
	KindRank     int    `bun:"kind_rank"`
	ID           int64  `bun:"id"`
	Consultation string `bun:"consultation"`
	FieldID      int64  `bun:"field_id"`
	Title        string `bun:"title"`
	Body         string `bun:"body"`
	Lang         string `bun:"lang"`
	participation.Authored
	// AuthorRejected counts the author's contributions rejected before.
	AuthorRejected int64     `bun:"author_rejected"`
	FlagsJSON      string    `bun:"flags"`
	Status         string    `bun:"status"`
	Version        int       `bun:"version"`
	NeedsReview    bool      `bun:"needs_review"`
	CreatedAt      time.Time `bun:"created_at"`
	TargetKind     string    `bun:"target_kind"`
	TargetID       int64     `bun:"target_id"`
	// A comment's context: the title of the measure or idea it is about,
	// and an excerpt of the comment a reply answers.
	MeasureTitle locale.Text `bun:"measure_title,type:text"`
	IdeaTitle    *string     `bun:"idea_title"`
	ParentID     *int64      `bun:"parent_id"`
	ParentBody   *string     `bun:"parent_body"`

	Reports []Report `bun:"-"`
	Appeal  *Appeal  `bun:"-"`
}

// ParentExcerpt shortens the comment a reply answers.
func (it *Item) ParentExcerpt() string {
	if it.ParentBody == nil {
		return ""
	}
	return queues.Excerpt(*it.ParentBody)
}

// Link is where the item is shown in its context. A comment's page is
// asked for it by name (?comment=), so that moderators see it there also
// while it is not public.
func (it *Item) Link() string {
	id := strconv.FormatInt(it.ID, 10)
	if it.Kind == "idea" {
		return "/i/" + id
	}
	return it.TargetLink() + "?comment=" + id + "#comment-" + id
}

// TargetLink is the measure or idea a comment is about.
func (it *Item) TargetLink() string {
	prefix := "/m/"
	if it.TargetKind == "idea" {
		prefix = "/i/"
	}
	return prefix + strconv.FormatInt(it.TargetID, 10)
}

// Flags are the screening terms found in the item.
func (it *Item) Flags() []string {
	out := []string{}
	_ = json.Unmarshal([]byte(it.FlagsJSON), &out)
	return out
}

// Filter narrows a queue.
type Filter struct {
	State        string
	Consultation string
	queues.Filter
}

func stateCondition(state, kind, alias string) string {
	pending := access.PendingSQL(alias)
	reported := alias + ".needs_review"
	appealed := "EXISTS (SELECT 1 FROM appeals a WHERE a.target_kind = '" + kind + "' AND a.target_id = " + alias + ".id AND a.decided_at IS NULL)"
	switch state {
	case "pending":
		return pending
	case "reported":
		return reported
	case "appealed":
		return appealed
	}
	return "(" + pending + " OR " + reported + " OR " + appealed + ")"
}

func queueSelect(kind, alias, table string, rank string, f Filter) (string, []any) {
	title, target := "''", "c.target_kind, c.target_id, tm.title AS measure_title, ti.title AS idea_title, c.parent_id, pc.body AS parent_body"
	joins := ` LEFT JOIN measures tm ON c.target_kind = 'measure' AND tm.id = c.target_id
LEFT JOIN ideas ti ON c.target_kind = 'idea' AND ti.id = c.target_id LEFT JOIN comments pc ON pc.id = c.parent_id`
	if kind == "idea" {
		title, target = "i.title", "'idea' AS target_kind, i.id AS target_id, NULL AS measure_title, NULL AS idea_title, NULL AS parent_id, NULL AS parent_body"
		joins = ""
	}
	q := `SELECT '` + kind + `' AS kind, ` + rank + ` AS kind_rank, ` + alias + `.id, co.slug AS consultation, ` + alias + `.field_id, ` + title + ` AS title,
  ` + alias + `.body, ` + alias + `.lang, ` + participation.AuthorColumns(alias) + `,
  (SELECT COUNT(*) FROM comments x WHERE x.author_id = ` + alias + `.author_id AND x.status = 'rejected'` + notSelf("comment", kind, "x", alias) + `)
    + (SELECT COUNT(*) FROM ideas y WHERE y.author_id = ` + alias + `.author_id AND y.status = 'rejected'` + notSelf("idea", kind, "y", alias) + `) AS author_rejected,
  ` + alias + `.flags, ` + alias + `.status, ` + alias + `.version, ` + alias + `.needs_review, ` + alias + `.created_at, ` + target + `
FROM ` + table + ` ` + alias + ` JOIN fields f ON f.id = ` + alias + `.field_id JOIN consultations co ON co.id = f.consultation_id
JOIN users u ON u.id = ` + alias + `.author_id` + joins + `
WHERE ` + stateCondition(f.State, kind, alias)
	var args []any
	if f.Consultation != "" {
		q += " AND co.slug = ?"
		args = append(args, f.Consultation)
	}
	where, whereArgs := f.Where(alias)
	return q + where, append(args, whereArgs...)
}

// notSelf keeps the item itself out of its author's earlier rejections:
// a rejection under appeal is the one being looked at, not an earlier one.
func notSelf(counted, kind, x, alias string) string {
	if counted != kind {
		return ""
	}
	return " AND " + x + ".id <> " + alias + ".id"
}

// Queue lists a queue's items, oldest first, after the cursor.
func (s *Service) Queue(ctx context.Context, f Filter, after *queues.Cursor, limit int) ([]Item, error) {
	cq, cargs := queueSelect("comment", "c", "comments", "1", f)
	iq, iargs := queueSelect("idea", "i", "ideas", "2", f)
	q := "SELECT * FROM (" + cq + " UNION ALL " + iq + ") q"
	args := append(cargs, iargs...)
	if after != nil {
		q += " WHERE (q.created_at > ? OR (q.created_at = ? AND (q.kind_rank > ? OR (q.kind_rank = ? AND q.id > ?))))"
		args = append(args, after.CreatedAt, after.CreatedAt, after.KindRank, after.KindRank, after.ID)
	}
	q += " ORDER BY q.created_at, q.kind_rank, q.id LIMIT ?"
	args = append(args, limit)
	var items []Item
	if err := s.st.DB.NewRaw(q, args...).Scan(ctx, &items); err != nil {
		return nil, err
	}
	return items, s.attach(ctx, items)
}

// PendingBacklog is the contributions waiting for a decision before they
// are published (pre-moderation), and since when the oldest waits.
func (s *Service) PendingBacklog(ctx context.Context) (store.Backlog, error) {
	return s.st.ReadBacklog(ctx, `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM (
  SELECT c.created_at FROM comments c WHERE `+access.PendingSQL("c")+`
  UNION ALL SELECT i.created_at FROM ideas i WHERE `+access.PendingSQL("i")+`) p`)
}

// attach loads the open reports and appeals of the listed items.
func (s *Service) attach(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := map[string][]int64{}
	for _, it := range items {
		ids[it.Kind] = append(ids[it.Kind], it.ID)
	}
	type keyed struct {
		Kind string `bun:"target_kind"`
		ID   int64  `bun:"target_id"`
	}
	var reports []struct {
		keyed
		Report
	}
	var appeals []struct {
		keyed
		Appeal
	}
	where := "((target_kind = 'comment' AND target_id IN (?)) OR (target_kind = 'idea' AND target_id IN (?)))"
	in := func(k string) any {
		if len(ids[k]) == 0 {
			return bun.List([]int64{0})
		}
		return bun.List(ids[k])
	}
	if err := s.st.DB.NewRaw("SELECT target_kind, target_id, reason, note, created_at FROM reports WHERE resolved_at IS NULL AND "+where+" ORDER BY id",
		in("comment"), in("idea")).Scan(ctx, &reports); err != nil && !store.IsNoRows(err) {
		return err
	}
	if err := s.st.DB.NewRaw(`SELECT a.target_kind, a.target_id, a.statement, a.created_at, d.actor_id AS decided_by,
  d.action AS decision_action, d.reason AS decision_reason, d.statement AS decision_statement, d.created_at AS decision_created_at,
  COALESCE(du.display_name, '') AS decision_actor_name, (du.deleted_at IS NOT NULL) AS decision_actor_deleted
FROM appeals a JOIN moderation_decisions d ON d.id = a.decision_id LEFT JOIN users du ON du.id = d.actor_id WHERE a.decided_at IS NULL AND `+
		"((a.target_kind = 'comment' AND a.target_id IN (?)) OR (a.target_kind = 'idea' AND a.target_id IN (?)))", in("comment"), in("idea")).Scan(ctx, &appeals); err != nil && !store.IsNoRows(err) {
		return err
	}
	for i := range items {
		it := &items[i]
		it.Reports = []Report{}
		for _, r := range reports {
			if r.Kind == it.Kind && r.ID == it.ID {
				it.Reports = append(it.Reports, r.Report)
			}
		}
		for _, a := range appeals {
			if a.Kind == it.Kind && a.ID == it.ID {
				appeal := a.Appeal
				it.Appeal = &appeal
			}
		}
	}
	return nil
}

// Counts answers the sizes of the three queues.
func (s *Service) Counts(ctx context.Context) (queues.ModerationCounts, error) {
	return queues.CountModeration(ctx, s.st.DB)
}

// ErrUnknownState refuses a queue that does not exist.
var ErrUnknownState = problem.Invalid(problem.Field("state", "error.queue_state"))
