package moderation

import (
	"context"
	"slices"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// Actions a moderator takes.
var Actions = []string{"approve", "reject", "hide", "restore"}

// MaxStatement limits a statement of reasons, in characters.
const MaxStatement = 2000

// transition is where an action leads (to) and from which states.
type transition struct {
	from []string
	to   string
}

// transitions say from which states an action may be taken, and to where.
// reject on a rejected item and hide on a hidden one uphold a decision
// that was appealed.
var transitions = map[string]transition{
	"approve": {from: []string{participation.StatusPending, participation.StatusPublished, participation.StatusHidden}, to: participation.StatusPublished},
	"reject":  {from: []string{participation.StatusPending, participation.StatusRejected}, to: participation.StatusRejected},
	"hide":    {from: []string{participation.StatusPublished, participation.StatusHidden}, to: participation.StatusHidden},
	"restore": {from: []string{participation.StatusHidden, participation.StatusRejected}, to: participation.StatusPublished},
}

// Decision is a moderator's decision on an item.
type Decision struct {
	Action    string  `json:"action"`
	Reason    *string `json:"reason"`
	Statement *string `json:"statement"`
	// Version, when given, must be the item's current version: a decision
	// on an item that changed meanwhile is refused with 409.
	Version *int `json:"version"`
}

// Decided is the item's state after a decision.
type Decided struct {
	Kind    string `json:"kind"`
	ID      int64  `json:"id"`
	State   string `json:"state"`
	Version int    `json:"version"`
}

// Errors of decisions.
var (
	ErrStale         = problem.Conflict("error.decision_stale")
	ErrWrongState    = problem.Conflict("error.decision_state")
	ErrSameModerator = problem.New(403, "error.appeal_same_moderator")
	// ErrSelfDecision refuses a decision on one's own contribution: another
	// moderator decides it, its appeal too.
	ErrSelfDecision      = problem.Refused(problem.CodeSelfDecision, "error.self_decision")
	ErrAppealExists      = problem.Conflict("error.appeal_exists")
	ErrNothingToAppeal   = problem.Conflict("error.appeal_nothing")
	errKindUnknownAsPath = problem.NotFound()
)

func tableOf(kind string) (string, error) {
	switch kind {
	case "comment":
		return "comments", nil
	case "idea":
		return "ideas", nil
	}
	return "", errKindUnknownAsPath
}

type itemState struct {
	Status      string `bun:"status"`
	NeedsReview bool   `bun:"needs_review"`
	Version     int    `bun:"version"`
	AuthorID    int64  `bun:"author_id"`
	FieldID     int64  `bun:"field_id"`
	Text        string `bun:"text"`
}

func loadState(ctx context.Context, tx *store.Tx, table string, id int64) (*itemState, error) {
	text := "body"
	if table == "ideas" {
		text = "title"
	}
	// The row is locked: a second moderator's decision waits, then sees
	// the new version and is refused.
	var st []itemState
	if err := tx.NewRaw("SELECT status, needs_review, version, author_id, field_id, "+text+" AS text FROM "+table+" WHERE id = ?"+tx.ForUpdate(""), id).Scan(ctx, &st); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	if len(st) == 0 {
		return nil, problem.NotFound()
	}
	return &st[0], nil
}

// Decide applies a moderator's decision. Every decision is appended to
// the log; nothing is deleted, so a wrong decision is undone by another.
func (s *Service) Decide(ctx context.Context, v *access.Viewer, kind string, id int64, d Decision) (*Decided, error) {
	if !v.CanModerate() {
		return nil, access.Refusal(v)
	}
	table, err := tableOf(kind)
	if err != nil {
		return nil, err
	}
	in, err := checkDecision(d)
	if err != nil {
		return nil, err
	}
	in.viewer, in.kind, in.table, in.id, in.catalog = v, kind, table, id, s.catalog
	var out *Decided
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		st, appeal, err := in.allowed(ctx, tx)
		if err != nil {
			return err
		}
		out, err = in.apply(ctx, tx, st, appeal, s.now())
		return err
	})
	return out, err
}

// decision is a checked Decision on one item, as Decide's steps share it.
type decision struct {
	Decision
	catalog   *locale.Catalog
	tr        transition
	reason    string
	statement string
	viewer    *access.Viewer
	kind      string
	table     string
	id        int64
}

// checkDecision validates the action, reason and statement: rejecting and
// hiding need a reason and a statement, the other actions may have them.
func checkDecision(d Decision) (*decision, error) {
	var val problem.Validator
	tr, known := transitions[d.Action]
	in := &decision{Decision: d, tr: tr}
	val.Check(known, "action", "error.decision_action")
	if d.Reason != nil {
		in.reason = *d.Reason
	}
	if d.Statement != nil {
		in.statement = *d.Statement
	}
	if d.Action == "reject" || d.Action == "hide" {
		val.Check(slices.Contains(participation.Reasons, in.reason), "reason", "error.report_reason")
		in.statement = plaintext.Check(&val, "statement", in.statement, 1, MaxStatement)
	} else {
		if in.reason != "" {
			val.Check(slices.Contains(participation.Reasons, in.reason), "reason", "error.report_reason")
		}
		in.statement = plaintext.Check(&val, "statement", in.statement, 0, MaxStatement)
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// openAppeal is the item's undecided appeal and who took the decision it
// contests.
type openAppeal struct {
	ID        int64  `bun:"id"`
	DecidedBy *int64 `bun:"decided_by"`
}

// allowed loads the item and its open appeal and refuses a decision the
// moderator may not take on it now. appeal is nil when none is open.
func (in *decision) allowed(ctx context.Context, tx *store.Tx) (*itemState, *openAppeal, error) {
	st, err := loadState(ctx, tx, in.table, in.id)
	if err != nil {
		return nil, nil, err
	}
	if st.AuthorID == in.viewer.UserID {
		return nil, nil, ErrSelfDecision
	}
	if in.Version != nil && *in.Version != st.Version {
		return nil, nil, ErrStale
	}
	if !slices.Contains(in.tr.from, st.Status) {
		return nil, nil, ErrWrongState
	}
	var appeals []openAppeal
	if err := tx.NewRaw(`SELECT a.id, d.actor_id AS decided_by FROM appeals a JOIN moderation_decisions d ON d.id = a.decision_id
WHERE a.target_kind = ? AND a.target_id = ? AND a.decided_at IS NULL`, in.kind, in.id).Scan(ctx, &appeals); err != nil && !store.IsNoRows(err) {
		return nil, nil, err
	}
	var appeal *openAppeal
	if len(appeals) > 0 {
		appeal = &appeals[0]
	}
	if appeal != nil && appeal.DecidedBy != nil && *appeal.DecidedBy == in.viewer.UserID {
		return nil, nil, ErrSameModerator
	}
	// Upholding (reject on rejected, hide on hidden) only answers an appeal
	// or confirms an automatic hide that still waits in the queue.
	if st.Status == in.tr.to && in.Action != "approve" && appeal == nil && !st.NeedsReview {
		return nil, nil, ErrWrongState
	}
	return st, appeal, nil
}

// apply sets the item's new state, resolves its reports and its appeal,
// logs the decision and tells the moderation queues.
func (in *decision) apply(ctx context.Context, tx *store.Tx, st *itemState, appeal *openAppeal, now time.Time) (*Decided, error) {
	var (
		version int
		err     error
	)
	if in.kind == "comment" {
		version, err = participation.SetCommentStatus(ctx, tx, in.catalog, in.id, in.tr.to)
	} else {
		version, err = participation.SetIdeaStatus(ctx, tx, in.id, in.tr.to)
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+in.table+" SET needs_review = FALSE WHERE id = ?", in.id); err != nil {
		return nil, err
	}
	var reporters []int64
	if err := tx.NewRaw("SELECT reporter_id FROM reports WHERE target_kind = ? AND target_id = ? AND resolved_at IS NULL", in.kind, in.id).Scan(ctx, &reporters); err != nil && !store.IsNoRows(err) {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE reports SET resolved_at = ?, outcome = ? WHERE target_kind = ? AND target_id = ? AND resolved_at IS NULL",
		now, in.Action, in.kind, in.id); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO moderation_decisions (actor_id, target_kind, target_id, action, reason, statement, from_status, to_status, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.viewer.UserID, in.kind, in.id, in.Action, in.reason, in.statement, st.Status, in.tr.to, now); err != nil {
		return nil, err
	}
	if appeal != nil {
		if _, err := tx.ExecContext(ctx, "UPDATE appeals SET decided_at = ?, decided_by = ? WHERE id = ?", now, in.viewer.UserID, appeal.ID); err != nil {
			return nil, err
		}
	}
	if err := in.notify(ctx, tx, st, reporters); err != nil {
		return nil, err
	}
	item := &queues.Item{Kind: in.kind, ID: in.id, FieldID: st.FieldID, State: in.tr.to}
	if err := queues.AnnounceModeration(ctx, tx, item); err != nil {
		return nil, err
	}
	return &Decided{Kind: in.kind, ID: in.id, State: in.tr.to, Version: version}, nil
}

// notify tells the author what was decided (with the statement of
// reasons, and for reject and hide how to object), and those who reported
// the contribution what became of their report. Neither learns who
// decided or who else reported.
func (in *decision) notify(ctx context.Context, tx *store.Tx, st *itemState, reporters []int64) error {
	about := notifications.Plain(queues.Excerpt(st.Text))
	err := notifications.Notify(ctx, tx, in.catalog, notifications.To(st.AuthorID), notifications.Notice{
		Kind: notifications.Decision, Title: about, URL: "/me#contributions",
		Body: "notifications.decision." + in.Action, Args: map[string]string{"Statement": in.statement},
	})
	if err != nil {
		return err
	}
	// Reporters read no excerpt: the text is another person's, and
	// perhaps never public.
	return notifications.Notify(ctx, tx, in.catalog, notifications.ToAll(reporters), notifications.Notice{
		Kind: notifications.ReportOutcome, URL: "/me#reports",
		Body: "notifications.report_outcome." + in.Action,
	})
}

// AppealInput is an author's appeal.
type AppealInput struct {
	Statement string `json:"statement"`
}

// Appeal lets an author contest the decision that rejected or hid their
// contribution, once per decision; another moderator decides it.
func (s *Service) Appeal(ctx context.Context, v *access.Viewer, kind string, id int64, in AppealInput) error {
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	table, err := tableOf(kind)
	if err != nil {
		return err
	}
	var val problem.Validator
	statement := plaintext.Check(&val, "statement", in.Statement, 1, MaxStatement)
	if err := val.Err(); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		st, err := loadState(ctx, tx, table, id)
		if err != nil {
			return err
		}
		if st.AuthorID != v.UserID {
			return problem.Forbidden()
		}
		if st.Status != participation.StatusRejected && st.Status != participation.StatusHidden {
			return ErrNothingToAppeal
		}
		var decisions []int64
		if err := tx.NewRaw("SELECT id FROM moderation_decisions WHERE target_kind = ? AND target_id = ? AND to_status = ? ORDER BY id DESC LIMIT 1",
			kind, id, st.Status).Scan(ctx, &decisions); err != nil && !store.IsNoRows(err) {
			return err
		}
		if len(decisions) == 0 {
			return ErrNothingToAppeal
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO appeals (decision_id, target_kind, target_id, author_id, statement, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			decisions[0], kind, id, v.UserID, statement, s.now())
		if store.IsUniqueViolation(err) {
			return ErrAppealExists
		}
		if err != nil {
			return err
		}
		return queues.AnnounceModeration(ctx, tx, &queues.Item{Kind: kind, ID: id, FieldID: st.FieldID, State: st.Status, Excerpt: queues.Excerpt(st.Text)})
	})
}

// autoHideStatement is shown to the author of automatically hidden content.
const autoHideStatement = "Automatisch ausgeblendet, weil mehrere Personen den Beitrag gemeldet haben; die Moderation entscheidet. / Hidden automatically because several people reported it; a moderator will decide."

// AfterReport hides published content once reports from enough distinct
// accounts older than a day, with a confirmed address (or none to
// confirm), reach it. It runs inside the report's write.
func (s *Service) AfterReport(ctx context.Context, tx *store.Tx, kind string, id int64) error {
	table, err := tableOf(kind)
	if err != nil {
		return err
	}
	var reasons []string
	if err := tx.NewRaw(`SELECT r.reason FROM reports r JOIN users u ON u.id = r.reporter_id
WHERE r.target_kind = ? AND r.target_id = ? AND r.resolved_at IS NULL AND u.created_at < ? AND u.deleted_at IS NULL
  AND (u.email IS NULL OR u.email_verified_at IS NOT NULL)`,
		kind, id, s.now().Add(-24*time.Hour)).Scan(ctx, &reasons); err != nil && !store.IsNoRows(err) {
		return err
	}
	if len(reasons) < s.HideAfterReports {
		return nil
	}
	st, err := loadState(ctx, tx, table, id)
	if err != nil || st.Status != participation.StatusPublished {
		return err
	}
	if kind == "comment" {
		_, err = participation.SetCommentStatus(ctx, tx, s.catalog, id, participation.StatusHidden)
	} else {
		_, err = participation.SetIdeaStatus(ctx, tx, id, participation.StatusHidden)
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO moderation_decisions (actor_id, target_kind, target_id, action, reason, statement, from_status, to_status, created_at)
VALUES (NULL, ?, ?, 'hide', ?, ?, ?, ?, ?)`, kind, id, mostCommon(reasons), autoHideStatement, st.Status, participation.StatusHidden, s.now())
	return err
}

func mostCommon(values []string) string {
	counts := map[string]int{}
	best := ""
	for _, v := range values {
		counts[v]++
		if counts[v] > counts[best] || (counts[v] == counts[best] && v < best) {
			best = v
		}
	}
	return best
}
