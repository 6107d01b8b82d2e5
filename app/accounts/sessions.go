package accounts

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// How long sessions last.
const (
	// IdleTimeout ends a session that was not used for this long.
	IdleTimeout = 14 * 24 * time.Hour
	// LastSeenEvery is how often a session's last use is written at
	// most: often enough for the idle deadline and the sessions list,
	// rarely enough that a busy reader costs no write per request.
	LastSeenEvery = 10 * time.Minute
	// MaxUserAgent caps the browser description kept with a session.
	MaxUserAgent = 200
)

// Client is what a sign-in knows about the browser or app signing in:
// the session it had before (ended by the sign-in, so a session id never
// survives one) and its User-Agent, shown in the sessions list.
type Client struct {
	ReplaceToken string
	UserAgent    string
}

// clientOf reads the request's Client.
func (h *Handlers) clientOf(c *fiber.Ctx) Client {
	return Client{
		ReplaceToken: strings.Clone(c.Cookies(h.sessionCookie())),
		UserAgent:    cleanUserAgent(string(c.Request().Header.UserAgent())),
	}
}

// cleanUserAgent keeps a User-Agent fit to show: valid UTF-8 without
// control characters, at most MaxUserAgent characters.
func cleanUserAgent(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n == MaxUserAgent {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// alive reports whether a session that ends at expires at the latest and
// was last used at lastSeen is still good at now.
func alive(now, expires, lastSeen time.Time) bool {
	return now.Before(expires) && now.Before(lastSeen.Add(IdleTimeout))
}

// ends is when a session used at now and last marked seen at lastSeen
// stops being alive, as far as is known now (markSeen moves lastSeen on).
func ends(expires, lastSeen, now time.Time) time.Time {
	if now.Sub(lastSeen) >= LastSeenEvery {
		lastSeen = now
	}
	idle := lastSeen.Add(IdleTimeout)
	if idle.Before(expires) {
		return idle
	}
	return expires
}

// aliveSessions narrows q to userID's sessions that are alive at now, the
// rule of alive in SQL.
func aliveSessions(q *bun.SelectQuery, userID int64, now time.Time) *bun.SelectQuery {
	return q.TableExpr("sessions").Where("user_id = ?", userID).
		Where("expires_at > ?", now).Where("last_seen_at > ?", now.Add(-IdleTimeout))
}

func (s *Service) startSession(ctx context.Context, userID int64, client Client) (*Session, error) {
	var out *Session
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		out, err = s.insertSession(ctx, tx, userID, client)
		return err
	})
	return out, err
}

// insertSession starts a session in tx, ending the one client replaces.
func (s *Service) insertSession(ctx context.Context, tx *store.Tx, userID int64, client Client) (*Session, error) {
	now := s.now()
	out := &Session{Token: randomToken(), CSRFToken: randomToken(), ExpiresAt: now.Add(SessionTTL)}
	row := &session{
		TokenHash: hashToken(out.Token), UserID: userID, CSRFToken: out.CSRFToken,
		CreatedAt: now, ExpiresAt: out.ExpiresAt, LastSeenAt: now, UserAgent: client.UserAgent,
	}
	if client.ReplaceToken != "" {
		if _, err := tx.NewDelete().Model((*session)(nil)).Where("token_hash = ?", hashToken(client.ReplaceToken)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := Changed(ctx, tx); err != nil {
			return nil, err
		}
	}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// markSeen records that the session was used at now, when its recorded
// last use (as the caller knows it) is LastSeenEvery old or more.
func (s *Service) markSeen(ctx context.Context, sessionID int64, lastSeen, now time.Time) error {
	if now.Sub(lastSeen) < LastSeenEvery {
		return nil
	}
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
			tx.Time(now), sessionID, tx.Time(now.Add(-LastSeenEvery)))
		return err
	})
}

// SessionInfo is one of a person's sessions, as they see it.
type SessionInfo struct {
	ID         int64     `bun:"id"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	UserAgent  string    `bun:"user_agent"`
}

// Sessions lists userID's running sessions, newest first, before the
// session id before (0: from the newest).
func (s *Service) Sessions(ctx context.Context, userID, before int64, limit int) ([]SessionInfo, error) {
	now := s.now()
	q := aliveSessions(s.st.DB.NewSelect(), userID, now).Column("id", "created_at", "last_seen_at", "user_agent").
		Order("id DESC").Limit(int64(limit))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var out []SessionInfo
	err := q.Scan(ctx, &out)
	return out, err
}

// EndSessionOf ends one of userID's sessions; another person's session
// is not found.
func (s *Service) EndSessionOf(ctx context.Context, userID, sessionID int64) error {
	return s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id = ? AND user_id = ?", sessionID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound()
		}
		return Changed(ctx, tx)
	})
}

// EndOtherSessions ends every session of userID but keep, answering how
// many ended.
func (s *Service) EndOtherSessions(ctx context.Context, userID, keep int64) (int64, error) {
	var n int64
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND id <> ?", userID, keep)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return Changed(ctx, tx)
	})
	return n, err
}

// EndAllSessions is an administrator (actorID) ending every session of
// userID, with an audit entry; it answers how many ended.
func (s *Service) EndAllSessions(ctx context.Context, actorID, userID int64) (int64, error) {
	var n int64
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := s.account(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if err := Changed(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "user.end_sessions", "user", userID, nil, map[string]any{"sessions_ended": n})
	})
	return n, err
}

// PruneSessions deletes, in tx, up to limit each of ended sessions,
// expired sign-in challenges and password reset links, second-factor
// setups nobody finished within a day, and the cards of participation
// codes kept for printing past PrintableFor. It answers whether more may
// be left (the server's retention round calls it until none are).
func (s *Service) PruneSessions(ctx context.Context, tx *store.Tx, limit int) (more bool, err error) {
	now := s.now()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? LIMIT ?)",
			[]any{tx.Time(now), tx.Time(now.Add(-IdleTimeout))}},
		{"DELETE FROM login_challenges WHERE id IN (SELECT id FROM login_challenges WHERE expires_at <= ? LIMIT ?)", []any{tx.Time(now)}},
		{"DELETE FROM password_resets WHERE id IN (SELECT id FROM password_resets WHERE expires_at <= ? LIMIT ?)", []any{tx.Time(now)}},
		// Participation codes are kept for printing only so long.
		{`UPDATE participation_codes SET card = NULL WHERE id IN (
  SELECT c.id FROM participation_codes c JOIN code_batches b ON b.id = c.batch_id WHERE c.card IS NOT NULL AND b.created_at <= ? LIMIT ?)`,
			[]any{tx.Time(now.Add(-PrintableFor))}},
		{`DELETE FROM two_factor_keys WHERE user_id IN (
  SELECT k.user_id FROM two_factor_keys k JOIN users u ON u.id = k.user_id WHERE k.created_at <= ? AND u.two_factor_at IS NULL LIMIT ?)`,
			[]any{tx.Time(now.Add(-24 * time.Hour))}},
	} {
		left, err := tx.ExecBatch(ctx, limit, q.sql, q.args...)
		if err != nil {
			return false, err
		}
		more = more || left
	}
	return more, nil
}

// SessionCount counts userID's running sessions.
func (s *Service) SessionCount(ctx context.Context, userID int64) (int64, error) {
	return aliveSessions(s.st.DB.NewSelect(), userID, s.now()).Count(ctx)
}

// Authenticate returns the viewer a session token belongs to, or nil when
// the token is unknown or the session ended (IdleTimeout after its last
// use, SessionTTL after sign-in). It records the use (see markSeen).
func (s *Service) Authenticate(ctx context.Context, token string) (*access.Viewer, error) {
	if token == "" || len(token) > 128 {
		return nil, nil
	}
	tokenHash := hashToken(token)
	now := s.now()
	if v := s.sessions.get(tokenHash, now); v != nil {
		return v, nil
	}
	seen := s.sessions.snapshot()
	// Every signed-in request comes through here: one statement, one row
	// per expert group (or one with a NULL group), so one read snapshot on
	// SQLite and one round trip on PostgreSQL. The token is passed as
	// CAST(? AS TEXT), not a bare ?: see app/store/raw.go.
	rows, err := s.st.Query(ctx, `
SELECT s.id, s.csrf_token, s.expires_at, s.last_seen_at, u.id, u.display_name, u.role, u.locale, u.created_at, u.blocked_until, u.block_reason, u.must_change_password, u.two_factor_at,
  u.email IS NOT NULL AND u.email_verified_at IS NULL, u.code_consultation_id, m.group_id
FROM sessions s JOIN users u ON u.id = s.user_id
LEFT JOIN expert_group_members m ON m.user_id = u.id
WHERE s.token_hash = CAST(? AS TEXT) AND u.deleted_at IS NULL
ORDER BY m.group_id`, tokenHash)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		v            access.Viewer
		found        bool
		expires      time.Time
		lastSeen     sql.NullTime
		blockedUntil sql.NullTime
		twoFactor    sql.NullTime
		unverified   bool
		codeOnly     sql.NullInt64
		role         string
		group        sql.NullInt64
	)
	for rows.Next() {
		// Every row repeats the session and account; only the group differs.
		if err := rows.Scan(&v.SessionID, &v.CSRFToken, &expires, &lastSeen, &v.UserID, &v.DisplayName, &role, &v.Locale, &v.CreatedAt, &blockedUntil, &v.BlockReason, &v.MustChangePassword, &twoFactor, &unverified, &codeOnly, &group); err != nil {
			return nil, err
		}
		found = true
		if group.Valid {
			v.Groups = append(v.Groups, group.Int64)
		}
	}
	if err := rows.Err(); err != nil || !found {
		return nil, err
	}
	if !lastSeen.Valid { // a row written without it: counts as used now
		lastSeen.Time = now.Add(-LastSeenEvery)
	}
	if !alive(now, expires, lastSeen.Time) {
		return nil, nil
	}
	v.Role = access.Role(role)
	if blockedUntil.Valid {
		until := blockedUntil.Time.UTC()
		v.BlockedUntil = &until
	}
	v.TwoFactor = twoFactor.Valid
	v.OnlyConsultation = codeOnly.Int64
	v.Unverified = unverified && s.verifyEmail
	v.NeedsTwoFactor = s.staffTwoFactor && !v.TwoFactor && v.AtLeast(access.Moderator)
	if err := s.markSeen(ctx, v.SessionID, lastSeen.Time, now); err != nil {
		return nil, err
	}
	s.sessions.put(tokenHash, &v, seen, now, ends(expires, lastSeen.Time, now))
	return &v, nil
}
