package accounts

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// Security is what /me shows about signing in: the second factor and
// the sessions.
type Security struct {
	TwoFactor TwoFactorState
	// Required marks staff who must turn the second factor on first.
	Required bool
	// QRCode shows a pending secret to an authenticator app (a PNG data
	// URL: the CSP allows data: images, no script needed).
	QRCode template.URL
	// RecoveryCodes are shown once, right after turning it on.
	RecoveryCodes []string
	Sessions      []SessionInfo
	// MoreSessions is true when there are more than the page lists.
	MoreSessions bool
	Current      int64
}

// SecretGroups is the pending secret in groups of four, for typing it.
func (s *Security) SecretGroups() string {
	if s.TwoFactor.Pending == nil {
		return ""
	}
	secret := s.TwoFactor.Pending.Secret
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	return strings.Join(append(groups, secret), " ")
}

const recoveryCodesLocal = "mitreden.recovery_codes"

// sessionsOnPage is how many sessions /me lists; "end all others" ends the rest too.
const sessionsOnPage = 50

func (h *Handlers) security(c *fiber.Ctx) (*Security, error) {
	v := access.From(c)
	out := &Security{Required: v.NeedsTwoFactor, Current: v.SessionID}
	var err error
	if out.TwoFactor, err = h.svc.TwoFactor(c.UserContext(), v.UserID); err != nil {
		return nil, err
	}
	if p := out.TwoFactor.Pending; p != nil {
		if out.QRCode, err = qrCode(p.URL); err != nil {
			return nil, err
		}
	}
	out.RecoveryCodes, _ = c.Locals(recoveryCodesLocal).([]string)
	if out.Sessions, err = h.svc.Sessions(c.UserContext(), v.UserID, 0, sessionsOnPage+1); err != nil {
		return nil, err
	}
	if len(out.Sessions) > sessionsOnPage {
		out.Sessions, out.MoreSessions = out.Sessions[:sessionsOnPage], true
	}
	return out, nil
}

// qrCode draws an otpauth:// URL as a PNG data URL.
func qrCode(url string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", err
	}
	// Made here from our own bytes: safe as a URL.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), nil
}

// Device names the browser and system of a User-Agent in a few words,
// or answers it as it is when it names neither.
func (si SessionInfo) Device() string {
	ua := si.UserAgent
	browser := firstFound(ua, [][2]string{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	})
	system := firstFound(ua, [][2]string{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return browser + ", " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return ua
}

func firstFound(s string, names [][2]string) string {
	for _, n := range names {
		if strings.Contains(s, n[0]) {
			return n[1]
		}
	}
	return ""
}

type sessionJSONItem struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// APISessions is GET /api/v1/me/sessions: the caller's sessions, newest first.
func (h *Handlers) APISessions(c *fiber.Ctx) error {
	v := access.From(c)
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	page, err := jsonapi.ParsePage(c)
	if err != nil {
		return err
	}
	rows, err := h.svc.Sessions(c.UserContext(), v.UserID, page.After, page.Limit+1)
	if err != nil {
		return err
	}
	rows, next := jsonapi.Paginate(rows, page.Limit, func(s SessionInfo) int64 { return s.ID })
	items := make([]sessionJSONItem, len(rows))
	for i, s := range rows {
		items[i] = sessionJSONItem{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), UserAgent: s.UserAgent, Current: s.ID == v.SessionID}
	}
	noStore(c)
	return c.JSON(jsonapi.NewList(items, next))
}

// APIEndSession is DELETE /api/v1/me/sessions/{id}.
func (h *Handlers) APIEndSession(c *fiber.Ctx) error {
	if _, err := h.endSession(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// endSession ends the caller's session of the path's id, answering
// whether it was the one in use (whose cookie is then cleared).
func (h *Handlers) endSession(c *fiber.Ctx) (current bool, err error) {
	v := access.From(c)
	if !v.SignedIn() {
		return false, problem.Unauthorized()
	}
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return false, err
	}
	if err := h.svc.EndSessionOf(c.UserContext(), v.UserID, id); err != nil {
		return false, err
	}
	securitylog.Event(c, securitylog.SessionRevoked, "session", id)
	if id == v.SessionID {
		h.clearSessionCookie(c)
		return true, nil
	}
	return false, nil
}

// APIEndUserSessions is DELETE /api/v1/users/{id}/sessions (admin).
func (h *Handlers) APIEndUserSessions(c *fiber.Ctx) error {
	return apiActOnAccount(c, h.EndUserSessions)
}

// EndUserSessions ends every session of account id for the signed-in
// administrator, and logs it.
func (h *Handlers) EndUserSessions(c *fiber.Ctx, id int64) error {
	admin := access.From(c).UserID
	n, err := h.svc.EndAllSessions(c.UserContext(), admin, id)
	if err == nil {
		securitylog.Event(c, securitylog.SessionRevoked, "user", id, "actor", admin, "sessions", n)
	}
	return err
}

// EndSessionSubmit is POST /me/sessions/{id}/end.
func (h *Handlers) EndSessionSubmit(c *fiber.Ctx) error {
	current, err := h.endSession(c)
	if err != nil {
		return err
	}
	if current {
		pages.Flash(c, "ok", "flash.signed_out")
		return pages.Redirect(c, "/")
	}
	pages.Flash(c, "ok", "flash.session_ended")
	return pages.Redirect(c, "/me#sessions")
}

// EndOtherSessionsSubmit is POST /me/sessions/end-others: every session
// but this one ends.
func (h *Handlers) EndOtherSessionsSubmit(c *fiber.Ctx) error {
	v := access.From(c)
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	n, err := h.svc.EndOtherSessions(c.UserContext(), v.UserID, v.SessionID)
	if err != nil {
		return err
	}
	if n > 0 {
		securitylog.Event(c, securitylog.SessionRevoked, "sessions", n, "kept", v.SessionID)
	}
	pages.Flash(c, "ok", "flash.sessions_ended")
	return pages.Redirect(c, "/me#sessions")
}

// EndUserSessionsSubmit is POST /admin/users/{id}/sessions/end, the
// button on the administration's account page.
func (h *Handlers) EndUserSessionsSubmit(c *fiber.Ctx) error {
	id, err := actOnAccount(c, h.EndUserSessions)
	if err != nil {
		return err
	}
	pages.Flash(c, "ok", "flash.user_sessions_ended")
	if id == access.From(c).UserID {
		// The administrator's own sessions ended too.
		h.clearSessionCookie(c)
		return pages.Redirect(c, "/")
	}
	return pages.Redirect(c, "/admin/users/"+strconv.FormatInt(id, 10))
}
