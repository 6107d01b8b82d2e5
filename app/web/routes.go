package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/participation"
)

// mountAPI registers the JSON API under /api/v1.
func mountAPI(api fiber.Router, d Deps, limits *rateLimits) {
	admin := access.RequireRole(access.Admin)

	api.Post("/auth/register", limits.register, d.Accounts.APIRegister)
	api.Post("/auth/login", limits.login, d.Accounts.APILogin)
	api.Post("/auth/logout", d.Accounts.APILogout)
	api.Get("/me", d.Accounts.APIMe)
	api.Get("/live", d.Live)

	api.Get("/consultations", d.Consultations.APIList)
	api.Post("/consultations", admin, d.Consultations.APICreate)
	api.Get("/consultations/:slug", d.Consultations.APIGet)
	api.Patch("/consultations/:slug", admin, d.Consultations.APIUpdate)
	api.Post("/consultations/:slug/fields", admin, d.Consultations.APICreateField)
	api.Patch("/fields/:id", admin, d.Consultations.APIUpdateField)

	api.Get("/fields/:id/measures", d.Consultations.APIFieldMeasures)
	api.Post("/fields/:id/measures", d.Consultations.APICreateMeasure)
	api.Get("/measures/:id", noStore, d.Pages.Cached(participation.MeasurePageTopics, d.Consultations.APIMeasure))
	api.Patch("/measures/:id", d.Consultations.APIUpdateMeasure)

	p := d.Participation
	for path, kind := range map[string]participation.Kind{"measures": participation.KindMeasure, "ideas": participation.KindIdea} {
		api.Put("/"+path+"/:id/vote", limits.votes, p.APIVote(kind))
		api.Delete("/"+path+"/:id/vote", limits.votes, p.APIUnvote(kind))
		api.Get("/"+path+"/:id/comments", p.APIComments(kind))
		api.Post("/"+path+"/:id/comments", limits.comments, p.APIPostComment(kind))
	}
	api.Patch("/comments/:id", limits.comments, p.APIEditComment)
	api.Delete("/comments/:id", p.APIWithdrawComment)
	api.Get("/fields/:id/ideas", p.APIFieldIdeas)
	api.Post("/fields/:id/ideas", limits.ideas, p.APIPostIdea)
	api.Get("/ideas/:id", noStore, p.APIIdea)
	api.Patch("/ideas/:id", limits.ideas, p.APIEditIdea)
	api.Delete("/ideas/:id", p.APIWithdrawIdea)
	api.Post("/reports", limits.reports, p.APIReport)

	api.Post("/comments/:id/appeal", limits.comments, d.Moderation.APIAppeal("comment"))
	api.Post("/ideas/:id/appeal", limits.comments, d.Moderation.APIAppeal("idea"))

	moderator := access.RequireRole(access.Moderator)
	api.Get("/moderation/queue", moderator, d.Moderation.APIQueue)
	api.Post("/moderation/:kind/:id/decision", moderator, d.Moderation.APIDecide)
	api.Get("/moderation/log", moderator, d.Moderation.APILog)

	api.Get("/expert-groups/:id/inbox", d.Inbox.APIInbox)
	api.Get("/expert-groups/:id/export", d.Export.APIGroupExport)
	api.Get("/consultations/:slug/export", admin, d.Export.APIConsultationExport)
	api.Post("/expert-groups/:id/inbox/:kind/:item/triage", d.Inbox.APITriage)

	api.Get("/me/export", access.RequireSignedIn, d.Privacy.APIExport)
	api.Delete("/me", access.RequireSignedIn, d.Privacy.APIErase)

	api.Get("/expert-groups", d.Experts.APIList)
	api.Post("/expert-groups", admin, d.Experts.APICreate)
	api.Patch("/expert-groups/:id", admin, d.Experts.APIUpdate)
}

// mountPages registers the server-rendered pages and their form posts.
func mountPages(app *fiber.App, d Deps, limits *rateLimits) {
	app.Get("/", d.Consultations.HomePage)
	app.Get("/c/:slug", d.Pages.Cached(consultations.PageTopics, d.Consultations.ConsultationPage))

	p := d.Participation
	app.Get("/f/:id", p.FieldPage)
	app.Post("/f/:id/ideas", limits.ideas, p.IdeaSubmit)
	app.Get("/m/:id", p.OwnPendingFirst(d.Pages.CachedPersonal(participation.MeasurePageTopics, p.MeasurePage)))
	app.Post("/m/:id/vote", limits.votes, p.VoteSubmit(participation.KindMeasure))
	app.Post("/m/:id/comments", limits.comments, p.CommentSubmit(participation.KindMeasure))
	app.Get("/i/:id", p.IdeaPage)
	app.Post("/i/:id/vote", limits.votes, p.VoteSubmit(participation.KindIdea))
	app.Post("/i/:id/comments", limits.comments, p.CommentSubmit(participation.KindIdea))
	app.Post("/reports", limits.reports, p.ReportSubmit)
	app.Get("/comments/:id/edit", p.EditCommentPage)
	app.Post("/comments/:id/edit", limits.comments, p.EditCommentSubmit)
	app.Post("/comments/:id/withdraw", p.WithdrawCommentSubmit)
	app.Get("/ideas/:id/edit", p.EditIdeaPage)
	app.Post("/ideas/:id/edit", limits.ideas, p.EditIdeaSubmit)
	app.Post("/ideas/:id/withdraw", p.WithdrawIdeaSubmit)
	app.Post("/comments/:id/appeal", limits.comments, d.Moderation.AppealSubmit("comment"))
	app.Post("/ideas/:id/appeal", limits.comments, d.Moderation.AppealSubmit("idea"))
	app.Get("/measures/:id/edit", d.Consultations.EditMeasurePage)
	app.Post("/measures/:id/edit", d.Consultations.EditMeasureSubmit)

	moderator := access.RequireRole(access.Moderator)
	app.Get("/moderation", moderator, d.Moderation.QueuePage)
	app.Post("/moderation/:kind/:id/decision", moderator, d.Moderation.DecideSubmit)
	app.Get("/moderation/log", moderator, d.Moderation.LogPage)

	app.Get("/experts/:id", d.Inbox.GroupPage)
	app.Get("/experts/:id/summary", d.Export.SummaryPage)
	app.Post("/experts/:id/inbox/:kind/:item/triage", d.Inbox.TriageSubmit)
	app.Post("/experts/:id/measures", d.Inbox.MeasureSubmit)

	app.Get("/me/delete", access.RequireSignedIn, d.Privacy.ErasePage)
	app.Post("/me/delete", access.RequireSignedIn, d.Privacy.EraseSubmit)

	app.Get("/login", d.Accounts.LoginPage)
	app.Post("/login", limits.login, d.Accounts.LoginSubmit)
	app.Get("/register", d.Accounts.RegisterPage)
	app.Post("/register", limits.register, d.Accounts.RegisterSubmit)
	app.Post("/logout", d.Accounts.LogoutSubmit)
	app.Get("/me", d.Accounts.MePage)

	app.Get("/barrierefreiheit", d.Accessibility.StatementPage)
	app.Post("/barrierefreiheit", limits.register, d.Accessibility.ReportSubmit)
	admin := access.RequireRole(access.Admin)
	app.Get("/admin/barriers", admin, d.Accessibility.ReportsPage)
	app.Post("/admin/barriers/:id/resolve", admin, d.Accessibility.ResolveSubmit)
}
