package accessibility_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

func TestBarrierReports(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		page := b.Get("/barrierefreiheit?page=/m/1")
		if page.Status != 200 || !strings.Contains(page.Text(), `action="/barrierefreiheit"`) || !strings.Contains(page.Text(), `value="/m/1"`) {
			t.Fatalf("statement page: %d", page.Status)
		}
		csrf := b.Cookie("mitreden_csrf")
		r := b.Do("POST", "/barrierefreiheit", url.Values{"_csrf": {csrf}, "description": {"kurz"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-description"`) || !strings.Contains(r.Text(), "kurz</textarea>") {
			t.Fatalf("too short: %d", r.Status)
		}
		r = b.Do("POST", "/barrierefreiheit", url.Values{"_csrf": {csrf}, "description": {"Der Abstimmen-Knopf wird vom Screenreader nicht vorgelesen."}, "page": {"/m/1"}, "contact": {"hilfe@example.org"}})
		if r.Status != 303 || !strings.Contains(b.Get("/barrierefreiheit").Text(), "Ihre Meldung ist eingegangen") {
			t.Fatalf("report: %d", r.Status)
		}
		if r := s.Register("res@example.org", "Resi").Get("/admin/barriers"); r.Status != 403 {
			t.Fatalf("a resident sees the reports: %d", r.Status)
		}
		admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		list := admin.Get("/admin/barriers").Text()
		if !strings.Contains(list, "Screenreader nicht vorgelesen") || !strings.Contains(list, "hilfe@example.org") {
			t.Fatal("the admin list lacks the report")
		}
		var id int64
		if err := s.App.Store.DB.NewRaw("SELECT id FROM barrier_reports").Scan(t.Context(), &id); err != nil {
			t.Fatal(err)
		}
		csrf = admin.CSRF
		admin.CSRF = ""
		if r := admin.Do("POST", fmt.Sprintf("/admin/barriers/%d/resolve", id), url.Values{"_csrf": {csrf}}); r.Status != 303 {
			t.Fatalf("resolve: %d", r.Status)
		}
		if !strings.Contains(admin.Get("/admin/barriers").Text(), "Erledigt") {
			t.Fatal("the report is not shown as resolved")
		}
	})
}

// people are the accounts the browser tests sign in as.
type people struct {
	ideaID, commentID int64
}

func seed(t *testing.T, s *apptest.Server) people {
	t.Helper()
	ctx := t.Context()
	for _, a := range []accounts.NewAccount{
		{Email: "moderatorin@example.org", DisplayName: "Moderatorin", Role: access.Moderator},
		{Email: "expertin@example.org", DisplayName: "Expertin", Role: access.Expert, Groups: []int64{1}},
	} {
		a.Password = "a-good-password"
		if _, err := s.App.Accounts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.Admin()
	admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
	// A city's own logo in every header (and on /admin/site).
	logo := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0b5cad"/></svg>`
	if r := admin.Do("PUT", "/api/v1/site/logo", apptest.Raw{ContentType: "image/svg+xml", Body: []byte(logo)}); r.Status != 200 {
		t.Fatalf("logo: %d %s", r.Status, r.Body)
	}
	resident := s.Register("resi@example.org", "Resi Dent")
	var idea, comment struct{ ID int64 }
	resident.Do("POST", "/api/v1/fields/1/ideas", map[string]any{"title": "Sprachcafé im Stadtteil", "body": "Ein Treffpunkt für alle Sprachen.", "themes": []string{"diversitaet"}}).JSON(t, &idea)
	resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Gute Idee, bitte auch am Wochenende.", "stance": "pro"}).JSON(t, &comment)
	resident.Do("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", idea.ID), map[string]string{"body": "Ich helfe gern mit.", "stance": "pro"})
	resident.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1})
	// A staff role badge, an expert group's answer, and (below) the
	// resident's own pending comment marked on the pages they see.
	expert := s.Login("expertin@example.org", "a-good-password")
	expert.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Wir prüfen die Öffnungszeiten.", "stance": "neutral"})
	expert.Do("POST", fmt.Sprintf("/api/v1/expert-groups/1/inbox/comment/%d/triage", comment.ID), map[string]string{"state": "considered", "response": "Danke, das nehmen wir auf."})
	admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "pre"})
	resident.Do("POST", "/api/v1/measures/2/comments", map[string]string{"body": "Dieser wartet noch auf die Moderation."})
	resident.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Auch dieser wartet noch."})
	return people{ideaID: idea.ID, commentID: comment.ID}
}

func signIn(t *testing.T, tab *browsertest.Tab, email string) {
	t.Helper()
	tab.Open("/login")
	tab.Fill(`[name="email"]`, email)
	tab.Fill(`[name="password"]`, "a-good-password")
	if status := tab.Follow(`form[action="/login"] button[type="submit"]`); status != 200 {
		t.Fatalf("sign in as %s: %d", email, status)
	}
}

// pageCase is a page of one kind, seen by someone.
type pageCase struct {
	name, path string
	status     int
}

// The page types, by who looks at them.
func pageTypes(p people) map[string][]pageCase {
	idea := fmt.Sprint(p.ideaID)
	comment := fmt.Sprint(p.commentID)
	return map[string][]pageCase{
		"": {
			{"home", "/", 200}, {"consultation", "/c/wir2", 200}, {"progress", "/c/wir2/progress", 200}, {"field", "/f/1", 200}, {"measure", "/m/1", 200},
			{"idea", "/i/" + idea, 200}, {"login", "/login", 200}, {"register", "/register", 200}, {"password-reset", "/password-reset", 200}, {"verify", "/verify?token=0123456789abcdef", 200},
			{"accessibility", "/barrierefreiheit", 200}, {"imprint", "/impressum", 200}, {"privacy", "/datenschutz", 200},
		},
		"resi@example.org": {
			{"me", "/me", 200}, {"measure-signed-in", "/m/1", 200}, {"field-signed-in", "/f/1", 200},
			{"idea-signed-in", "/i/" + idea, 200}, {"edit-comment", "/comments/" + comment + "/edit", 200},
			{"edit-idea", "/ideas/" + idea + "/edit", 200}, {"delete-account", "/me/delete", 200}, {"my-data", "/me/export?format=html", 200},
			{"notification-settings", "/me/notification-settings", 200}, {"notifications", "/me/notifications", 200},
		},
		"moderatorin@example.org": {{"moderation", "/moderation", 200}, {"moderation-log", "/moderation/log", 200}},
		"expertin@example.org":    {{"experts", "/experts/1", 200}, {"experts-summary", "/experts/1/summary", 200}, {"edit-measure", "/measures/1/edit", 200}},
		apptest.AdminEmail: {
			{"admin", "/admin", 200}, {"admin-users", "/admin/users", 200}, {"admin-consultation", "/admin/consultations/wir2", 200},
			{"admin-field", "/admin/fields/1", 200}, {"admin-group", "/admin/groups/1", 200}, {"admin-screening", "/admin/screening", 200},
			{"admin-legal", "/admin/legal/impressum", 200}, {"admin-audit", "/admin/audit", 200}, {"admin-barriers", "/admin/barriers", 200},
			{"admin-site", "/admin/site", 200}, {"admin-translations", "/admin/translations", 200},
		},
	}
}

// screenshotDir is where the browser tests leave screenshots of the main
// pages (the README names it).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../test-artifacts/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// auditLangs are the languages every page is checked in: German and
// Arabic (right to left), or English while Arabic has no catalog.
func auditLangs(s *apptest.Server) []string {
	if s.App.Catalog.Supported("ar") {
		return []string{"de", "ar"}
	}
	return []string{"de", "en"}
}

// Every page type passes axe-core's WCAG 2.0/2.1 A and AA rules, in German
// and in Arabic, on a desktop and on a 390 px phone (where no page may
// scroll sideways); the test leaves screenshots of each.
func TestEveryPageMeetsWCAG21AA(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	axe := browsertest.AxeScript(t)
	p := seed(t, s)
	shots := screenshotDir(t)
	// Each language and reader in a browser of its own, side by side: the
	// browsers mostly wait (on the server, on axe), so two at a time
	// shorten the test.
	for _, lang := range auditLangs(s) {
		for who, cases := range pageTypes(p) {
			t.Run(lang+"/"+who, func(t *testing.T) {
				t.Parallel()
				auditPages(t, s, axe, shots, lang, who, cases)
			})
		}
	}
	tab := browsertest.Start(t, s.URL).Tab()
	// The error page (the browser logs its 404, so it is checked apart).
	if status := tab.Open("/c/nirgends?lang=de"); status != 404 {
		t.Fatalf("error page: %d", status)
	}
	for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
		t.Errorf("error page: %s", v)
	}
	// A form sent back with errors is accessible too.
	tab.Open("/register?lang=de")
	tab.Follow(`form[action="/register"] button[type="submit"]`)
	if !strings.Contains(tab.Text(".error-summary"), "E-Mail-Adresse: ") {
		t.Fatalf("the register form came back without its errors: %q", tab.Text("main"))
	}
	for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
		t.Errorf("register with errors: %s", v)
	}
	// The check itself can fail: a planted image without text and a field
	// without a label are found.
	browsertest.Eval[bool](tab, `(() => { const m = document.querySelector('main');
  m.insertAdjacentHTML('beforeend', '<img src="/static/favicon.svg"><input type="text" name="x">'); return true })()`)
	found := map[string]bool{}
	for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["label"] {
		t.Fatalf("axe did not find the planted violations: %v", found)
	}
}

// auditPages checks cases in lang as who (a resident's address, the
// administrator's, or "" for the public) in a browser of its own.
func auditPages(t *testing.T, s *apptest.Server, axe string, shots, lang, who string, cases []pageCase) {
	browser := browsertest.Start(t, s.URL)
	tab := browser.Tab()
	if who == apptest.AdminEmail {
		tab.Open("/login")
		tab.Fill(`[name="email"]`, apptest.AdminEmail)
		tab.Fill(`[name="password"]`, apptest.AdminPassword)
		tab.Follow(`form[action="/login"] button[type="submit"]`)
	} else if who != "" {
		signIn(t, tab, who)
	}
	for _, c := range cases {
		sep := "?"
		if strings.Contains(c.path, "?") {
			sep = "&"
		}
		if status := tab.Open(c.path + sep + "lang=" + lang); status != c.status {
			t.Errorf("%s %s: status %d, want %d", lang, c.path, status, c.status)
			continue
		}
		if got := browsertest.Eval[string](tab, "document.documentElement.lang + ' ' + document.documentElement.dir"); got != lang+" "+map[bool]string{true: "rtl", false: "ltr"}[lang == "ar"] {
			t.Errorf("%s %s: <html lang dir> is %q", lang, c.path, got)
		}
		tab.Viewport(1280, 1024)
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s %s: %s", lang, c.path, v)
		}
		tab.Screenshot(filepath.Join(shots, lang, c.name+".png"))
		// The same page on a phone: nothing scrolls sideways, axe again.
		tab.Viewport(390, 844)
		if wide := browsertest.Eval[bool](tab, "document.documentElement.scrollWidth > window.innerWidth + 1"); wide {
			t.Errorf("%s %s scrolls sideways at 390px", lang, c.path)
		}
		for _, v := range tab.Axe(axe, browsertest.WCAG21AA) {
			t.Errorf("%s %s at 390px: %s", lang, c.path, v)
		}
	}
	if errs := tab.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("%s as %q: the browser logged errors: %q", lang, who, errs)
	}
}

// A resident registers, votes, comments and switches to Arabic (or the
// last language) with the keyboard alone, always seeing where the focus is.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"})
	tab := browsertest.Start(t, s.URL).Tab()
	tab.Open("/?lang=de") // the choice sticks in a cookie
	visible := func(what string) {
		t.Helper()
		if !tab.FocusVisible() {
			t.Fatalf("no visible focus on %s", what)
		}
	}
	// The skip link comes first.
	tab.Press(kb.Tab)
	if !browsertest.Eval[bool](tab, `document.activeElement.matches('.skip-link')`) {
		t.Fatal("the first Tab does not reach the skip link")
	}
	visible("the skip link")

	tab.TabTo(`.main-nav a[href="/register"]`)
	visible("the register link")
	tab.PressFollow(kb.Enter)
	tab.TabTo(`#field-email`)
	tab.Type("tastatur@example.org")
	tab.TabTo(`#field-display_name`)
	visible("the name field")
	tab.Type("Tastatur Nutzerin")
	tab.TabTo(`#field-password`)
	tab.Type("ein-gutes-passwort")
	tab.TabTo(`#field-consent`)
	visible("the consent box")
	tab.Press(" ")
	tab.TabTo(`form[action="/register"] button[type="submit"]`)
	visible("the register button")
	tab.PressFollow(kb.Enter)
	tab.WaitText(".flash", "Willkommen")

	// Home → consultation → field → measure, by links.
	for _, link := range []string{`a[href="/c/wir2"]`, `main a[href="/f/1"]`, `main a[href="/m/1"]`} {
		tab.TabTo(link)
		visible(link)
		tab.PressFollow(kb.Enter)
	}
	tab.TabTo(`.vote-form button[value="1"]`)
	visible("the vote button")
	tab.PressFollow(kb.Enter)
	tab.WaitText(".flash", "Ihre Stimme ist gezählt")
	if !browsertest.Eval[bool](tab, `document.querySelector('.vote-form button[value="1"]').getAttribute('aria-pressed') === 'true'`) {
		t.Fatal("the vote is not shown as pressed")
	}
	tab.TabTo(`#field-body`)
	visible("the comment field")
	tab.Type("Mit der Tastatur geschrieben.")
	// Tab enters a radio group at its chosen button; arrows choose.
	tab.TabTo(`#field-stance-neutral`)
	visible("the stance choice")
	tab.Press(kb.ArrowUp)
	tab.Press(kb.ArrowUp)
	if !browsertest.Eval[bool](tab, `document.querySelector('#field-stance-pro').checked`) {
		t.Fatal("the arrow keys did not choose the stance")
	}
	tab.TabTo(`.comment-form button[type="submit"]`)
	tab.PressFollow(kb.Enter)
	tab.WaitText(".flash", "Kommentar ist veröffentlicht")
	if !strings.Contains(tab.Text("#comments"), "Mit der Tastatur geschrieben.") {
		t.Fatal("the comment does not show")
	}

	target := "ar"
	if !s.App.Catalog.Supported(target) {
		target = "en"
	}
	// The languages are behind a disclosure in the header: open it with Enter.
	tab.TabTo(`.lang-menu summary`)
	visible("the language menu")
	tab.Press(kb.Enter)
	tab.TabTo(`.lang-switch a[hreflang="` + target + `"]`)
	visible("the language switcher")
	tab.PressFollow(kb.Enter)
	want := target + " " + map[bool]string{true: "rtl", false: "ltr"}[target == "ar"]
	if got := browsertest.Eval[string](tab, "document.documentElement.lang + ' ' + document.documentElement.dir"); got != want {
		t.Fatalf("after switching: %q, want %q", got, want)
	}
	if loc := tab.Location(); !strings.HasPrefix(loc, "/m/1") {
		t.Fatalf("switching the language left the page: %s", loc)
	}
}

// At 320 CSS pixels (a phone, or 1280 pixels at 400% zoom) no page scrolls
// sideways.
func TestNarrowScreens(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	p := seed(t, s)
	tab := browsertest.Start(t, s.URL).Tab()
	tab.Viewport(320, 640)
	for _, lang := range auditLangs(s) {
		for _, c := range pageTypes(p)[""] {
			tab.Open(c.path + "?lang=" + lang)
			if wide := browsertest.Eval[bool](tab, "document.documentElement.scrollWidth > window.innerWidth + 1"); wide {
				t.Errorf("%s %s scrolls sideways at 320px", lang, c.path)
			}
		}
	}
	for _, lang := range auditLangs(s) {
		tab.Open("/m/1?lang=" + lang)
		tab.Screenshot(filepath.Join(screenshotDir(t), lang, "measure-320px.png"))
	}
	// An expert's pages too: the overview's wide measures table scrolls
	// inside its own container, never the page.
	expert := browsertest.Start(t, s.URL).Tab()
	expert.Viewport(320, 640)
	signIn(t, expert, "expertin@example.org")
	for _, lang := range auditLangs(s) {
		for _, c := range pageTypes(p)["expertin@example.org"] {
			expert.Open(c.path + "?lang=" + lang)
			if wide := browsertest.Eval[bool](expert, "document.documentElement.scrollWidth > window.innerWidth + 1"); wide {
				t.Errorf("%s %s scrolls sideways at 320px", lang, c.path)
				t.Log(browsertest.Eval[string](expert, `Array.from(document.querySelectorAll('body *')).filter(e => { const r = e.getBoundingClientRect(); return !e.closest('.table-wrap') && (r.right > window.innerWidth + 1 || r.left < -1) }).slice(0, 12).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().left) + '-' + Math.round(e.getBoundingClientRect().right)).join(' | ')`))
			}
		}
		expert.Open("/experts/1/summary?lang=" + lang)
		expert.Screenshot(filepath.Join(screenshotDir(t), lang, "experts-summary-320px.png"))
	}
}
