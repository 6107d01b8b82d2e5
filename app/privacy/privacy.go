// Package privacy gives people their data (GDPR Art. 15/20: everything the
// platform holds about them, as JSON) and erases it on request (Art. 17):
// the account's personal data goes, their contributions stay, shown as
// from a deleted account, and their votes stay counted.
package privacy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Service exports and erases personal data.
type Service struct{ st *store.Store }

// NewService builds the service.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// ExportFormat names the shape of an export; it changes only with a new
// number (2: ideas and comments carry triage_state and the expert group's
// answer as {text, group}). Lists and fields added later (follows,
// notification settings, mail, password resets, the measure an idea was
// taken up in) keep the number: nothing a reader knew changed.
const ExportFormat = "mitreden-export/2"

// Export is everything held about one person.
type Export struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	Account    struct {
		ID               int64      `json:"id" bun:"id"`
		Email            *string    `json:"email" bun:"email"`
		DisplayName      string     `json:"display_name" bun:"display_name"`
		Role             string     `json:"role" bun:"role"`
		Locale           string     `json:"locale" bun:"locale"`
		CreatedAt        time.Time  `json:"created_at" bun:"created_at"`
		UpdatedAt        time.Time  `json:"updated_at" bun:"updated_at"`
		PrivacyConsentAt *time.Time `json:"privacy_consent_at" bun:"privacy_consent_at"`
		BlockedUntil     *time.Time `json:"blocked_until" bun:"blocked_until"`
		BlockReason      string     `json:"block_reason" bun:"block_reason"`
	} `json:"account"`
	ExpertGroups []struct {
		ID       int64           `json:"id" bun:"id"`
		Name     json.RawMessage `json:"name" bun:"name,type:text"`
		JoinedAt time.Time       `json:"joined_at" bun:"created_at"`
	} `json:"expert_groups"`
	Sessions []struct {
		CreatedAt  time.Time  `json:"created_at" bun:"created_at"`
		ExpiresAt  time.Time  `json:"expires_at" bun:"expires_at"`
		LastSeenAt *time.Time `json:"last_seen_at" bun:"last_seen_at"`
		UserAgent  string     `json:"user_agent" bun:"user_agent"`
	} `json:"sessions"`
	Ideas []struct {
		ID      int64           `json:"id" bun:"id"`
		FieldID int64           `json:"field_id" bun:"field_id"`
		Title   string          `json:"title" bun:"title"`
		Body    string          `json:"body" bun:"body"`
		Lang    string          `json:"lang" bun:"lang"`
		Themes  json.RawMessage `json:"themes" bun:"themes,type:text"`
		Status  string          `json:"status" bun:"status"`
		Answered
		TakenUp
		Stamps
	} `json:"ideas"`
	Comments []struct {
		ID int64 `json:"id" bun:"id"`
		Target
		ParentID *int64 `json:"parent_id" bun:"parent_id"`
		Body     string `json:"body" bun:"body"`
		Stance   string `json:"stance" bun:"stance"`
		Lang     string `json:"lang" bun:"lang"`
		Status   string `json:"status" bun:"status"`
		Answered
		Stamps
	} `json:"comments"`
	Votes []struct {
		Target
		Value int `json:"value" bun:"value"`
		Stamps
	} `json:"votes"`
	Reports []struct {
		Target
		Reason    string    `json:"reason" bun:"reason"`
		Note      string    `json:"note" bun:"note"`
		CreatedAt time.Time `json:"created_at" bun:"created_at"`
		Outcome   string    `json:"outcome" bun:"outcome"`
	} `json:"reports"`
	// ModerationDecisions are the decisions about this person's
	// contributions, with the statement of reasons they were given.
	ModerationDecisions []struct {
		Target
		Action    string    `json:"action" bun:"action"`
		Reason    string    `json:"reason" bun:"reason"`
		Statement string    `json:"statement" bun:"statement"`
		CreatedAt time.Time `json:"created_at" bun:"created_at"`
	} `json:"moderation_decisions"`
	Appeals []struct {
		Target
		Statement string     `json:"statement" bun:"statement"`
		CreatedAt time.Time  `json:"created_at" bun:"created_at"`
		DecidedAt *time.Time `json:"decided_at" bun:"decided_at"`
	} `json:"appeals"`
	Follows []struct {
		Target
		CreatedAt time.Time `json:"created_at" bun:"created_at"`
	} `json:"follows"`
	// NotificationSettings are the deliveries this person chose; kinds
	// not listed have their default.
	Notifications []struct {
		ID        int64           `json:"id" bun:"id"`
		Kind      string          `json:"kind" bun:"kind"`
		Title     json.RawMessage `json:"title" bun:"title,type:text"`
		Body      string          `json:"body_key" bun:"body_key"`
		Args      json.RawMessage `json:"body_args" bun:"body_args,type:text"`
		URL       string          `json:"url" bun:"url"`
		CreatedAt time.Time       `json:"created_at" bun:"created_at"`
		ReadAt    *time.Time      `json:"read_at" bun:"read_at"`
	} `json:"notifications"`
	NotificationSettings []struct {
		Kind     string `json:"kind" bun:"kind"`
		Delivery string `json:"delivery" bun:"delivery"`
	} `json:"notification_settings"`
	// Mail is the mail sent or waiting for this person, without bodies
	// (a waiting one may hold a reset link).
	Mail []struct {
		To        string     `json:"to" bun:"recipient"`
		Subject   string     `json:"subject" bun:"subject"`
		CreatedAt time.Time  `json:"created_at" bun:"created_at"`
		SentAt    *time.Time `json:"sent_at" bun:"sent_at"`
		FailedAt  *time.Time `json:"failed_at" bun:"failed_at"`
	} `json:"mail"`
	// PasswordResets are the password reset links asked for (named so
	// that the export never says "password").
	PasswordResets []MailedLink `json:"reset_links"`
	// AddressLinks are the links sent to confirm an address, with the
	// address each was for.
	AddressLinks []struct {
		Email string `json:"email" bun:"email"`
		MailedLink
	} `json:"address_links"`
	// UnsubscribeLinks are the kinds of mail the person's unsubscribe
	// links turn off.
	UnsubscribeLinks []struct {
		Kind      string    `json:"kind" bun:"kind"`
		CreatedAt time.Time `json:"created_at" bun:"created_at"`
	} `json:"unsubscribe_links"`
	// ParticipationCodes is the code the account was made with (codes
	// are stored hashed: the code itself is on the person's card only).
	ParticipationCodes []struct {
		Consultation string    `json:"consultation" bun:"consultation"`
		UsedAt       time.Time `json:"used_at" bun:"used_at"`
	} `json:"participation_codes"`
}

// Target names the idea, comment or measure an exported row is about.
type Target struct {
	TargetKind string `json:"target_kind" bun:"target_kind"`
	TargetID   int64  `json:"target_id" bun:"target_id"`
	// TargetTitle names a measure or idea (public, or one's own) in the
	// account's language, so a reader need not look ids up.
	TargetTitle string `json:"target_title,omitempty" bun:"-"`
}

// Stamps are when an exported row was written and last changed.
type Stamps struct {
	CreatedAt time.Time `json:"created_at" bun:"created_at"`
	UpdatedAt time.Time `json:"updated_at" bun:"updated_at"`
}

// MailedLink is a one-time link sent by mail: when it was sent, until
// when it worked, and when it was used.
type MailedLink struct {
	CreatedAt time.Time  `json:"created_at" bun:"created_at"`
	ExpiresAt time.Time  `json:"expires_at" bun:"expires_at"`
	UsedAt    *time.Time `json:"used_at" bun:"used_at"`
}

// Export gathers everything held about userID, read in one snapshot.
func (s *Service) Export(ctx context.Context, userID int64) (*Export, error) {
	out := &Export{Format: ExportFormat, ExportedAt: time.Now().UTC()}
	// One snapshot for all lists.
	err := s.st.ReadSnapshot(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`SELECT id, email, display_name, role, locale, created_at, updated_at, privacy_consent_at, blocked_until, block_reason
FROM users WHERE id = ? AND deleted_at IS NULL`, userID).Scan(ctx, &out.Account); err != nil {
			if store.IsNoRows(err) {
				return problem.NotFound()
			}
			return err
		}
		queries := []struct {
			dst any
			sql string
		}{
			{&out.ExpertGroups, "SELECT g.id, g.name, m.created_at FROM expert_group_members m JOIN expert_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.id"},
			{&out.Sessions, "SELECT created_at, expires_at, last_seen_at, user_agent FROM sessions WHERE user_id = ? ORDER BY id"},
			{&out.Ideas, "SELECT x.id, x.field_id, x.title, x.body, x.lang, x.themes, x.status, " + participation.TriageColumns("x") +
				", x.measure_id, tm.title AS measure_title_text, x.created_at, x.updated_at FROM ideas x" +
				participation.TriageJoin("x") + " LEFT JOIN measures tm ON tm.id = x.measure_id WHERE x.author_id = ? ORDER BY x.id"},
			{&out.Comments, "SELECT x.id, x.target_kind, x.target_id, x.parent_id, x.body, x.stance, x.lang, x.status, " + participation.TriageColumns("x") + ", x.created_at, x.updated_at FROM comments x" +
				participation.TriageJoin("x") + " WHERE x.author_id = ? ORDER BY x.id"},
			{&out.Votes, "SELECT target_kind, target_id, value, created_at, updated_at FROM votes WHERE user_id = ? ORDER BY id"},
			{&out.Reports, "SELECT target_kind, target_id, reason, note, created_at, outcome FROM reports WHERE reporter_id = ? ORDER BY id"},
			{&out.ModerationDecisions, `SELECT d.target_kind, d.target_id, d.action, d.reason, d.statement, d.created_at FROM moderation_decisions d
WHERE (d.target_kind = 'idea' AND d.target_id IN (SELECT id FROM ideas WHERE author_id = ?0))
   OR (d.target_kind = 'comment' AND d.target_id IN (SELECT id FROM comments WHERE author_id = ?0)) ORDER BY d.id`},
			{&out.Appeals, "SELECT target_kind, target_id, statement, created_at, decided_at FROM appeals WHERE author_id = ? ORDER BY id"},
			{&out.Follows, "SELECT target_kind, target_id, created_at FROM follows WHERE user_id = ? ORDER BY created_at, target_kind, target_id"},
			{&out.Notifications, "SELECT id, kind, title, body_key, body_args, url, created_at, read_at FROM notifications WHERE user_id = ? ORDER BY id"},
			{&out.NotificationSettings, "SELECT kind, delivery FROM notification_settings WHERE user_id = ? ORDER BY kind"},
			{&out.Mail, "SELECT recipient, subject, created_at, sent_at, failed_at FROM mail_queue WHERE user_id = ? ORDER BY id"},
			{&out.PasswordResets, "SELECT created_at, expires_at, used_at FROM password_resets WHERE user_id = ? ORDER BY id"},
			{&out.AddressLinks, "SELECT email, created_at, expires_at, used_at FROM email_verifications WHERE user_id = ? ORDER BY created_at"},
			{&out.UnsubscribeLinks, "SELECT kind, created_at FROM unsubscribe_tokens WHERE user_id = ? ORDER BY created_at"},
			{&out.ParticipationCodes, `SELECT k.slug AS consultation, c.used_at FROM participation_codes c
JOIN code_batches b ON b.id = c.batch_id JOIN consultations k ON k.id = b.consultation_id WHERE c.user_id = ? ORDER BY c.id`},
		}
		for _, q := range queries {
			if err := tx.NewRaw(q.sql, userID).Scan(ctx, q.dst); err != nil && !store.IsNoRows(err) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	fillEmpty(out)
	for i := range out.Ideas {
		out.Ideas[i].Answered.fill(out.Account.Locale)
		out.Ideas[i].TakenUp.fill(out.Account.Locale)
	}
	for i := range out.Comments {
		out.Comments[i].fill(out.Account.Locale)
	}
	if err := s.nameTargets(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Answered is an idea's or a comment's triage in an export: its state
// and the expert group's public answer as the API shows it.
type Answered struct {
	participation.Triage `json:"-"`
	State                string                `json:"triage_state" bun:"-"`
	Answer               *participation.Answer `json:"response" bun:"-"`
}

// fill prepares the exported fields from the stored ones, the group's
// name in the person's language.
func (a *Answered) fill(lang string) {
	a.State, a.Answer = a.TriageState, a.Triage.Answer(lang)
}

// TakenUp is the measure an exported idea was taken up in: its id and
// its title in the person's language, both null when none.
type TakenUp struct {
	MeasureID    *int64      `json:"measure_id" bun:"measure_id"`
	Text         locale.Text `json:"-" bun:"measure_title_text,type:text"`
	MeasureTitle *string     `json:"measure_title" bun:"-"`
}

func (t *TakenUp) fill(lang string) {
	if t.MeasureID != nil {
		title := t.Text.String(lang)
		t.MeasureTitle = &title
	}
}

// fillEmpty makes every list [] rather than null.
func fillEmpty(e *Export) {
	e.ExpertGroups = orEmpty(e.ExpertGroups)
	e.Sessions = orEmpty(e.Sessions)
	e.Ideas = orEmpty(e.Ideas)
	e.Comments = orEmpty(e.Comments)
	e.Votes = orEmpty(e.Votes)
	e.Reports = orEmpty(e.Reports)
	e.ModerationDecisions = orEmpty(e.ModerationDecisions)
	e.Appeals = orEmpty(e.Appeals)
	e.Follows = orEmpty(e.Follows)
	e.Notifications = orEmpty(e.Notifications)
	e.NotificationSettings = orEmpty(e.NotificationSettings)
	e.Mail = orEmpty(e.Mail)
	e.PasswordResets = orEmpty(e.PasswordResets)
	e.AddressLinks = orEmpty(e.AddressLinks)
	e.UnsubscribeLinks = orEmpty(e.UnsubscribeLinks)
	e.ParticipationCodes = orEmpty(e.ParticipationCodes)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ErrLastAdmin keeps the last administrator from erasing the account.
var ErrLastAdmin = problem.Conflict("error.last_admin")

// Erase removes userID's personal data: e-mail, name, password, language,
// consent, block, sessions, second factor, group memberships, follows,
// notifications and their settings, report notes, and the link to a
// participation code. Ideas, comments and votes stay, authored by a deleted account.
func (s *Service) Erase(ctx context.Context, userID int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var role string
		if err := tx.NewRaw("SELECT role FROM users WHERE id = ? AND deleted_at IS NULL", userID).Scan(ctx, &role); err != nil {
			if store.IsNoRows(err) {
				return problem.NotFound()
			}
			return err
		}
		if role == string(access.Admin) {
			var admins int
			if err := tx.NewRaw("SELECT COUNT(*) FROM users WHERE role = 'admin' AND deleted_at IS NULL").Scan(ctx, &admins); err != nil {
				return err
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		now := time.Now().UTC()
		steps := []struct {
			sql  string
			args []any
		}{
			{`UPDATE users SET email = NULL, display_name = '', password_hash = '', role = 'resident', locale = 'de',
  privacy_consent_at = NULL, blocked_until = NULL, block_reason = '', blocked_by = NULL, two_factor_at = NULL, deleted_at = ?, updated_at = ? WHERE id = ?`, []any{now, now, userID}},
			{"DELETE FROM sessions WHERE user_id = ?", []any{userID}},
			{"DELETE FROM login_challenges WHERE user_id = ?", []any{userID}},
			{"DELETE FROM two_factor_keys WHERE user_id = ?", []any{userID}},
			{"DELETE FROM recovery_codes WHERE user_id = ?", []any{userID}},
			{"DELETE FROM expert_group_members WHERE user_id = ?", []any{userID}},
			{"DELETE FROM follows WHERE user_id = ?", []any{userID}},
			{"DELETE FROM notification_settings WHERE user_id = ?", []any{userID}},
			{"DELETE FROM notifications WHERE user_id = ?", []any{userID}},
			{"DELETE FROM email_verifications WHERE user_id = ?", []any{userID}},
			{"DELETE FROM unsubscribe_tokens WHERE user_id = ?", []any{userID}},
			{"UPDATE reports SET note = '' WHERE reporter_id = ?", []any{userID}},
			// Mail to the account holds its address, and a reset link.
			{"DELETE FROM mail_queue WHERE user_id = ?", []any{userID}},
			{"DELETE FROM password_resets WHERE user_id = ?", []any{userID}},
			// The code stays used but opens nothing any more.
			{"UPDATE participation_codes SET user_id = NULL, card = NULL WHERE user_id = ?", []any{userID}},
			{"UPDATE users SET code_consultation_id = NULL WHERE id = ?", []any{userID}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
				return err
			}
		}
		if err := accounts.Changed(ctx, tx); err != nil {
			return err
		}
		// Pages show the name beside the contributions, now "deleted account".
		return tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages)
	})
}

// Handlers serve the export and erasure endpoints and pages; their routes
// require a signed-in person (access.RequireSignedIn), whose own data
// they are about.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer) *Handlers { return &Handlers{svc: svc, pages: r} }

// APIExport is GET /api/v1/me/export: a download of everything held about the caller.
func (h *Handlers) APIExport(c *fiber.Ctx) error {
	e, err := h.svc.Export(c.UserContext(), access.From(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mitreden-export.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(e)
}

// APIErase is DELETE /api/v1/me.
func (h *Handlers) APIErase(c *fiber.Ctx) error {
	if err := h.svc.Erase(c.UserContext(), access.From(c).UserID); err != nil {
		return err
	}
	accounts.ClearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// ErasePage is GET /me/delete: what deleting means, and the confirmation.
func (h *Handlers) ErasePage(c *fiber.Ctx) error {
	return h.pages.Render(c, fiber.StatusOK, "delete-account", h.pages.NewView(c, locale.From(c).T("delete.title")))
}

// EraseSubmit is POST /me/delete; it needs the confirmation box ticked.
func (h *Handlers) EraseSubmit(c *fiber.Ctx) error {
	if c.FormValue("confirm") != "yes" {
		view := h.pages.NewView(c, locale.From(c).T("delete.title"))
		view.SetFormErrors(problem.Invalid(problem.Field("confirm", "error.confirm_required")), nil)
		return h.pages.Render(c, fiber.StatusUnprocessableEntity, "delete-account", view)
	}
	if err := h.svc.Erase(c.UserContext(), access.From(c).UserID); err != nil {
		if p, ok := err.(*problem.Problem); ok && p.Status == fiber.StatusConflict {
			view := h.pages.NewView(c, locale.From(c).T("delete.title"))
			view.SetFormErrors(err, nil)
			return h.pages.Render(c, p.Status, "delete-account", view)
		}
		return err
	}
	accounts.ClearSessionCookie(c)
	pages.Flash(c, "ok", "flash.account_deleted")
	return pages.Redirect(c, "/")
}
