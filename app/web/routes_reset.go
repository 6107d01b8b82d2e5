package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
)

// mountPasswordReset registers the ways in besides a password: reset by
// mail, asking for a link (limited per client address and per e-mail
// address) and setting the new password with it (limited like sign-in: it
// checks a credential); links that confirm an address; participation codes.
func mountPasswordReset(app *fiber.App, d Deps, limits *rateLimits) {
	a := d.Accounts
	api, pages := audiencesOf(app.Group("/api/v1")), audiencesOf(app)
	api.self.Post("/auth/password-reset", limits.resetByAddress, limits.resetByEmail, jsonapi.Body(a.APIPasswordReset))
	api.self.Post("/auth/password-reset/confirm", limits.login, jsonapi.Body(a.APIPasswordResetConfirm))
	// An invitation's link sets the first password and signs in.
	api.self.Post("/auth/invitation", limits.login, jsonapi.Body(a.APIAcceptInvitation))

	pages.public.Get("/password-reset", a.PasswordResetPage)
	pages.self.Post("/password-reset", limits.resetByAddress, limits.resetByEmail, a.PasswordResetSubmit)
	pages.self.Post("/password-reset/confirm", limits.login, a.PasswordResetConfirmSubmit)

	// Confirming an address: the link's token is the authority.
	api.self.Post("/auth/verify", limits.login, jsonapi.Body(a.APIVerify))
	api.self.Post("/auth/verify/resend", access.RequireSignedIn, limits.login, a.APIResendVerification)
	pages.public.Get("/verify", a.VerifyPage)
	pages.self.Post("/verify", limits.login, a.VerifySubmit)
	pages.self.Post("/me/verify/resend", access.RequireSignedIn, limits.login, a.ResendVerificationSubmit)

	// A participation code is a credential: guessing is limited like sign-in.
	api.self.Post("/auth/code", limits.login, jsonapi.Body(a.APICodeSignIn))
	pages.public.Get("/code", a.CodePage)
	pages.self.Post("/code", limits.login, a.CodeSubmit)
}
