package participation

import (
	"context"
	"slices"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// Reasons a contribution can be reported for.
var Reasons = []string{"discrimination", "insult", "spam", "personal_data", "off_topic", "other"}

// ReportInput is a report (Meldung) of a comment or an idea.
type ReportInput struct {
	Target string  `json:"target"`
	ID     int64   `json:"id"`
	Reason string  `json:"reason"`
	Note   *string `json:"note"`
}

// AfterReport runs inside the report's write; moderation sets it to hide
// content that reaches the report threshold. It may be nil.
type AfterReport func(ctx context.Context, tx *store.Tx, kind string, id int64) error

// Report records v's report of a published comment or idea. A second
// report of the same item by the same person changes nothing. Reports are
// taken also when the consultation is closed: what stays visible can still
// harm someone.
func (s *Service) Report(ctx context.Context, v *access.Viewer, in ReportInput, after AfterReport) error {
	if err := access.MayWrite(v); err != nil {
		return err
	}
	var val problem.Validator
	val.Check(in.Target == "comment" || in.Target == "idea", "target", "error.report_target")
	val.Check(slices.Contains(Reasons, in.Reason), "reason", "error.report_reason")
	note := ""
	if in.Note != nil {
		note = plaintext.Check(&val, "note", *in.Note, 0, MaxNote)
	}
	if err := val.Err(); err != nil {
		return err
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var rows []struct {
			Status   string `bun:"status"`
			AuthorID int64  `bun:"author_id"`
			FieldID  int64  `bun:"field_id"`
			Phase    string `bun:"phase"`
			// Consultation is where a code account may report.
			Consultation int64 `bun:"consultation_id"`
		}
		table := "comments"
		if in.Target == "idea" {
			table = "ideas"
		}
		err := tx.NewRaw(`SELECT x.status, x.author_id, x.field_id, c.phase, c.id AS consultation_id FROM `+table+` x JOIN fields f ON f.id = x.field_id
JOIN consultations c ON c.id = f.consultation_id WHERE x.id = ?`, in.ID).Scan(ctx, &rows)
		if err != nil && !store.IsNoRows(err) {
			return err
		}
		if len(rows) == 0 || !access.IsPublic(rows[0].Status) || !v.SeesPhase(rows[0].Phase) {
			return problem.NotFound()
		}
		if err := v.MayContributeIn(rows[0].Consultation); err != nil {
			return err
		}
		if rows[0].AuthorID == v.UserID {
			return problem.Invalid(problem.Field("id", "error.report_own"))
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO reports (reporter_id, target_kind, target_id, reason, note, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (reporter_id, target_kind, target_id) DO NOTHING`, v.UserID, in.Target, in.ID, in.Reason, note, s.now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		// Reported content waits in the moderators' "reported" queue.
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET needs_review = TRUE WHERE id = ?", in.ID); err != nil {
			return err
		}
		if after != nil {
			if err := after(ctx, tx, in.Target, in.ID); err != nil {
				return err
			}
		}
		return queues.AnnounceModeration(ctx, tx, &queues.Item{Kind: in.Target, ID: in.ID, FieldID: rows[0].FieldID, State: StatusPublished})
	})
}
