package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
	"github.com/mitreden/mitreden/app/store"
)

// Participation codes let people without e-mail take part: a workshop or a
// counselling centre prints a batch of cards for one consultation, and
// each code is the lasting credential of one person (CONTRACT.md,
// "Participation codes").

// codeAlphabet leaves out what looks alike in print or handwriting
// (0/O/D is kept apart by leaving out 0 and O; 1/I/L, 2/Z, 5/S, 8/B).
const codeAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// CodeLength is the number of characters of a code: 25^12 ≈ 2^55, so
// guessing one, at the sign-in rate limit, takes longer than any
// consultation runs, and a fast hash is enough to store it.
const CodeLength = 12

// MaxCodes is the largest batch; MaxCodeLabel the longest label.
const (
	MaxCodes     = 1000
	MaxCodeLabel = 100
)

// PrintableFor is how long after a batch is made its cards can be
// printed: the codes themselves are kept that long (and only until each is
// first used), then only their hashes remain.
const PrintableFor = 14 * 24 * time.Hour

// CodeBatch is a batch of codes as the API shows it.
type CodeBatch struct {
	ID             int64      `json:"id"`
	ConsultationID int64      `json:"-"`
	Label          string     `json:"label"`
	Count          int        `json:"count"`
	Used           int        `json:"used"`
	CreatedAt      time.Time  `json:"created_at"`
	VoidedAt       *time.Time `json:"voided_at"`
}

// Printable reports whether the batch's unused cards can still be printed.
func (b *CodeBatch) Printable(now time.Time) bool {
	return b.VoidedAt == nil && now.Before(b.CreatedAt.Add(PrintableFor))
}

// newCode draws a code: uniform over the alphabet (bytes ≥ 250 are drawn
// again, so no character is likelier than another).
func newCode() string {
	out := make([]byte, 0, CodeLength)
	var buf [32]byte
	for len(out) < CodeLength {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if b < 250 && len(out) < CodeLength {
				out = append(out, codeAlphabet[int(b)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}

// FormatCode groups a code in fours for reading aloud and typing.
func FormatCode(code string) string {
	if len(code) != CodeLength {
		return code
	}
	return code[:4] + "-" + code[4:8] + "-" + code[8:]
}

// readCode reads a code as a person types it: any case, with spaces
// or dashes; "" when it cannot be one.
func readCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case strings.ContainsRune(codeAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != CodeLength {
		return ""
	}
	return b.String()
}

// consultationID finds a consultation by its slug.
func (s *Service) consultationID(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := s.st.QueryRow(ctx, "SELECT id FROM consultations WHERE slug = ?", slug).Scan(&id)
	if store.IsNoRows(err) {
		return 0, problem.NotFound()
	}
	return id, err
}

// CreateCodes makes a batch of count codes for the consultation slug and
// answers them: the only time they are shown outside the card page.
func (s *Service) CreateCodes(ctx context.Context, actor *access.Viewer, slug string, count int, label string) (*CodeBatch, []string, error) {
	var v problem.Validator
	v.Check(count >= 1 && count <= MaxCodes, "count", "error.code_count")
	label = plaintext.Check(&v, "label", label, 0, MaxCodeLabel)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	consultation, err := s.consultationID(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	codes := make([]string, count)
	for i := range codes {
		codes[i] = newCode()
	}
	b := &CodeBatch{ConsultationID: consultation, Label: label, Count: count, CreatedAt: s.now().Truncate(time.Microsecond)}
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		err := tx.QueryRow(ctx, "INSERT INTO code_batches (consultation_id, label, count, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			consultation, label, count, actor.UserID, tx.Time(b.CreatedAt)).Scan(&b.ID)
		if err != nil {
			return err
		}
		for _, code := range codes {
			if _, err := tx.Exec(ctx, "INSERT INTO participation_codes (batch_id, code_hash, card) VALUES (?, ?, ?)", b.ID, hashToken(code), code); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor.UserID, "code_batch.create", "code_batch", b.ID, nil, map[string]any{"consultation": slug, "label": label, "count": count})
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range codes {
		codes[i] = FormatCode(codes[i])
	}
	return b, codes, nil
}

const batchColumns = `b.id, b.consultation_id, b.label, b.count, b.created_at, b.voided_at,
  (SELECT COUNT(*) FROM participation_codes c WHERE c.batch_id = b.id AND c.used_at IS NOT NULL)`

func scanBatch(row interface{ Scan(...any) error }) (CodeBatch, error) {
	var (
		b      CodeBatch
		voided sql.NullTime
	)
	err := row.Scan(&b.ID, &b.ConsultationID, &b.Label, &b.Count, &b.CreatedAt, &voided, &b.Used)
	b.CreatedAt = b.CreatedAt.UTC()
	if voided.Valid {
		t := voided.Time.UTC()
		b.VoidedAt = &t
	}
	return b, err
}

// CodeBatches lists the batches of the consultation slug, newest first.
func (s *Service) CodeBatches(ctx context.Context, slug string) ([]CodeBatch, error) {
	consultation, err := s.consultationID(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := []CodeBatch{}
	err = s.st.Each(ctx, "SELECT "+batchColumns+" FROM code_batches b WHERE b.consultation_id = ? ORDER BY b.id DESC", []any{consultation}, func(rows *sql.Rows) error {
		b, err := scanBatch(rows)
		out = append(out, b)
		return err
	})
	return out, err
}

// CodeBatch loads one batch of the consultation slug.
func (s *Service) CodeBatch(ctx context.Context, slug string, id int64) (*CodeBatch, error) {
	consultation, err := s.consultationID(ctx, slug)
	if err != nil {
		return nil, err
	}
	b, err := scanBatch(s.st.QueryRow(ctx, "SELECT "+batchColumns+" FROM code_batches b WHERE b.id = ? AND b.consultation_id = ?", id, consultation))
	if store.IsNoRows(err) {
		return nil, problem.NotFound()
	}
	return &b, err
}

// Cards are the batch's codes that can still be printed: unused, in a
// batch neither voided nor older than PrintableFor.
func (s *Service) Cards(ctx context.Context, b *CodeBatch) ([]string, error) {
	if !b.Printable(s.now()) {
		return nil, nil
	}
	var out []string
	err := s.st.Each(ctx, "SELECT card FROM participation_codes WHERE batch_id = ? AND card IS NOT NULL AND used_at IS NULL ORDER BY id", []any{b.ID}, func(rows *sql.Rows) error {
		var card string
		err := rows.Scan(&card)
		out = append(out, card)
		return err
	})
	return out, err
}

// VoidBatch stops the batch's unused codes from working; codes already
// used stay the credentials of their accounts. Voiding twice changes
// nothing.
func (s *Service) VoidBatch(ctx context.Context, actor *access.Viewer, id int64) error {
	now := s.now()
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var voided sql.NullTime
		err := tx.QueryRow(ctx, "SELECT voided_at FROM code_batches WHERE id = ?"+tx.ForUpdate(""), id).Scan(&voided)
		switch {
		case store.IsNoRows(err):
			return problem.NotFound()
		case err != nil:
			return err
		case voided.Valid:
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE code_batches SET voided_at = ? WHERE id = ?", tx.Time(now), id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE participation_codes SET card = NULL WHERE batch_id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, "code_batch.void", "code_batch", id, nil, nil)
	})
}

// CodeSignIn is a sign-in with a participation code; DisplayName,
// PrivacyConsent and Locale count only on the code's first use, which
// makes the account.
type CodeSignIn struct {
	Code           string
	DisplayName    string
	PrivacyConsent bool
	Locale         string
}

// ErrBadCode is the one answer to a code that is wrong, voided or whose
// account was erased.
var ErrBadCode = &problem.Problem{Status: 401, DetailKey: "error.bad_code"}

// errCodeTaken is a first use that lost the race with another one: the
// code now has its account, and the sign-in is tried again as a later use.
var errCodeTaken = errors.New("code taken by a concurrent first use")

// SignInWithCode signs in with a code: its first use makes a code account
// (a resident without e-mail that contributes to the code's consultation
// only), later uses sign in to it. It answers the account, its session and
// the slug of the code's consultation.
func (s *Service) SignInWithCode(ctx context.Context, in CodeSignIn, client Client) (*User, *Session, string, error) {
	code := readCode(in.Code)
	if code == "" {
		if strings.TrimSpace(in.Code) == "" {
			return nil, nil, "", problem.Invalid(problem.Field("code", "error.required"))
		}
		return nil, nil, "", ErrBadCode
	}
	u, sess, slug, err := s.signInWithCode(ctx, code, in, client)
	if errors.Is(err, errCodeTaken) {
		// The other first use has committed: this one is now a later use.
		return s.signInWithCode(ctx, code, in, client)
	}
	return u, sess, slug, err
}

func (s *Service) signInWithCode(ctx context.Context, code string, in CodeSignIn, client Client) (*User, *Session, string, error) {
	var (
		codeID, consultation int64
		userID               sql.NullInt64
		used, voided         sql.NullTime
		slug                 string
	)
	err := s.st.QueryRow(ctx, `SELECT c.id, c.user_id, c.used_at, b.voided_at, b.consultation_id, k.slug
FROM participation_codes c JOIN code_batches b ON b.id = c.batch_id JOIN consultations k ON k.id = b.consultation_id
WHERE c.code_hash = ?`, hashToken(code)).Scan(&codeID, &userID, &used, &voided, &consultation, &slug)
	switch {
	case store.IsNoRows(err):
		return nil, nil, "", ErrBadCode
	case err != nil:
		return nil, nil, "", err
	case used.Valid && !userID.Valid: // its account was erased
		return nil, nil, "", ErrBadCode
	case used.Valid:
		u, err := s.liveUser(ctx, userID.Int64)
		var p *problem.Problem
		if errors.As(err, &p) && p.Status == fiber.StatusNotFound {
			return nil, nil, "", ErrBadCode
		}
		if err != nil {
			return nil, nil, "", err
		}
		sess, err := s.startSession(ctx, u.ID, client)
		return u, sess, slug, err
	case voided.Valid:
		return nil, nil, "", ErrBadCode
	}
	u, err := s.codeAccount(ctx, in, consultation)
	if err != nil {
		return nil, nil, "", err
	}
	var sess *Session
	err = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The first use claims the code; a concurrent one finds it used.
		res, err := tx.Exec(ctx, "UPDATE participation_codes SET used_at = ?, card = NULL WHERE id = ? AND used_at IS NULL",
			tx.Time(u.CreatedAt), codeID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, errCodeTaken)
		}
		if _, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE participation_codes SET user_id = ? WHERE id = ?", u.ID, codeID); err != nil {
			return err
		}
		sess, err = s.insertSession(ctx, tx, u.ID, client)
		return err
	})
	if err != nil {
		return nil, nil, "", err
	}
	return u, sess, slug, nil
}

// codeAccount is the account a code's first use makes: consent to the
// privacy notice is needed, a display name is optional (one is made up
// in the person's language when none is given).
func (s *Service) codeAccount(ctx context.Context, in CodeSignIn, consultation int64) (*User, error) {
	lang := in.Locale
	if !s.catalog.Supported(lang) {
		lang = locale.Default
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" {
		var n [2]byte
		_, _ = rand.Read(n[:])
		name = s.catalog.Get(lang).T("code.default_name", map[string]any{"Number": strconv.Itoa(1000 + (int(n[0])<<8|int(n[1]))%9000)})
	}
	var v problem.Validator
	name, err := s.checkDisplayName(ctx, s.st.DB, &v, name, access.Resident, 0)
	if err != nil {
		return nil, err
	}
	if !in.PrivacyConsent {
		v.Add(problem.Field("privacy_consent", "error.consent_required"))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	return &User{DisplayName: name, Role: access.Resident, Locale: lang, PrivacyConsentAt: &now, EmailVerifiedAt: &now,
		CodeConsultationID: &consultation, CreatedAt: now, UpdatedAt: now}, nil
}

type codesBody struct {
	Count int    `json:"count"`
	Label string `json:"label"`
}

type createdCodes struct {
	Batch CodeBatch `json:"batch"`
	Codes []string  `json:"codes"`
}

// APICreateCodes is POST /api/v1/consultations/{slug}/codes (admin)
// {count,label}: 201 with the batch and its codes.
func (h *Handlers) APICreateCodes(c *fiber.Ctx, b *codesBody) error {
	batch, codes, err := h.svc.CreateCodes(c.UserContext(), access.From(c), strings.Clone(c.Params("slug")), b.Count, b.Label)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdCodes{Batch: *batch, Codes: codes})
}

// APICodeBatches is GET /api/v1/consultations/{slug}/codes (admin): the
// batches, newest first (a consultation has a handful: one page).
func (h *Handlers) APICodeBatches(c *fiber.Ctx) error {
	list, err := h.svc.CodeBatches(c.UserContext(), strings.Clone(c.Params("slug")))
	if err != nil {
		return err
	}
	return c.JSON(jsonapi.NewList(list, nil))
}

// APIVoidBatch is DELETE /api/v1/code-batches/{id} (admin): 204.
func (h *Handlers) APIVoidBatch(c *fiber.Ctx) error {
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.VoidBatch(c.UserContext(), access.From(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type codeSignInBody struct {
	Code           string `json:"code"`
	DisplayName    string `json:"display_name"`
	PrivacyConsent bool   `json:"privacy_consent"`
}

// APICodeSignIn is POST /api/v1/auth/code {code,display_name?,privacy_consent}.
func (h *Handlers) APICodeSignIn(c *fiber.Ctx, b *codeSignInBody) error {
	u, s, _, err := h.codeSignIn(c, CodeSignIn{Code: b.Code, DisplayName: b.DisplayName, PrivacyConsent: b.PrivacyConsent})
	if err != nil {
		return err
	}
	return h.answerSession(c, fiber.StatusOK, u, s)
}

// codeSignIn is the one way the API and the form sign in with a code,
// with the security events a sign-in logs.
func (h *Handlers) codeSignIn(c *fiber.Ctx, in CodeSignIn) (*User, *Session, string, error) {
	in.Locale = locale.From(c).Lang.Code
	u, s, slug, err := h.svc.SignInWithCode(c.UserContext(), in, h.clientOf(c))
	if errors.Is(err, ErrBadCode) {
		securitylog.Event(c, securitylog.LoginFailed, "credential", "code")
	}
	if err != nil {
		return nil, nil, "", err
	}
	securitylog.Event(c, securitylog.Login, "user", u.ID, "credential", "code")
	return u, s, slug, nil
}

// CodePage is GET /code: the form a card's QR code leads to. The code
// travels in the link's fragment (/code#CODE), which the browser never
// sends: the page's script puts it into the form.
func (h *Handlers) CodePage(c *fiber.Ctx) error {
	v := h.pages.NewView(c, locale.From(c).T("code.title"))
	v.Form = map[string]string{}
	return h.pages.Render(c, fiber.StatusOK, "code", v)
}

// CodeSubmit is POST /code: the code's consultation opens, signed in.
func (h *Handlers) CodeSubmit(c *fiber.Ctx) error {
	form := formOf(c, "code", "display_name", "consent")
	_, s, slug, err := h.codeSignIn(c, CodeSignIn{Code: form["code"], DisplayName: form["display_name"], PrivacyConsent: form["consent"] == "yes"})
	if err == nil {
		h.setSessionCookie(c, s)
		pages.Flash(c, "ok", "flash.signed_in")
		return pages.Redirect(c, "/c/"+slug)
	}
	var p *problem.Problem
	if errors.As(err, &p) && p.Status == fiber.StatusUnauthorized {
		// A wrong code is the code field's mistake.
		err = &problem.Problem{Status: p.Status, DetailKey: p.DetailKey, Errors: []problem.FieldError{problem.Field("code", p.DetailKey)}}
	}
	return h.formRefused(c, err, "code", "code.title", form, map[string]string{"privacy_consent": "consent"})
}
