package accounts

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
)

// Handlers serve the account endpoints and pages.
type Handlers struct {
	svc   *Service
	pages *pages.Renderer
	opts  HandlerOptions
}

// HandlerOptions are what the account handlers take from the
// configuration and from other domains.
type HandlerOptions struct {
	// MeExtras adds what other domains show on /me (contributions); it
	// receives the page number of ?page=. It may be nil.
	MeExtras func(ctx context.Context, userID int64, page int) (any, error)
	// ThrottleSignIns turns the per-account sign-in throttle on (with the
	// rate limits).
	ThrottleSignIns bool
	// BehindTLS: people reach mitreden over https (MITREDEN_PUBLIC_URL).
	BehindTLS bool
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *pages.Renderer, o HandlerOptions) *Handlers {
	return &Handlers{svc: svc, pages: r, opts: o}
}

// UserJSON is how a person appears to others: {id,display_name,role}.
type UserJSON struct {
	ID            int64       `json:"id"`
	DisplayName   string      `json:"display_name"`
	Role          access.Role `json:"role"`
	EmailVerified bool        `json:"email_verified"`
}

type sessionJSON struct {
	User      UserJSON `json:"user"`
	Token     string   `json:"token"`
	CSRFToken string   `json:"csrf_token"`
}

type registerBody struct {
	Email          string `json:"email"`
	Password       string `json:"password"`
	DisplayName    string `json:"display_name"`
	Locale         string `json:"locale"`
	PrivacyConsent bool   `json:"privacy_consent"`
}

// APIRegister is POST /api/v1/auth/register.
func (h *Handlers) APIRegister(c *fiber.Ctx, b *registerBody) error {
	in := NewAccount{Email: b.Email, Password: b.Password, DisplayName: b.DisplayName, Locale: b.Locale, PrivacyConsent: b.PrivacyConsent}
	if err := h.checkRegistration(c, in, "privacy_consent"); err != nil {
		return err
	}
	u, s, err := h.svc.Register(c.UserContext(), in, h.clientOf(c))
	if err != nil {
		return err
	}
	h.setDeviceCookie(c, u.ID)
	return h.answerSession(c, fiber.StatusCreated, u, s)
}

// answerSession hands a new session to the client: the cookie for
// browsers, the token in the body for API clients, kept out of caches.
func (h *Handlers) answerSession(c *fiber.Ctx, status int, u *User, s *Session) error {
	h.setSessionCookie(c, s)
	noStore(c)
	return c.Status(status).JSON(sessionJSON{User: userJSON(u), Token: s.Token, CSRFToken: s.CSRFToken})
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// APILogin is POST /api/v1/auth/login.
func (h *Handlers) APILogin(c *fiber.Ctx, b *loginBody) error {
	u, s, err := h.signIn(c, b.Email, b.Password)
	if err != nil {
		return err
	}
	if s.Challenge != "" {
		return apiChallenge(c, s)
	}
	return h.answerSession(c, fiber.StatusOK, u, s)
}

// APILogout is POST /api/v1/auth/logout.
func (h *Handlers) APILogout(c *fiber.Ctx) error {
	v := access.From(c)
	if !v.SignedIn() {
		return problem.Unauthorized()
	}
	if err := h.svc.EndSession(c.UserContext(), v.SessionID); err != nil {
		return err
	}
	securitylog.Event(c, securitylog.Logout)
	h.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type meJSON struct {
	ID          int64       `json:"id"`
	Email       string      `json:"email"`
	DisplayName string      `json:"display_name"`
	Role        access.Role `json:"role"`
	Locale      string      `json:"locale"`
	Groups      []int64     `json:"groups"`
	TwoFactor   bool        `json:"two_factor"`
	// EmailVerified is whether the address is confirmed (always, for an
	// account without one).
	EmailVerified bool `json:"email_verified"`
}

// APIMe is GET /api/v1/me.
func (h *Handlers) APIMe(c *fiber.Ctx) error {
	v, u, err := h.ownAccount(c)
	if err != nil {
		return err
	}
	return c.JSON(meOut(u, v.Groups))
}

// ownAccount is the signed-in person and their account, which /me shows
// in the API and as a page; 401 for anyone signed out.
func (h *Handlers) ownAccount(c *fiber.Ctx) (*access.Viewer, *User, error) {
	v := access.From(c)
	if !v.SignedIn() {
		return nil, nil, problem.Unauthorized()
	}
	u, err := h.svc.ByID(c.UserContext(), v.UserID)
	return v, u, err
}

func meOut(u *User, groups []int64) meJSON {
	if groups == nil {
		groups = []int64{}
	}
	return meJSON{ID: u.ID, Email: u.EmailAddress(), DisplayName: u.DisplayName, Role: u.Role, Locale: u.Locale, Groups: groups, TwoFactor: u.TwoFactorAt != nil, EmailVerified: u.Verified()}
}

// APIChangeMe is PATCH /api/v1/me {display_name?, locale?}.
func (h *Handlers) APIChangeMe(c *fiber.Ctx, in *OwnChange) error {
	v := access.From(c)
	u, err := h.svc.ChangeOwn(c.UserContext(), v, *in)
	if err != nil {
		return err
	}
	return c.JSON(meOut(u, v.Groups))
}

type emailBody struct {
	Email           string `json:"email"`
	CurrentPassword string `json:"current_password"`
}

// APIChangeEmail is POST /api/v1/me/email {email, current_password}: 202,
// a link goes to the new address.
func (h *Handlers) APIChangeEmail(c *fiber.Ctx, b *emailBody) error {
	if err := h.svc.ChangeEmail(c.UserContext(), access.From(c), b.Email, b.CurrentPassword); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}

func userJSON(u *User) UserJSON {
	return UserJSON{ID: u.ID, DisplayName: u.DisplayName, Role: u.Role, EmailVerified: u.Verified()}
}

// LoginPage is GET /login.
func (h *Handlers) LoginPage(c *fiber.Ctx) error {
	if access.From(c).SignedIn() {
		return pages.Redirect(c, "/me")
	}
	v := h.pages.NewView(c, locale.From(c).T("login.title"))
	v.Form = map[string]string{"next": pages.SafeNext(c.Query("next"), "")}
	return h.pages.Render(c, fiber.StatusOK, "login", v)
}

// LoginSubmit is POST /login.
func (h *Handlers) LoginSubmit(c *fiber.Ctx) error {
	form := formOf(c, "email", "next")
	form["next"] = pages.SafeNext(form["next"], "")
	_, s, err := h.signIn(c, form["email"], c.FormValue("password"))
	if err != nil {
		return h.formRefused(c, err, "login", "login.title", form, nil)
	}
	if s.Challenge != "" {
		return h.renderChallenge(c, fiber.StatusOK, s.Challenge, form["next"], nil)
	}
	h.setSessionCookie(c, s)
	pages.Flash(c, "ok", "flash.signed_in")
	return pages.Redirect(c, pages.SafeNext(form["next"], "/"))
}

// RegisterPage is GET /register.
func (h *Handlers) RegisterPage(c *fiber.Ctx) error {
	if access.From(c).SignedIn() {
		return pages.Redirect(c, "/me")
	}
	v := h.pages.NewView(c, locale.From(c).T("register.title"))
	// "Sign in to vote" → "Register" keeps the way back to the page.
	v.Form = map[string]string{"next": pages.SafeNext(strings.Clone(c.Query("next")), "")}
	return h.pages.Render(c, fiber.StatusOK, "register", v)
}

// RegisterSubmit is POST /register.
func (h *Handlers) RegisterSubmit(c *fiber.Ctx) error {
	form := formOf(c, "email", "display_name", "consent", "next")
	form["next"] = pages.SafeNext(form["next"], "")
	in := NewAccount{
		Email: form["email"], Password: c.FormValue("password"), DisplayName: form["display_name"],
		Locale: locale.From(c).Lang.Code, PrivacyConsent: form["consent"] == "yes",
	}
	err := h.checkRegistration(c, in, "consent")
	if err == nil {
		var (
			u *User
			s *Session
		)
		if u, s, err = h.svc.Register(c.UserContext(), in, h.clientOf(c)); err == nil {
			h.setSessionCookie(c, s)
			h.setDeviceCookie(c, u.ID)
			pages.Flash(c, "ok", "flash.registered")
			return pages.Redirect(c, pages.SafeNext(form["next"], "/"))
		}
	}
	return h.formRefused(c, err, "register", "register.title", form, nil)
}

// formOf reads the named inputs of a posted form, copied out of the
// request (Fiber reuses its memory afterwards): what a refused form
// shows again.
func formOf(c *fiber.Ctx, names ...string) map[string]string {
	form := make(map[string]string, len(names))
	for _, name := range names {
		form[name] = strings.Clone(c.FormValue(name))
	}
	return form
}

// formRefused shows a sign-in or registration form again after err: what
// the person typed, the errors beside their fields (inputs names a form
// input for a service's field name where they differ), and Retry-After
// when a limit was reached. An error that is not the person's to fix goes
// to the error page.
func (h *Handlers) formRefused(c *fiber.Ctx, err error, page, titleKey string, form, inputs map[string]string) error {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= fiber.StatusInternalServerError {
		return err
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(p.RetryAfter.Seconds()))))
	}
	v := h.pages.NewView(c, locale.From(c).T(titleKey))
	v.SetFormErrors(onInputs(p, inputs), form)
	return h.pages.Render(c, p.Status, page, v)
}

// onInputs is p with its errors moved to the form inputs named by inputs
// (a service's field name → the input's name); p itself stays as it is.
func onInputs(p *problem.Problem, inputs map[string]string) *problem.Problem {
	shown := *p
	shown.Errors = make([]problem.FieldError, len(p.Errors))
	for i, fe := range p.Errors {
		if input, ok := inputs[fe.Field]; ok {
			fe.Field = input
		}
		shown.Errors[i] = fe
	}
	return &shown
}

// checkRegistration answers every mistake of a registration at once: the
// fields, and the consent to the privacy notice, which the API asks for
// as privacy_consent and the form as consent.
func (h *Handlers) checkRegistration(c *fiber.Ctx, in NewAccount, consentField string) error {
	var errs []problem.FieldError
	err := h.svc.Check(c.UserContext(), in)
	var p *problem.Problem
	switch {
	case errors.As(err, &p) && p.Status == fiber.StatusUnprocessableEntity:
		errs = p.Errors
	case err != nil:
		return err
	}
	if !in.PrivacyConsent {
		errs = append(errs, problem.Field(consentField, "error.consent_required"))
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	return nil
}

// LogoutSubmit is POST /logout.
func (h *Handlers) LogoutSubmit(c *fiber.Ctx) error {
	if v := access.From(c); v.SignedIn() {
		if err := h.svc.EndSession(c.UserContext(), v.SessionID); err != nil {
			return err
		}
		securitylog.Event(c, securitylog.Logout)
	}
	h.clearSessionCookie(c)
	pages.Flash(c, "ok", "flash.signed_out")
	return pages.Redirect(c, "/")
}

// MeData is what /me shows.
type MeData struct {
	User   *User
	Extras any
	// Security is the second factor and the sessions.
	Security *Security
}

// MePage is GET /me.
func (h *Handlers) MePage(c *fiber.Ctx) error { return h.renderMe(c, fiber.StatusOK, nil) }
