package notifications

import (
	"context"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// digest is the kind an unsubscribe link of a daily digest names: it
// turns off every kind that came in the digest.
const digest Kind = "digest"

// ErrUnknownToken answers an unsubscribe link that opens nothing.
var ErrUnknownToken = problem.BadRequest("error.unsubscribe_token")

// Unsubscribe turns off the mail an unsubscribe link was sent with: its
// kind, or every kind of a digest. Account notices stay on (a block must
// reach the person). It answers the kind.
func (s *Service) Unsubscribe(ctx context.Context, token string) (Kind, error) {
	if token == "" || len(token) > 128 {
		return "", ErrUnknownToken
	}
	var (
		userID int64
		kind   Kind
	)
	if err := s.st.QueryRow(ctx, "SELECT user_id, kind FROM unsubscribe_tokens WHERE token_hash = ?", hashToken(token)).Scan(&userID, &kind); err != nil {
		if store.IsNoRows(err) {
			return "", ErrUnknownToken
		}
		return "", err
	}
	off := map[string]string{}
	switch kind {
	case Account:
	case digest:
		settings, err := s.Settings(ctx, userID)
		if err != nil {
			return "", err
		}
		for k, d := range settings {
			if d == Daily && k != Account {
				off[string(k)] = string(Off)
			}
		}
	default:
		off[string(kind)] = string(Off)
	}
	if len(off) > 0 {
		if _, err := s.Change(ctx, userID, off); err != nil {
			return "", err
		}
	}
	return kind, nil
}

// UnsubscribePageData is what /unsubscribe shows.
type UnsubscribePageData struct {
	Token string
	Done  bool
	Kind  Kind
}

// UnsubscribePage is GET /unsubscribe?token=…: a button, since mail
// programs and scanners open links; nothing changes until it is pressed.
func (h *Handlers) UnsubscribePage(c *fiber.Ctx) error {
	return h.renderUnsubscribe(c, http.StatusOK, &UnsubscribePageData{Token: strings.Clone(c.Query("token"))})
}

// UnsubscribeSubmit is POST /unsubscribe?token=…, the page's button and
// the one-click unsubscribe of RFC 8058: no session, no CSRF token (the
// token is the authority). It answers 200 with the page.
func (h *Handlers) UnsubscribeSubmit(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	if token == "" {
		token = c.FormValue("token")
	}
	kind, err := h.svc.Unsubscribe(c.UserContext(), token)
	if err != nil {
		return err
	}
	return h.renderUnsubscribe(c, http.StatusOK, &UnsubscribePageData{Done: true, Kind: kind})
}

func (h *Handlers) renderUnsubscribe(c *fiber.Ctx, status int, d *UnsubscribePageData) error {
	v := h.pages.NewView(c, locale.From(c).T("unsubscribe.title"))
	v.Data = d
	return h.pages.Render(c, status, "unsubscribe", v)
}
