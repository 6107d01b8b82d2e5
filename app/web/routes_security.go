package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
)

// mountSecurity registers two-factor sign-in and the sessions list: for
// everyone on their own account, and for administrators the way back for
// someone who lost their device and recovery codes.
func mountSecurity(app *fiber.App, d Deps, limits *rateLimits) {
	a := d.Accounts
	api, pages := audiencesOf(app.Group("/api/v1")), audiencesOf(app)
	// Each of these checks a password or a code: limit guessing like sign-in.
	// A change to one's own account refuses anyone signed out before it
	// reads the body.
	api.self.Post("/auth/login/2fa", limits.login, jsonapi.Body(a.APILoginTwoFactor))
	api.self.Post("/me/2fa", limits.login, access.RequireSignedIn, jsonapi.Body(a.APIBeginTwoFactor))
	api.self.Post("/me/2fa/confirm", limits.login, access.RequireSignedIn, jsonapi.Body(a.APIConfirmTwoFactor))
	api.self.Delete("/me/2fa", limits.login, access.RequireSignedIn, jsonapi.Body(a.APIDisableTwoFactor))
	api.self.Get("/me/sessions", a.APISessions)
	api.self.Delete("/me/sessions/:id", a.APIEndSession)
	api.admins.Delete("/users/:id/2fa", a.APIResetTwoFactor)
	api.admins.Delete("/users/:id/sessions", a.APIEndUserSessions)

	pages.self.Post("/login/2fa", limits.login, a.LoginTwoFactorSubmit)
	pages.self.Post("/me/2fa", limits.login, a.BeginTwoFactorSubmit)
	pages.self.Post("/me/2fa/confirm", limits.login, a.ConfirmTwoFactorSubmit)
	pages.self.Post("/me/2fa/disable", limits.login, a.DisableTwoFactorSubmit)
	pages.self.Post("/me/sessions/end-others", a.EndOtherSessionsSubmit)
	pages.self.Post("/me/sessions/:id/end", a.EndSessionSubmit)
	pages.admins.Post("/admin/users/:id/2fa/reset", a.ResetTwoFactorSubmit)
	pages.admins.Post("/admin/users/:id/sessions/end", a.EndUserSessionsSubmit)
}
