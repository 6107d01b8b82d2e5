package web

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// Audience says who a route is for. Every route is registered through the
// routes of its audience: the audience becomes the route's name in Fiber's
// route table, where TestEveryStaffRouteRefuses reads it (a route without
// one fails that test), and a staff guard is declared once per group.
type Audience string

const (
	// Public content, readable by everyone, a blocked account included.
	Public Audience = "public"
	// Participants' writes: signed-in people, refused while blocked.
	Participants Audience = "participants"
	// Self is a blocked account's own business: signing in and out, its
	// account, appeals (access.SelfService).
	Self Audience = "self"
	// Staff routes refuse everyone but the staff they are for: anonymous
	// callers, residents, blocked staff and experts of another group.
	Staff Audience = "staff"
)

// routes registers the routes of one audience on a router, each behind
// the audience's guard (if any).
type routes struct {
	r        fiber.Router
	audience Audience
	guard    []fiber.Handler
}

// with puts the guard before a route's handlers.
func (g routes) with(handlers []fiber.Handler) []fiber.Handler {
	return append(slices.Clip(g.guard), handlers...)
}

// Get registers GET (and, as Fiber does, HEAD) routes; Name marks both.
func (g routes) Get(path string, h ...fiber.Handler) {
	g.r.Get(path, g.with(h)...).Name(string(g.audience))
}

func (g routes) Post(path string, h ...fiber.Handler) {
	g.r.Post(path, g.with(h)...).Name(string(g.audience))
}

func (g routes) Put(path string, h ...fiber.Handler) {
	g.r.Put(path, g.with(h)...).Name(string(g.audience))
}

func (g routes) Patch(path string, h ...fiber.Handler) {
	g.r.Patch(path, g.with(h)...).Name(string(g.audience))
}

func (g routes) Delete(path string, h ...fiber.Handler) {
	g.r.Delete(path, g.with(h)...).Name(string(g.audience))
}

// audiences are a router's routes by audience. Staff routes are for
// administrators, for moderators, or for experts of the item's group
// (experts; their handlers check the group, as it depends on the item).
type audiences struct {
	public, participants, self  routes
	admins, moderators, experts routes
}

func audiencesOf(r fiber.Router) audiences {
	return audiences{
		public:       routes{r: r, audience: Public},
		participants: routes{r: r, audience: Participants},
		self:         routes{r: r, audience: Self},
		admins:       routes{r: r, audience: Staff, guard: []fiber.Handler{access.RequireRole(access.Admin)}},
		moderators:   routes{r: r, audience: Staff, guard: []fiber.Handler{access.RequireRole(access.Moderator)}},
		experts:      routes{r: r, audience: Staff},
	}
}
