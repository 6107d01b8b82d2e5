package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
)

// admin signs in through the API and answers a cookie client that posts
// forms the way a browser does: the CSRF token in the _csrf field.
func admin(t *testing.T, s *apptest.Server) (*apptest.Client, string) {
	t.Helper()
	b := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
	b.CSRF = ""
	return b, apptest.FormCSRF(t, b.Get("/admin"))
}

func post(t *testing.T, b *apptest.Client, path string, form url.Values) *apptest.Response {
	t.Helper()
	return b.Do("POST", path, form)
}

func wantRedirect(t *testing.T, r *apptest.Response, to string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Fatalf("status %d to %q, want 303 to %q: %s", r.Status, r.Header.Get("Location"), to, r.Body)
	}
}

func TestConsultationForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		form := url.Values{
			"_csrf": {csrf}, "slug": {"Rad Verkehr"}, "phase": {"open"}, "moderation": {"post"},
			"title.de": {""}, "title.en": {"Cycling"},
			"guidelines.de": {"Sicher für alle.\r\n\r\n"}, "guidelines.en": {"Safe for everyone.\r\nAccessible.\r\n"},
			"theme_rows": {"3"}, "themes.1.key": {"Nicht gültig"}, "themes.1.title.de": {"Sicherheit"},
		}
		r := post(t, b, "/admin/consultations", form)
		if r.Status != 422 {
			t.Fatalf("invalid form: %d %s", r.Status, r.Body)
		}
		apptest.CheckPage(t, r, "de")
		page := r.Text()
		for _, want := range []string{
			`href="#field-slug"`, `href="#field-title.de"`, `href="#field-guidelines.de">Leitlinien (Deutsch): Zeile 2: Ein deutscher Text ist erforderlich.`,
			`href="#field-themes.1.key"`, `value="Rad Verkehr"`, `value="Cycling"`, "Accessible.\n</textarea>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the form with errors lacks %q", want)
			}
		}

		form.Set("slug", "radverkehr")
		form.Set("title.de", "Radverkehr in der Südstadt")
		form.Set("guidelines.de", "Sicher für alle.\r\nBarrierefrei.\r\nKurze Wege.")
		form.Set("guidelines.en", "Safe for everyone.\r\n\r\nShort ways.")
		form.Set("priorities.de", "Schulwege zuerst.")
		form.Set("themes.1.key", "sicherheit")
		form.Set("themes.1.title.en", "Safety")
		form.Set("description.de", "Wie soll der Radverkehr aussehen?\r\n\r\nSagen Sie es uns.")
		wantRedirect(t, post(t, b, "/admin/consultations", form), "/admin/consultations/radverkehr")

		var c struct {
			Title, Description, Phase, Moderation string
			Guidelines                            []struct {
				Number int
				Text   string
			}
			Priorities []struct{ Text string }
			Themes     []struct{ Key, Title string }
		}
		s.Client().Get("/api/v1/consultations/radverkehr?lang=en").JSON(t, &c)
		if c.Title != "Cycling" || c.Phase != "open" || c.Moderation != "post" || len(c.Guidelines) != 3 ||
			c.Guidelines[1].Text != "Barrierefrei." || c.Guidelines[2].Text != "Short ways." || len(c.Priorities) != 1 ||
			len(c.Themes) != 1 || c.Themes[0].Key != "sicherheit" || c.Themes[0].Title != "Safety" ||
			c.Description != "Wie soll der Radverkehr aussehen?\n\nSagen Sie es uns." {
			t.Fatalf("created %+v", c)
		}

		// The edit form shows every translation where it belongs.
		page = b.Get("/admin/consultations/radverkehr").Text()
		for _, want := range []string{
			"Gespeichert.", `value="radverkehr"`, `<option value="open" selected>`, "\nSicher für alle.\nBarrierefrei.\nKurze Wege.</textarea>",
			"\nSafe for everyone.\n\nShort ways.</textarea>", `name="themes.0.key" type="text" value="sicherheit"`, `name="theme_rows" value="4"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the edit form lacks %q", want)
			}
		}

		// Changing it: a new slug, the phase, one theme removed.
		edit := url.Values{"_csrf": {csrf}, "slug": {"rad"}, "phase": {"closed"}, "moderation": {"pre"}, "title.de": {"Radverkehr"}, "theme_rows": {"4"}}
		wantRedirect(t, post(t, b, "/admin/consultations/radverkehr", edit), "/admin/consultations/rad")
		s.Client().Get("/api/v1/consultations/rad").JSON(t, &c)
		if c.Phase != "closed" || c.Title != "Radverkehr" || len(c.Themes) != 0 || len(c.Guidelines) != 0 {
			t.Fatalf("after edit %+v", c)
		}
		// A slug in use is shown on the slug field.
		edit.Set("slug", "wir2")
		r = post(t, b, "/admin/consultations/rad", edit)
		if r.Status != http.StatusConflict || !strings.Contains(r.Text(), `href="#field-slug">Kurzname: Dieser Kurzname ist bereits vergeben.`) {
			t.Fatalf("slug taken: %d %s", r.Status, r.Body)
		}
		if r := post(t, b, "/admin/consultations/nope", edit); r.Status != 404 {
			t.Fatalf("unknown consultation: %d", r.Status)
		}
		var actions []string
		if err := s.App.Store.DB.NewRaw("SELECT action FROM audit_log WHERE object_kind = 'consultation' AND actor_id IS NOT NULL ORDER BY id").Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, ",") != "consultation.create,consultation.update" {
			t.Fatalf("audit %v", actions)
		}
	})
}

func TestFieldForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		page := b.Get("/admin/consultations/wir2/fields/new")
		if !strings.Contains(page.Text(), `name="expert_groups" value="7"`) {
			t.Fatal("the field form does not offer the groups")
		}
		form := url.Values{"_csrf": {csrf}, "slug": {"bildung"}, "title.de": {"Wohnen"}, "title.en": {"Housing"}, "expert_groups": {"2", "7"}}
		r := post(t, b, "/admin/consultations/wir2/fields", form)
		if r.Status != http.StatusConflict || !strings.Contains(r.Text(), `href="#field-slug"`) || !strings.Contains(r.Text(), `value="7" checked`) {
			t.Fatalf("taken slug: %d", r.Status)
		}
		form.Set("slug", "wohnen")
		r = post(t, b, "/admin/consultations/wir2/fields", form)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/fields/") {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := strings.TrimPrefix(r.Header.Get("Location"), "/admin/fields/")
		r = s.Client().Get("/f/" + id + "?lang=en")
		if !strings.Contains(r.Text(), "Housing") || !strings.Contains(r.Text(), "AG postmigrantisch") {
			t.Fatal("the public field page does not show the new field and its groups")
		}
		page = b.Get("/admin/fields/" + id)
		if !strings.Contains(page.Text(), `value="2" checked`) || strings.Contains(page.Text(), `value="3" checked`) {
			t.Fatal("the edit form does not show the chosen groups")
		}
		// No box ticked: no group serves the field any more.
		wantRedirect(t, post(t, b, "/admin/fields/"+id, url.Values{"_csrf": {csrf}, "slug": {"wohnen"}, "title.de": {"Wohnen und Leben"}}), "/admin/fields/"+id)
		var c struct {
			Fields []struct {
				ID           int64
				Title        string
				ExpertGroups []int64 `json:"expert_groups"`
			}
		}
		s.Client().Get("/api/v1/consultations/wir2").JSON(t, &c)
		last := c.Fields[len(c.Fields)-1]
		if strconv.FormatInt(last.ID, 10) != id || last.Title != "Wohnen und Leben" || len(last.ExpertGroups) != 0 {
			t.Fatalf("after edit %+v", last)
		}
		r = post(t, b, "/admin/fields/"+id, url.Values{"_csrf": {csrf}, "slug": {"wohnen"}, "title.de": {"W"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-title.de"`) {
			t.Fatalf("short title: %d", r.Status)
		}
	})
}

func TestGroupForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		nadia := s.Register("nadia@example.org", "Nadia Nachbarin")
		s.Register("nils@example.org", "Nils")
		b, csrf := admin(t, s)
		r := post(t, b, "/admin/groups", url.Values{"_csrf": {csrf}, "name.de": {""}, "name.en": {"Housing group"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-name.de"`) || !strings.Contains(r.Text(), `value="Housing group"`) {
			t.Fatalf("no German name: %d", r.Status)
		}
		r = post(t, b, "/admin/groups", url.Values{"_csrf": {csrf}, "name.de": {"AG Wohnen"}, "name.en": {"Housing group"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		group := r.Header.Get("Location")
		id := strings.TrimPrefix(group, "/admin/groups/")

		page := b.Get(group + "?q=NADIA").Text()
		if !strings.Contains(page, "Nadia Nachbarin") || strings.Contains(page, "Nils") || !strings.Contains(page, `name="user_id" value="`+itoa(nadia.UserID)+`"`) {
			t.Fatal("the member search does not find Nadia alone")
		}
		wantRedirect(t, post(t, b, group+"/members", url.Values{"_csrf": {csrf}, "user_id": {itoa(nadia.UserID)}, "q": {"NADIA"}}), group+"?q=NADIA")
		page = b.Get(group + "?q=NADIA").Text()
		if !strings.Contains(page, "Schon Mitglied") || !strings.Contains(page, `action="`+group+`/members/`+itoa(nadia.UserID)+`/remove"`) {
			t.Fatal("the group page does not list the new member")
		}
		var me struct {
			Role   string
			Groups []int64
		}
		nadia.Get("/api/v1/me").JSON(t, &me)
		if me.Role != "expert" || len(me.Groups) != 1 || strconv.FormatInt(me.Groups[0], 10) != id {
			t.Fatalf("Nadia after joining: %+v", me)
		}
		wantRedirect(t, post(t, b, group+"/members/"+itoa(nadia.UserID)+"/remove", url.Values{"_csrf": {csrf}}), group)
		nadia.Get("/api/v1/me").JSON(t, &me)
		if len(me.Groups) != 0 {
			t.Fatalf("Nadia after removal: %+v", me)
		}
		wantRedirect(t, post(t, b, group, url.Values{"_csrf": {csrf}, "name.de": {"AG Wohnen und Bauen"}}), group)
		var groups struct{ Items []struct{ Name string } }
		s.Client().Get("/api/v1/expert-groups?lang=en").JSON(t, &groups)
		if last := groups.Items[len(groups.Items)-1]; last.Name != "AG Wohnen und Bauen" {
			t.Fatalf("renamed group %+v (the English name was dropped, so German shows)", last)
		}
		if r := post(t, b, group+"/members", url.Values{"_csrf": {csrf}, "user_id": {"x"}}); r.Status != 404 {
			t.Fatalf("bad user id: %d", r.Status)
		}
	})
}

func TestUserForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		troll := s.Register("troll@example.org", "Troll")
		b, csrf := admin(t, s)
		user := "/admin/users/" + itoa(troll.UserID)

		list := b.Get("/admin/users?role=resident&q=troll").Text()
		if !strings.Contains(list, `href="`+user+`"`) || strings.Contains(list, apptest.AdminEmail) {
			t.Fatal("the filtered list is wrong")
		}
		if r := b.Get("/admin/users?role=king"); r.Status != 422 || !strings.Contains(r.Text(), `href="#field-role"`) {
			t.Fatalf("unknown role filter: %d", r.Status)
		}

		wantRedirect(t, post(t, b, user, url.Values{"_csrf": {csrf}, "role": {"moderator"}, "display_name": {"Troll Two"}}), user)
		var me struct {
			Role        string
			DisplayName string `json:"display_name"`
		}
		troll.Get("/api/v1/me").JSON(t, &me)
		if me.Role != "moderator" || me.DisplayName != "Troll Two" {
			t.Fatalf("after the role change: %+v", me)
		}
		r := post(t, b, "/admin/users/"+itoa(b.UserID), url.Values{"_csrf": {csrf}, "role": {"resident"}, "display_name": {"Administration"}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Text(), `href="#field-role">Rolle: Das ist das letzte Konto`) {
			t.Fatalf("demoting the last admin: %d", r.Status)
		}

		r = post(t, b, user+"/block", url.Values{"_csrf": {csrf}, "until": {"2020-01-01"}, "reason": {"Spam"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-until"`) || !strings.Contains(r.Text(), "Spam</textarea>") {
			t.Fatalf("block in the past: %d", r.Status)
		}
		r = post(t, b, user+"/block", url.Values{"_csrf": {csrf}, "until": {""}, "reason": {""}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-until"`) {
			t.Fatalf("block without a date: %d", r.Status)
		}
		day := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
		wantRedirect(t, post(t, b, user+"/block", url.Values{"_csrf": {csrf}, "until": {day}, "reason": {"Beleidigungen"}}), user)
		v, _ := s.App.Accounts.Authenticate(t.Context(), troll.Token)
		if !v.Blocked(time.Now()) || v.BlockReason != "Beleidigungen" || time.Until(*v.BlockedUntil) < 72*time.Hour-time.Hour*25 {
			t.Fatalf("viewer after the block form: %+v", v)
		}
		page := b.Get(user).Text()
		if !strings.Contains(page, "Gesperrt bis") || !strings.Contains(page, "Gesperrt von Administration.") || !strings.Contains(page, "Sperre aufheben") {
			t.Fatal("the account page does not show the block")
		}
		if !strings.Contains(b.Get("/admin/users?q=troll").Text(), time.Now().AddDate(0, 0, 4).Format("02.01.2006")+", 00:00 Uhr") {
			t.Fatal("the list does not show until when")
		}
		wantRedirect(t, post(t, b, user+"/unblock", url.Values{"_csrf": {csrf}}), user)
		if v, _ := s.App.Accounts.Authenticate(t.Context(), troll.Token); v.Blocked(time.Now()) {
			t.Fatal("still blocked")
		}
		if r := post(t, b, "/admin/users/"+itoa(b.UserID)+"/block", url.Values{"_csrf": {csrf}, "until": {day}, "reason": {"x"}}); r.Status != 403 {
			t.Fatalf("an admin blocks themselves: %d", r.Status)
		}
	})
}

func TestScreeningAndLegalForms(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b, csrf := admin(t, s)
		r := post(t, b, "/admin/screening/en", url.Values{"_csrf": {csrf}, "terms.en": {"# ours\r\nscam*\r\n\r\n**\r\n"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-terms.en">Begriffe: Zeile 4:`) {
			t.Fatalf("bad term: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(r.Text(), "idiot*") || !strings.Contains(r.Text(), "\n# ours\nscam*\n\n**\n</textarea>") {
			t.Fatal("the page lost the other list or the posted text")
		}
		wantRedirect(t, post(t, b, "/admin/screening/en", url.Values{"_csrf": {csrf}, "terms.en": {"# ours\r\nscam*\r\nfree money"}}), "/admin/screening")
		terms, err := s.App.Screening.Terms(t.Context(), "en")
		if err != nil || !slices.Equal(terms, []string{"scam*", "free money"}) {
			t.Fatalf("stored %q %v", terms, err)
		}
		if r := post(t, b, "/admin/screening/xx", url.Values{"_csrf": {csrf}, "terms.xx": {"a"}}); r.Status != 404 {
			t.Fatalf("unsupported language: %d", r.Status)
		}

		r = post(t, b, "/admin/legal/datenschutz", url.Values{"_csrf": {csrf}, "body.de": {""}, "body.en": {"English only"}})
		if r.Status != 422 || !strings.Contains(r.Text(), `href="#field-body.de"`) {
			t.Fatalf("no German text: %d", r.Status)
		}
		wantRedirect(t, post(t, b, "/admin/legal/datenschutz", url.Values{"_csrf": {csrf}, "body.de": {"Unsere Datenschutzerklärung."}, "body.en": {"Our privacy notice."}}), "/admin/legal/datenschutz")
		if page := s.Client().Get("/datenschutz?lang=en").Text(); !strings.Contains(page, "Our privacy notice.") {
			t.Fatal("the public page does not show the new text")
		}
		if page := b.Get("/admin/legal/datenschutz").Text(); !strings.Contains(page, "Zuletzt geändert am") || !strings.Contains(page, "Our privacy notice.</textarea>") {
			t.Fatal("the legal form does not show the stored text")
		}
		if r := b.Get("/admin/legal/agb"); r.Status != 404 {
			t.Fatalf("unknown legal page: %d", r.Status)
		}

		page := b.Get("/admin/audit?limit=3&lang=en")
		apptest.CheckPage(t, page, "en")
		for _, want := range []string{"legal.update", "legal_page datenschutz", "screening.update", "Administration", "Our privacy notice.", `href="/admin/audit?cursor=`} {
			if !strings.Contains(page.Text(), want) {
				t.Errorf("the audit page lacks %q", want)
			}
		}
	})
}
