package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
	"github.com/mitreden/mitreden/app/web"
)

// demoIDs are real ids of the demo to fill route parameters with: the
// expert group g serves field (and g alone, of the field-specific
// groups), measure lies in it, and the other group's expert is not in g.
type demoIDs struct {
	group, field, measure, idea, comment, user int64
}

// fill puts ids into a route's parameters, each by the name of the
// segment before it (/fields/:id is a field, /moderation/:kind/:id an
// idea).
func (d demoIDs) fill(route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		var id int64 = 1
		switch s {
		case ":slug":
			segs[i] = "wir2"
			continue
		case ":lang":
			segs[i] = "de"
			continue
		case ":key":
			segs[i] = "impressum"
			continue
		case ":kind":
			segs[i] = "idea"
			continue
		case ":user_id":
			id = d.user
		case ":item":
			id = d.idea
		default:
			switch prev {
			case "expert-groups", "experts", "groups":
				id = d.group
			case "fields", "f":
				id = d.field
			case "measures", "m":
				id = d.measure
			case "users":
				id = d.user
			case "ideas", "i", "idea":
				id = d.idea
			case "comments", "comment":
				id = d.comment
			}
		}
		segs[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(segs, "/")
}

// forEachLogged is apptest.ForEach with the server's log kept in a
// buffer of each database's own.
func forEachLogged(t *testing.T, fn func(t *testing.T, s *apptest.Server, log *apptest.LogBuffer)) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		buf := &apptest.LogBuffer{}
		fn(t, apptest.Start(t, db, apptest.WithLog(buf)), buf)
	})
}

// route is one route of the application and whom it is for: the
// audience it was registered with, which is its name in Fiber's route
// table (see web.Audience).
type route struct {
	method, path string
	audience     web.Audience
}

// routesOf lists the application's routes (HEAD mirrors GET).
func routesOf(s *apptest.Server) []route {
	seen := map[route]bool{}
	var out []route
	for _, r := range s.App.Fiber.GetRoutes(true) {
		rt := route{r.Method, r.Path, web.Audience(r.Name)}
		if r.Method == http.MethodHead || seen[rt] {
			continue
		}
		seen[rt] = true
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// caller is one kind of person in the refusal matrix, with a Bearer
// client for the API and a browser session for the pages.
type caller struct {
	name       string
	api, pages *apptest.Client
	// csrf is the session's form token (or, anonymous, the form cookie).
	csrf string
}

// send sends a request as c would: the API with its Bearer token and a
// JSON body, the pages with the session cookie and a form with _csrf.
func (c caller) send(method, path string) *apptest.Response {
	if strings.HasPrefix(path, "/api/") {
		var body any
		if method != http.MethodGet {
			body = map[string]any{}
		}
		return c.api.Do(method, path, body)
	}
	if method == http.MethodGet {
		return c.pages.Get(path)
	}
	return c.pages.Do(method, path, url.Values{"_csrf": {c.csrf}})
}

// blockedScene is the demo with the people of the refusal matrix: a
// resident, an expert of a group that does not serve the field, and an
// administrator blocked by another.
type blockedScene struct {
	ids                demoIDs
	anon, resident     caller
	blocked, otherExpt caller
	reason             string
}

func newBlockedScene(t *testing.T, s *apptest.Server) *blockedScene {
	t.Helper()
	admin := s.Admin()
	var groups struct {
		Items []struct {
			ID     int64
			Fields []int64
		}
	}
	admin.Get("/api/v1/expert-groups").JSON(t, &groups)
	var ids demoIDs
	var other int64
	for _, g := range groups.Items {
		if len(g.Fields) != 1 {
			continue // the youth group serves every field
		}
		switch {
		case ids.group == 0:
			ids.group, ids.field = g.ID, g.Fields[0]
		case other == 0:
			other = g.ID
		}
	}
	if ids.group == 0 || other == 0 {
		t.Fatalf("the demo lacks two field groups: %+v", groups.Items)
	}
	var measures struct{ Items []struct{ ID int64 } }
	admin.Get(fmt.Sprintf("/api/v1/fields/%d/measures", ids.field)).JSON(t, &measures)
	if len(measures.Items) == 0 {
		t.Fatal("the demo field has no measures")
	}
	ids.measure = measures.Items[0].ID

	create := func(email string, role access.Role, groups ...int64) {
		t.Helper()
		if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
			Email: email, Password: "a-good-password", DisplayName: strings.Split(email, "@")[0], Role: role, Groups: groups, PrivacyConsent: true,
		}); err != nil {
			t.Fatal(err)
		}
	}
	create("bewohnerin@example.org", access.Resident)
	create("fremde-expertin@example.org", access.Expert, other)
	create("gesperrte-admin@example.org", access.Admin)
	people := func(name, email string) caller {
		t.Helper()
		b := s.Browser(email, "a-good-password")
		csrf := b.CSRF
		b.CSRF = "" // pages send it as the form's _csrf
		return caller{name: name, api: s.Login(email, "a-good-password"), pages: b, csrf: csrf}
	}
	sc := &blockedScene{ids: ids, reason: "Hat ein anderes Konto gesperrt"}
	sc.resident = people("resident", "bewohnerin@example.org")
	sc.otherExpt = people("expert of another group", "fremde-expertin@example.org")
	sc.blocked = people("blocked admin", "gesperrte-admin@example.org")
	anon := s.Client()
	anon.Get("/login") // the form token a visitor's forms carry
	sc.anon = caller{name: "anonymous", api: s.Client(), pages: anon, csrf: anon.Cookie("mitreden_csrf")}
	ids.user = sc.resident.api.UserID

	var idea, comment struct{ ID int64 }
	r := sc.resident.api.Do("POST", fmt.Sprintf("/api/v1/fields/%d/ideas", ids.field), map[string]string{"title": "Sprachcafé", "body": "Ein Treffpunkt für alle Sprachen."})
	r.JSON(t, &idea)
	r = sc.resident.api.Do("POST", fmt.Sprintf("/api/v1/measures/%d/comments", ids.measure), map[string]string{"body": "Gute Idee.", "stance": "pro"})
	r.JSON(t, &comment)
	if idea.ID == 0 || comment.ID == 0 {
		t.Fatalf("no idea or comment to fill routes with: %d %d", idea.ID, comment.ID)
	}
	ids.idea, ids.comment = idea.ID, comment.ID
	sc.ids = ids

	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	if r := admin.Do("POST", fmt.Sprintf("/api/v1/users/%d/block", sc.blocked.api.UserID), map[string]string{"until": until, "reason": sc.reason}); r.Status != http.StatusOK {
		t.Fatalf("block the admin: %d %s", r.Status, r.Body)
	}
	return sc
}

// wantBlocked fails unless r is the 403 of a blocked account: on the API
// with code blocked and the members reason and until, on a page the
// error page naming the reason.
func wantBlocked(t *testing.T, r *apptest.Response, api bool, reason string) {
	t.Helper()
	if r.Status != http.StatusForbidden {
		t.Errorf("status %d, want 403 blocked: %.300s", r.Status, r.Body)
		return
	}
	if !api {
		if !strings.Contains(r.Text(), html.EscapeString(reason)) {
			t.Errorf("the page does not give the reason of the block")
		}
		return
	}
	m := r.Map(t)
	if m["code"] != "blocked" || m["reason"] != reason || m["until"] == "" || m["until"] == nil {
		t.Errorf("want code blocked with reason and until: %s", r.Body)
	}
}

// Every staff route refuses, generated from the route table: 401 for
// anonymous API calls (a redirect to the sign-in page for pages), 403 for
// residents and experts of another group, 403 with code blocked for a
// blocked administrator. Each 403 is logged as access.refused. Writes
// other than self-service are refused to the blocked admin, and public
// pages stay readable for them. Each route's audience comes from the
// route table itself: a route registered without one fails here.
func TestEveryStaffRouteRefuses(t *testing.T) {
	forEachLogged(t, func(t *testing.T, s *apptest.Server, buf *apptest.LogBuffer) {
		sc := newBlockedScene(t, s)
		routes := routesOf(s)
		if len(routes) < 80 {
			t.Fatalf("only %d routes found", len(routes))
		}
		staff := 0
		for _, rt := range routes {
			path := sc.ids.fill(rt.path)
			api := strings.HasPrefix(path, "/api/")
			write := rt.method != http.MethodGet
			if write && (rt.audience == web.Self) != access.SelfService(path) {
				t.Errorf("%s %s: access.SelfService says %v, the route's audience is %q", rt.method, rt.path, access.SelfService(path), rt.audience)
			}
			switch rt.audience {
			case web.Public:
				if !write && rt.path != "/api/v1/live" {
					if r := sc.blocked.send(rt.method, path); r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized {
						t.Errorf("%s %s: public, but refused to a blocked account: %d", rt.method, path, r.Status)
					}
				}
				continue
			case web.Participants:
				if write {
					t.Run(rt.method+" "+rt.path+"/blocked", func(t *testing.T) {
						wantBlocked(t, sc.blocked.send(rt.method, path), api, sc.reason)
					})
				}
				continue
			case web.Self:
				continue
			case web.Staff:
			default:
				t.Errorf("%s %s: no audience in the route table (%q): register it through the routes of its audience (app/web/audience.go)", rt.method, rt.path, rt.audience)
				continue
			}
			staff++
			t.Run(rt.method+" "+rt.path, func(t *testing.T) { wantRefused(t, sc, buf, rt.method, path) })
		}
		if staff < 40 {
			t.Errorf("only %d staff routes: is the route table read whole?", staff)
		}
	})
}

// wantRefused fails unless a staff route refuses everyone of the scene.
func wantRefused(t *testing.T, sc *blockedScene, buf *apptest.LogBuffer, method, path string) {
	api := strings.HasPrefix(path, "/api/")
	write := method != http.MethodGet
	r := sc.anon.send(method, path)
	switch {
	case api && r.Status != http.StatusUnauthorized:
		t.Errorf("anonymous: %d, want 401 (if this is not a staff route, register it with its audience): %.300s", r.Status, r.Body)
	case api && r.Header.Get("Content-Type") != "application/problem+json":
		t.Errorf("anonymous: %s, want problem+json", r.Header.Get("Content-Type"))
	case !api && !write && (r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=")):
		t.Errorf("anonymous: %d to %q, want a redirect to the sign-in page (if this is not a staff route, register it with its audience)", r.Status, r.Header.Get("Location"))
	case !api && write && r.Status != http.StatusUnauthorized:
		t.Errorf("anonymous: %d, want 401 (if this is not a staff route, register it with its audience)", r.Status)
	}
	for _, c := range []caller{sc.resident, sc.otherExpt, sc.blocked} {
		before := buf.Count("event=access.refused", "path="+path, fmt.Sprintf("user=%d", c.api.UserID))
		r := c.send(method, path)
		if c.name == "blocked admin" {
			wantBlocked(t, r, api, sc.reason)
		} else if r.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403 (if this is not a staff route, register it with its audience): %.300s", c.name, r.Status, r.Body)
		} else if api && r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s, want problem+json", c.name, r.Header.Get("Content-Type"))
		}
		if r.Status == http.StatusForbidden && buf.Count("event=access.refused", "path="+path, fmt.Sprintf("user=%d", c.api.UserID)) != before+1 {
			t.Errorf("%s: the refusal was not logged as access.refused", c.name)
		}
	}
}
