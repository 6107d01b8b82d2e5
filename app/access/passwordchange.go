package access

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

// passwordChangePage is where pages lead an account that must first set
// its own password: /me, with the password form.
const passwordChangePage = "/me"

// HoldForPasswordChange lets an account still on a generated one-time
// password do nothing but set its own and sign out: the one place this is
// enforced. The API answers 403 with code password_change_required; pages
// lead to the password form on /me, GET and form posts alike. It runs
// before every route, so no kept page (pages.CachedPersonal) is served
// instead.
func HoldForPasswordChange(c *fiber.Ctx) error {
	if !From(c).MustChangePassword {
		return c.Next()
	}
	path, method := c.Path(), c.Method()
	if strings.HasPrefix(path, "/api/") {
		if method == fiber.MethodPost && (path == "/api/v1/me/password" || path == "/api/v1/auth/logout") {
			return c.Next()
		}
		return problem.Refused(problem.CodePasswordChangeRequired, "error.password_change_required")
	}
	switch method {
	case fiber.MethodGet, fiber.MethodHead:
		if path == passwordChangePage {
			return c.Next()
		}
	case fiber.MethodPost:
		if path == "/me/password" || path == "/logout" {
			return c.Next()
		}
	}
	return c.Redirect(passwordChangePage, fiber.StatusSeeOther)
}
