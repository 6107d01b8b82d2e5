package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/admin"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/legal"
	"github.com/mitreden/mitreden/app/screening"
)

// AdminDeps are the handlers the administration adds: its pages, and the
// API of the screening lists, the legal texts and the audit log. Accounts
// and expert groups serve their own endpoints (Deps.Accounts, Deps.Experts).
type AdminDeps struct {
	Pages     *admin.Handlers
	Screening *screening.Handlers
	Legal     *legal.Handlers
	Audit     *audit.Handlers
}

// mountAdmin registers what an administration runs mitreden with: account
// and role management, blocks, expert-group members, screening lists,
// legal texts and the audit log, as API endpoints and as /admin pages;
// and the password change every account has.
func mountAdmin(app *fiber.App, d Deps, limits *rateLimits) {
	isAdmin := access.RequireRole(access.Admin)
	canModerate := access.RequireRole(access.Moderator)
	a := d.Admin

	api := app.Group("/api/v1")
	// A password change checks the current password: limit guessing like sign-in.
	api.Post("/me/password", limits.login, d.Accounts.APIChangePassword)
	api.Get("/users", isAdmin, d.Accounts.APIListUsers)
	api.Patch("/users/:id", isAdmin, d.Accounts.APIUpdateUser)
	api.Post("/users/:id/block", canModerate, d.Accounts.APIBlock)
	api.Delete("/users/:id/block", canModerate, d.Accounts.APIUnblock)
	api.Get("/moderation/blocks", canModerate, d.Accounts.APIBlocks)
	api.Put("/expert-groups/:id/members/:user_id", isAdmin, d.Experts.APIAddMember)
	api.Delete("/expert-groups/:id/members/:user_id", isAdmin, d.Experts.APIRemoveMember)
	api.Get("/moderation/screening/:lang", isAdmin, a.Screening.APIScreening)
	api.Put("/moderation/screening/:lang", isAdmin, a.Screening.APISetScreening)
	api.Get("/legal/:key", a.Legal.APIGet)
	api.Put("/legal/:key", isAdmin, a.Legal.APIPut)
	api.Get("/audit-log", isAdmin, a.Audit.APIList)

	app.Post("/me/password", limits.login, d.Accounts.PasswordSubmit)
	for _, p := range legal.Pages {
		app.Get("/"+p.Key, a.Legal.Page(p.Key))
	}

	p := a.Pages
	app.Get("/admin", isAdmin, p.Index)
	app.Get("/admin/consultations/new", isAdmin, p.NewConsultationPage)
	app.Post("/admin/consultations", isAdmin, p.CreateConsultation)
	app.Get("/admin/consultations/:slug", isAdmin, p.ConsultationPage)
	app.Post("/admin/consultations/:slug", isAdmin, p.UpdateConsultation)
	app.Get("/admin/consultations/:slug/fields/new", isAdmin, p.NewFieldPage)
	app.Post("/admin/consultations/:slug/fields", isAdmin, p.CreateField)
	app.Get("/admin/fields/:id", isAdmin, p.FieldPage)
	app.Post("/admin/fields/:id", isAdmin, p.UpdateField)
	app.Get("/admin/groups/new", isAdmin, p.NewGroupPage)
	app.Post("/admin/groups", isAdmin, p.CreateGroup)
	app.Get("/admin/groups/:id", isAdmin, p.GroupPage)
	app.Post("/admin/groups/:id", isAdmin, p.UpdateGroup)
	app.Post("/admin/groups/:id/members", isAdmin, p.AddMember)
	app.Post("/admin/groups/:id/members/:user_id/remove", isAdmin, p.RemoveMember)
	app.Get("/admin/users", isAdmin, p.UsersPage)
	app.Get("/admin/users/:id", isAdmin, p.UserPage)
	app.Post("/admin/users/:id", isAdmin, p.UpdateUser)
	app.Post("/admin/users/:id/block", isAdmin, p.BlockUser)
	app.Post("/admin/users/:id/unblock", isAdmin, p.UnblockUser)
	app.Get("/admin/screening", isAdmin, p.ScreeningPage)
	app.Post("/admin/screening/:lang", isAdmin, p.SetScreening)
	app.Get("/admin/legal/:key", isAdmin, p.LegalPage)
	app.Post("/admin/legal/:key", isAdmin, p.SetLegal)
	app.Get("/admin/audit", isAdmin, p.AuditPage)
}
