package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/admin"
	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/legal"
	"github.com/mitreden/mitreden/app/screening"
	"github.com/mitreden/mitreden/app/site"
)

// AdminDeps are the handlers the administration adds: its pages, and the
// API of the screening lists, the legal texts and the audit log. Accounts
// and expert groups serve their own endpoints (Deps.Accounts, Deps.Experts).
type AdminDeps struct {
	Pages     *admin.Handlers
	Screening *screening.Handlers
	Legal     *legal.Handlers
	Audit     *audit.Handlers
	Site      *site.Handlers
}

// mountAdmin registers what an administration runs mitreden with: account
// and role management, blocks, expert-group members, screening lists,
// legal texts and the audit log, as API endpoints and as /admin pages;
// and the password change every account has.
func mountAdmin(app *fiber.App, d Deps, limits *rateLimits) {
	a := d.Admin
	api, pages := audiencesOf(app.Group("/api/v1")), audiencesOf(app)
	// A password change checks the current password: limit guessing like
	// sign-in. Anyone signed out is refused before the body is read.
	api.self.Post("/me/password", limits.login, access.RequireSignedIn, jsonapi.Body(d.Accounts.APIChangePassword))
	api.admins.Post("/consultations/:slug/codes", jsonapi.Body(d.Accounts.APICreateCodes))
	api.admins.Get("/consultations/:slug/codes", d.Accounts.APICodeBatches)
	api.admins.Delete("/code-batches/:id", d.Accounts.APIVoidBatch)
	api.admins.Get("/users", d.Accounts.APIListUsers)
	api.admins.Post("/users", jsonapi.Body(d.Accounts.APIInvite))
	api.admins.Patch("/users/:id", d.Accounts.APIUpdateUser)
	api.moderators.Post("/users/:id/block", d.Accounts.APIBlock)
	api.moderators.Delete("/users/:id/block", d.Accounts.APIUnblock)
	api.moderators.Get("/moderation/blocks", d.Accounts.APIBlocks)
	api.admins.Put("/expert-groups/:id/members/:user_id", d.Experts.APIAddMember)
	api.admins.Delete("/expert-groups/:id/members/:user_id", d.Experts.APIRemoveMember)
	api.admins.Get("/moderation/screening/:lang", a.Screening.APIScreening)
	api.admins.Put("/moderation/screening/:lang", a.Screening.APISetScreening)
	api.public.Get("/legal/:key", a.Legal.APIGet)
	api.admins.Put("/legal/:key", a.Legal.APIPut)
	api.admins.Get("/audit-log", a.Audit.APIList)
	api.public.Get("/site", a.Site.APIGet)
	api.admins.Put("/site", jsonapi.Body(a.Site.APIPut))
	api.admins.Put("/site/logo", a.Site.APIPutLogo)
	api.admins.Delete("/site/logo", a.Site.APIDeleteLogo)

	pages.self.Post("/me/password", limits.login, d.Accounts.PasswordSubmit)
	pages.public.Get("/site/logo", a.Site.Logo)
	pages.public.Get("/site/theme.css", a.Site.Theme)
	for _, p := range legal.Pages {
		pages.public.Get("/"+p.Key, a.Legal.Page(p.Key))
	}

	p := a.Pages
	pages.admins.Get("/admin", p.Index)
	pages.admins.Get("/admin/consultations/new", p.NewConsultationPage)
	pages.admins.Post("/admin/consultations", p.CreateConsultation)
	pages.admins.Get("/admin/consultations/:slug", p.ConsultationPage)
	pages.admins.Post("/admin/consultations/:slug", p.UpdateConsultation)
	pages.admins.Get("/admin/consultations/:slug/codes", p.CodesPage)
	pages.admins.Post("/admin/consultations/:slug/codes", p.CreateCodes)
	pages.admins.Get("/admin/consultations/:slug/codes/:batch", p.CardsPage)
	pages.admins.Post("/admin/consultations/:slug/codes/:batch/void", p.VoidCodes)
	pages.admins.Get("/admin/consultations/:slug/fields/new", p.NewFieldPage)
	pages.admins.Post("/admin/consultations/:slug/fields", p.CreateField)
	pages.admins.Get("/admin/fields/:id", p.FieldPage)
	pages.admins.Post("/admin/fields/:id", p.UpdateField)
	pages.admins.Get("/admin/groups/new", p.NewGroupPage)
	pages.admins.Post("/admin/groups", p.CreateGroup)
	pages.admins.Get("/admin/groups/:id", p.GroupPage)
	pages.admins.Post("/admin/groups/:id", p.UpdateGroup)
	pages.admins.Post("/admin/groups/:id/fields", p.SetGroupFields)
	pages.admins.Post("/admin/groups/:id/members", p.AddMember)
	pages.admins.Post("/admin/groups/:id/members/:user_id/remove", p.RemoveMember)
	pages.admins.Get("/admin/users", p.UsersPage)
	pages.admins.Post("/admin/users/invite", p.InviteSubmit)
	pages.admins.Get("/admin/users/:id", p.UserPage)
	pages.admins.Post("/admin/users/:id", p.UpdateUser)
	pages.admins.Post("/admin/users/:id/block", p.BlockUser)
	pages.admins.Post("/admin/users/:id/unblock", p.UnblockUser)
	pages.admins.Get("/admin/screening", p.ScreeningPage)
	pages.admins.Post("/admin/screening/:lang", p.SetScreening)
	pages.admins.Get("/admin/legal/:key", p.LegalPage)
	pages.admins.Post("/admin/legal/:key", p.SetLegal)
	pages.admins.Get("/admin/audit", p.AuditPage)
	pages.admins.Get("/admin/translations", p.TranslationsPage)
	pages.admins.Get("/admin/site", p.SitePage)
	pages.admins.Post("/admin/site", p.SetSite)
	pages.admins.Post(site.FormLogoPath, p.SetLogo)
	pages.admins.Post("/admin/site/logo/remove", p.RemoveLogo)
}
