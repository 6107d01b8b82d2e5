package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// mountSecurity registers two-factor sign-in and the sessions list: for
// everyone on their own account, and for administrators the way back for
// someone who lost their device and recovery codes.
func mountSecurity(app *fiber.App, d Deps, limits *rateLimits) {
	isAdmin := access.RequireRole(access.Admin)
	a := d.Accounts

	api := app.Group("/api/v1")
	// Each of these checks a password or a code: limit guessing like sign-in.
	api.Post("/auth/login/2fa", limits.login, a.APILoginTwoFactor)
	api.Post("/me/2fa", limits.login, a.APIBeginTwoFactor)
	api.Post("/me/2fa/confirm", limits.login, a.APIConfirmTwoFactor)
	api.Delete("/me/2fa", limits.login, a.APIDisableTwoFactor)
	api.Get("/me/sessions", a.APISessions)
	api.Delete("/me/sessions/:id", a.APIEndSession)
	api.Delete("/users/:id/2fa", isAdmin, a.APIResetTwoFactor)
	api.Delete("/users/:id/sessions", isAdmin, a.APIEndUserSessions)

	app.Post("/login/2fa", limits.login, a.LoginTwoFactorSubmit)
	app.Post("/me/2fa", limits.login, a.BeginTwoFactorSubmit)
	app.Post("/me/2fa/confirm", limits.login, a.ConfirmTwoFactorSubmit)
	app.Post("/me/2fa/disable", limits.login, a.DisableTwoFactorSubmit)
	app.Post("/me/sessions/end-others", a.EndOtherSessionsSubmit)
	app.Post("/me/sessions/:id/end", a.EndSessionSubmit)
	app.Post("/admin/users/:id/2fa/reset", isAdmin, a.ResetTwoFactorSubmit)
	app.Post("/admin/users/:id/sessions/end", isAdmin, a.EndUserSessionsSubmit)
}
