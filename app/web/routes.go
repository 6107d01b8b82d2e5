package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/openapi"
	"github.com/mitreden/mitreden/app/participation"
)

// mountAPI registers the JSON API under /api/v1.
func mountAPI(api fiber.Router, d Deps, limits *rateLimits) {
	r := audiencesOf(api)
	// What this API is, for clients and their generators.
	r.public.Get("/openapi.json", openapi.Serve)

	r.self.Post("/auth/register", limits.register, jsonapi.Body(d.Accounts.APIRegister))
	r.self.Post("/auth/login", limits.login, jsonapi.Body(d.Accounts.APILogin))
	r.self.Post("/auth/logout", d.Accounts.APILogout)
	r.self.Get("/me", d.Accounts.APIMe)
	r.self.Patch("/me", access.RequireSignedIn, jsonapi.Body(d.Accounts.APIChangeMe))
	r.self.Post("/me/email", access.RequireSignedIn, limits.login, jsonapi.Body(d.Accounts.APIChangeEmail))
	// Private topics are refused by the socket (close 4403), see app/live.
	r.public.Get("/live", d.Live)

	r.public.Get("/consultations", d.Consultations.APIList)
	r.admins.Post("/consultations", d.Consultations.APICreate)
	r.public.Get("/consultations/:slug", d.Consultations.APIGet)
	r.public.Get("/consultations/:slug/progress", d.Pages.Cached(consultations.PageTopics, d.Consultations.APIProgress))
	r.admins.Patch("/consultations/:slug", d.Consultations.APIUpdate)
	r.admins.Post("/consultations/:slug/fields", d.Consultations.APICreateField)
	r.admins.Patch("/fields/:id", d.Consultations.APIUpdateField())

	r.public.Get("/fields/:id/measures", d.Consultations.APIFieldMeasures)
	r.experts.Post("/fields/:id/measures", d.Consultations.APICreateMeasure)
	r.public.Get("/measures/:id", noStore, d.Pages.Cached(participation.ItemTopics(participation.KindMeasure), d.Consultations.APIMeasure))
	r.experts.Patch("/measures/:id", d.Consultations.APIUpdateMeasure)
	r.experts.Put("/measures/:id/milestones", d.Consultations.APIMilestones)
	r.experts.Put("/measures/:id/documents", d.Consultations.APIDocuments)
	r.experts.Put("/measures/:id/ideas/:idea_id", d.Consultations.APITakeUpIdea)
	r.experts.Delete("/measures/:id/ideas/:idea_id", d.Consultations.APIDropIdea)

	p := d.Participation
	for path, kind := range map[string]participation.Kind{"measures": participation.KindMeasure, "ideas": participation.KindIdea} {
		r.participants.Put("/"+path+"/:id/vote", limits.votes, p.APIVote(kind))
		r.participants.Delete("/"+path+"/:id/vote", limits.votes, p.APIUnvote(kind))
		r.participants.Put("/"+path+"/:id/follow", limits.votes, p.APIFollow(kind, true))
		r.participants.Delete("/"+path+"/:id/follow", limits.votes, p.APIFollow(kind, false))
		// Every reader gets an item's comments from the page cache, kept
		// by the item's topic: the list is the same for everyone who may
		// read it (see docs/performance.md, "PostgreSQL comment list").
		r.public.Get("/"+path+"/:id/comments", d.Pages.CachedShared(participation.ItemTopics(kind), p.APIComments(kind)))
		r.participants.Post("/"+path+"/:id/comments", limits.comments, p.APIPostComment(kind))
	}
	r.self.Get("/me/notification-settings", access.RequireSignedIn, d.Notifications.APISettings)
	r.self.Put("/me/notification-settings", access.RequireSignedIn, d.Notifications.APIChangeSettings)
	r.self.Get("/me/notifications", access.RequireSignedIn, d.Notifications.APIList)
	r.self.Post("/me/notifications/read", access.RequireSignedIn, d.Notifications.APIMarkRead)
	r.participants.Patch("/comments/:id", limits.comments, p.APIEditComment())
	r.participants.Delete("/comments/:id", p.APIWithdrawComment)
	r.public.Get("/fields/:id/ideas", p.APIFieldIdeas)
	r.participants.Post("/fields/:id/ideas", limits.ideas, p.APIPostIdea)
	r.public.Get("/ideas/:id", noStore, p.APIIdea)
	r.participants.Patch("/ideas/:id", limits.ideas, p.APIEditIdea())
	r.participants.Delete("/ideas/:id", p.APIWithdrawIdea)
	r.participants.Post("/reports", limits.reports, p.APIReport)

	r.self.Post("/comments/:id/appeal", limits.comments, d.Moderation.APIAppeal("comment"))
	r.self.Post("/ideas/:id/appeal", limits.comments, d.Moderation.APIAppeal("idea"))

	r.moderators.Get("/moderation/queue", d.Moderation.APIQueue)
	r.moderators.Post("/moderation/:kind/:id/decision", d.Moderation.APIDecide())
	r.moderators.Post("/moderation/idea/:id/move", d.Moderation.APIMove())
	r.moderators.Get("/moderation/log", d.Moderation.APILog)

	r.experts.Get("/expert-groups/:id/inbox", d.Inbox.APIInbox)
	r.experts.Get("/expert-groups/:id/export", d.Export.APIGroupExport)
	r.admins.Get("/consultations/:slug/export", d.Export.APIConsultationExport)
	r.experts.Post("/expert-groups/:id/inbox/:kind/:item/triage", d.Inbox.APITriage)

	r.self.Get("/me/export", access.RequireSignedIn, d.Privacy.APIExport)
	r.self.Delete("/me", access.RequireSignedIn, d.Privacy.APIErase)

	r.public.Get("/expert-groups", d.Experts.APIList)
	r.admins.Post("/expert-groups", d.Experts.APICreate)
	r.admins.Patch("/expert-groups/:id", d.Experts.APIUpdate())
}

// mountPages registers the server-rendered pages and their form posts.
func mountPages(app *fiber.App, d Deps, limits *rateLimits) {
	r := audiencesOf(app)
	r.public.Get("/", d.Consultations.HomePage)
	r.public.Get("/c/:slug", d.Pages.Cached(consultations.PageTopics, d.Consultations.ConsultationPage))
	r.public.Get("/c/:slug/progress", d.Pages.Cached(consultations.PageTopics, d.Consultations.ProgressPage))

	p := d.Participation
	r.public.Get("/f/:id", p.FieldPage)
	r.public.Get("/f/:id/ideas/:idea", p.IdeaCard)
	r.participants.Post("/f/:id/ideas", limits.ideas, p.IdeaSubmit)
	r.public.Get("/m/:id", p.OwnPendingFirst(d.Pages.CachedPersonal(participation.ItemTopics(participation.KindMeasure), p.MeasurePage)))
	r.participants.Post("/m/:id/vote", limits.votes, p.VoteSubmit(participation.KindMeasure))
	r.participants.Post("/m/:id/comments", limits.comments, p.CommentSubmit(participation.KindMeasure))
	r.public.Get("/m/:id/comments/:comment", p.CommentFragment(participation.KindMeasure))
	r.public.Get("/i/:id", p.IdeaPage)
	r.participants.Post("/i/:id/vote", limits.votes, p.VoteSubmit(participation.KindIdea))
	r.participants.Post("/i/:id/comments", limits.comments, p.CommentSubmit(participation.KindIdea))
	r.public.Get("/i/:id/comments/:comment", p.CommentFragment(participation.KindIdea))
	r.participants.Post("/m/:id/follow", limits.votes, p.FollowSubmit(participation.KindMeasure))
	r.participants.Post("/i/:id/follow", limits.votes, p.FollowSubmit(participation.KindIdea))
	r.self.Get("/me/notification-settings", access.RequireSignedIn, d.Notifications.SettingsPage)
	r.self.Post("/me/notification-settings", access.RequireSignedIn, d.Notifications.SettingsSubmit)
	r.self.Get("/me/notifications", access.RequireSignedIn, d.Notifications.ListPage)
	r.self.Get("/unsubscribe", d.Notifications.UnsubscribePage)
	r.self.Post("/unsubscribe", d.Notifications.UnsubscribeSubmit)
	r.self.Post("/me/notifications/read", access.RequireSignedIn, d.Notifications.MarkReadSubmit)
	r.participants.Post("/reports", limits.reports, p.ReportSubmit)
	// An author's edit forms; their posts are refused while blocked.
	r.participants.Get("/comments/:id/edit", p.EditCommentPage)
	r.participants.Post("/comments/:id/edit", limits.comments, p.EditCommentSubmit)
	r.participants.Post("/comments/:id/withdraw", p.WithdrawCommentSubmit)
	r.participants.Get("/ideas/:id/edit", p.EditIdeaPage)
	r.participants.Post("/ideas/:id/edit", limits.ideas, p.EditIdeaSubmit)
	r.participants.Post("/ideas/:id/withdraw", p.WithdrawIdeaSubmit)
	r.self.Post("/comments/:id/appeal", limits.comments, d.Moderation.AppealSubmit("comment"))
	r.self.Post("/ideas/:id/appeal", limits.comments, d.Moderation.AppealSubmit("idea"))
	r.experts.Get("/measures/:id/edit", d.Consultations.EditMeasurePage)
	r.experts.Post("/measures/:id/edit", d.Consultations.EditMeasureSubmit)
	r.experts.Post("/measures/:id/milestones", d.Consultations.MilestonesSubmit)
	r.experts.Post("/measures/:id/documents", d.Consultations.DocumentsSubmit)
	r.experts.Post("/measures/:id/ideas", d.Consultations.TakeUpSubmit)
	r.experts.Post("/measures/:id/ideas/:idea_id/drop", d.Consultations.DropSubmit)

	r.moderators.Get("/moderation", d.Moderation.QueuePage)
	r.moderators.Post("/moderation/:kind/:id/decision", d.Moderation.DecideSubmit)
	r.moderators.Post("/moderation/idea/:id/move", d.Moderation.MoveSubmit)
	r.moderators.Post("/moderation/:kind/:id/block", d.Moderation.BlockSubmit)
	r.moderators.Get("/moderation/log", d.Moderation.LogPage)

	r.experts.Get("/experts/:id", d.Inbox.GroupPage)
	r.experts.Get("/experts/:id/summary", d.Export.SummaryPage)
	r.experts.Post("/experts/:id/inbox/:kind/:item/triage", d.Inbox.TriageSubmit)
	r.experts.Post("/experts/:id/measures", d.Inbox.MeasureSubmit)

	r.self.Get("/me/export", access.RequireSignedIn, d.Privacy.ExportPage)
	r.self.Get("/me/delete", access.RequireSignedIn, d.Privacy.ErasePage)
	r.self.Post("/me/delete", access.RequireSignedIn, d.Privacy.EraseSubmit)

	r.public.Get("/login", d.Accounts.LoginPage)
	r.self.Post("/login", limits.login, d.Accounts.LoginSubmit)
	r.public.Get("/register", d.Accounts.RegisterPage)
	r.self.Post("/register", limits.register, d.Accounts.RegisterSubmit)
	r.self.Post("/logout", d.Accounts.LogoutSubmit)
	r.self.Get("/me", d.Accounts.MePage)
	r.self.Post("/me/profile", access.RequireSignedIn, d.Accounts.ProfileSubmit)
	r.self.Post("/me/email", access.RequireSignedIn, limits.login, d.Accounts.EmailSubmit)

	r.public.Get("/barrierefreiheit", d.Accessibility.StatementPage)
	// Anyone may report a barrier, but not a blocked account.
	r.participants.Post("/barrierefreiheit", limits.register, d.Accessibility.ReportSubmit)
	r.admins.Get("/admin/barriers", d.Accessibility.ReportsPage)
	r.admins.Post("/admin/barriers/:id/resolve", d.Accessibility.ResolveSubmit)
}
