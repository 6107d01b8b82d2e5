package admin_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/browsertest"
)

// An administrator signs in and sets up a small consultation in two
// languages, a field of action and an expert group with one member,
// entirely through /admin in a real browser; the public page and the API
// then show it.
func TestAdministratorSetsUpAConsultationInTheBrowser(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		nadia := s.Register("nadia@example.org", "Nadia Nachbarin")
		tab := browsertest.Start(t, s.URL).Tab()

		if status := tab.Open("/login"); status != 200 {
			t.Fatalf("/login: %d", status)
		}
		signIn(tab)
		if status := tab.Follow(`.main-nav a[href="/admin"]`); status != 200 {
			t.Fatalf("/admin: %d", status)
		}

		// The expert group, and its member found by searching.
		tab.Follow(`a[href="/admin/groups/new"]`)
		tab.Fill(`[name="name.de"]`, "AG Mobilität")
		tab.Fill(`[name="name.en"]`, "Mobility group")
		tab.Follow(`form[action="/admin/groups"] button[type="submit"]`)
		group := tab.Location()
		groupID, err := strconv.ParseInt(strings.TrimPrefix(group, "/admin/groups/"), 10, 64)
		if err != nil {
			t.Fatalf("after creating the group the browser is on %s", group)
		}
		tab.Fill(`[name="q"]`, "nadia")
		tab.Follow(`form[role="search"] button[type="submit"]`)
		tab.Follow(`form[action="` + group + `/members"] button[type="submit"]`)
		if members := tab.Text(`[aria-labelledby="members-heading"] table`); !strings.Contains(members, "Nadia Nachbarin") {
			t.Fatalf("members after adding: %q", members)
		}

		// The consultation with its frame in German and English.
		tab.Follow(`.admin-nav a[href="/admin"]`)
		tab.Follow(`a[href="/admin/consultations/new"]`)
		tab.Fill(`[name="slug"]`, "mobilitaet")
		tab.Choose(`[name="phase"]`, "open")
		tab.Choose(`[name="moderation"]`, "post")
		tab.Fill(`[name="title.de"]`, "Mobilität in der Stadt")
		// The translations are folded away until opened.
		tab.Click(`details.translation > summary:has(span[lang="en"])`)
		tab.Fill(`[name="title.en"]`, "Getting around town")
		tab.Fill(`[name="description.de"]`, "Wie kommen alle gut ans Ziel?")
		tab.Fill(`[name="description.en"]`, "How does everyone get where they need to go?")
		tab.Fill(`[name="guidelines.de"]`, "Sicher für alle.\nBarrierefrei unterwegs.")
		tab.Fill(`[name="guidelines.en"]`, "Safe for everyone.\nAccessible on the way.")
		tab.Fill(`[name="priorities.de"]`, "Schulwege zuerst.")
		tab.Fill(`[name="themes.0.key"]`, "klima")
		tab.Fill(`[name="themes.0.title.de"]`, "Klimaschutz")
		tab.Click(`details:has([name="themes.0.title.en"]) > summary`)
		tab.Fill(`[name="themes.0.title.en"]`, "Climate protection")
		tab.Follow(`form[action="/admin/consultations"] button[type="submit"]`)
		if loc := tab.Location(); loc != "/admin/consultations/mobilitaet" {
			t.Fatalf("after creating the consultation the browser is on %s: %s", loc, tab.Text("main"))
		}

		// The field of action, served by the new group.
		tab.Follow(`a[href="/admin/consultations/mobilitaet/fields/new"]`)
		tab.Fill(`[name="slug"]`, "radwege")
		tab.Fill(`[name="title.de"]`, "Radwege")
		tab.Click(`details.translation > summary:has(span[lang="en"])`)
		tab.Fill(`[name="title.en"]`, "Cycle paths")
		tab.Fill(`[name="description.de"]`, "Sichere Wege für alle, die Rad fahren.")
		tab.Click(`input[name="expert_groups"][value="` + strconv.FormatInt(groupID, 10) + `"]`)
		tab.Follow(`main form button[type="submit"]`)
		if loc := tab.Location(); !strings.HasPrefix(loc, "/admin/fields/") {
			t.Fatalf("after creating the field the browser is on %s: %s", loc, tab.Text("main"))
		}

		// What the public sees, in English.
		if status := tab.Open("/c/mobilitaet?lang=en"); status != 200 {
			t.Fatalf("public page: %d", status)
		}
		if h1 := tab.Text("h1"); h1 != "Getting around town" {
			t.Fatalf("public h1 %q", h1)
		}
		page := tab.Text("main")
		for _, want := range []string{"How does everyone get where they need to go?", "Cycle paths", "Mobility group", "Accessible on the way.", "Schulwege zuerst.", "Climate protection"} {
			if !strings.Contains(page, want) {
				t.Errorf("the public page lacks %q", want)
			}
		}
		if errs := tab.ConsoleErrors(); len(errs) > 0 {
			t.Errorf("the browser logged errors: %q", errs)
		}

		var c struct {
			Phase, Moderation string
			Guidelines        []struct{ Text string }
			Fields            []struct {
				Slug         string
				ExpertGroups []int64 `json:"expert_groups"`
			}
		}
		s.Client().Get("/api/v1/consultations/mobilitaet").JSON(t, &c)
		if c.Phase != "open" || c.Moderation != "post" || len(c.Guidelines) != 2 || c.Guidelines[0].Text != "Sicher für alle." ||
			len(c.Fields) != 1 || c.Fields[0].Slug != "radwege" || !slices.Equal(c.Fields[0].ExpertGroups, []int64{groupID}) {
			t.Fatalf("the API shows %+v", c)
		}
		var me struct {
			Role   string
			Groups []int64
		}
		nadia.Get("/api/v1/me").JSON(t, &me)
		if me.Role != "expert" || !slices.Equal(me.Groups, []int64{groupID}) {
			t.Fatalf("Nadia is %+v", me)
		}
	})
}

// signIn signs the administrator in on the login page the tab shows.
func signIn(tab *browsertest.Tab) {
	tab.Fill(`[name="email"]`, apptest.AdminEmail)
	tab.Fill(`[name="password"]`, apptest.AdminPassword)
	tab.Follow(`form[action="/login"] button[type="submit"]`)
}

// The consultation form folds the translations away: the demo's form
// was about 8,300 px tall with all six open. A translation with an error
// comes back open, and the error summary's link shows its field.
func TestConsultationFormFoldsTranslationsInTheBrowser(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		tab := browsertest.Start(t, s.URL).Tab()
		tab.Viewport(1280, 900)
		tab.Open("/login?next=/admin/consultations/wir2")
		signIn(tab)
		if loc := tab.Location(); loc != "/admin/consultations/wir2" {
			t.Fatalf("after signing in the browser is on %s", loc)
		}
		if height := browsertest.Eval[int](tab, "document.documentElement.scrollHeight"); height > 5000 {
			t.Errorf("the consultation form is %d px tall", height)
		}
		if browsertest.Eval[bool](tab, `document.getElementById("field-title.en").checkVisibility()`) {
			t.Error("the English title shows before its part is opened")
		}
		browsertest.Eval[bool](tab, `(e => { e.value = "x".repeat(201); return true })(document.getElementById("field-title.en"))`)
		tab.Follow(`form[action="/admin/consultations/wir2"] button[type="submit"]`)
		tab.Click(`.error-summary a[href="#field-title.en"]`)
		if !browsertest.Eval[bool](tab, `document.getElementById("field-title.en").checkVisibility()`) {
			t.Error("the error summary leads to a hidden field")
		}
	})
}
