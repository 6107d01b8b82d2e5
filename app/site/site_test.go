package site_test

import (
	"bytes"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/site"
)

type identityJSON struct {
	Name        string  `json:"name"`
	AccentColor string  `json:"accent_color"`
	LogoURL     *string `json:"logo_url"`
}

func get(t *testing.T, c *apptest.Client) identityJSON {
	t.Helper()
	r := c.Get("/api/v1/site")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/site: %d %s", r.Status, r.Body)
	}
	var id identityJSON
	r.JSON(t, &id)
	return id
}

// tinyPNG is the signature and a few bytes: the service checks the
// signature, browsers are the judges of the rest.
var tinyPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 32)...)

func TestContrast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		color string
		want  float64
	}{{"#ffffff", 1}, {"#000000", 21}, {"#0b5cad", 6.67}, {"#ffff00", 1.07}, {"#767676", 4.54}} {
		if got := site.Contrast(tc.color); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("Contrast(%s) = %.3f, want %.2f", tc.color, got, tc.want)
		}
	}
	id := site.Identity{Accent: site.DefaultAccent}
	if got := id.AccentDark(); got != "#08427c" {
		t.Errorf("the default accent's dark variant is %s, want site.css's #08427c", got)
	}
}

// The identity's API: defaults, changes by administrators only, and 422
// naming the field for a bad name or colour.
func TestIdentityAPI(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		anon := s.Client()
		if id := get(t, anon); id.Name != "mitreden" || id.AccentColor != "#0b5cad" || id.LogoURL != nil {
			t.Fatalf("defaults: %+v", id)
		}
		if r := anon.Get("/api/v1/site"); !strings.Contains(r.Text(), `"logo_url":null`) {
			t.Fatalf("logo_url is not null: %s", r.Body)
		}
		body := map[string]string{"name": "Stadt Musterstadt", "accent_color": "#8B0000"}
		anon.Do("PUT", "/api/v1/site", body).WantProblem(t, http.StatusUnauthorized, "")
		anon.Do("PUT", "/api/v1/site/logo", apptest.Raw{ContentType: site.PNG, Body: tinyPNG}).WantProblem(t, http.StatusUnauthorized, "")
		for _, role := range []string{"resident", "moderator", "expert"} {
			c := s.AccountAs(role+"@example.org", "Person "+role, role)
			c.Do("PUT", "/api/v1/site", body).WantProblem(t, http.StatusForbidden, "")
			c.Do("PUT", "/api/v1/site/logo", apptest.Raw{ContentType: site.PNG, Body: tinyPNG}).WantProblem(t, http.StatusForbidden, "")
			c.Do("DELETE", "/api/v1/site/logo", nil).WantProblem(t, http.StatusForbidden, "")
		}
		admin := s.Admin()
		for _, bad := range []struct {
			name, color, field string
		}{
			{"X", "#ffff00", "accent_color"}, // 1.07:1 on white
			{"X", "#777777", "accent_color"}, // 4.48:1, just below
			{"X", "0b5cad", "accent_color"},
			{"X", "#0b5cag", "accent_color"},
			{"X", "blue", "accent_color"},
			{"X", "", "accent_color"},
			{"", "#0b5cad", "name"},
			{"   ", "#0b5cad", "name"},
			{strings.Repeat("n", 61), "#0b5cad", "name"},
			{"Zwei\nZeilen", "#0b5cad", "name"},
			{"Steuer\x07zeichen", "#0b5cad", "name"},
		} {
			admin.Do("PUT", "/api/v1/site", map[string]string{"name": bad.name, "accent_color": bad.color}).
				WantProblem(t, http.StatusUnprocessableEntity, bad.field)
		}
		if id := get(t, anon); id.Name != "mitreden" {
			t.Fatalf("a refused change changed the identity: %+v", id)
		}
		r := admin.Do("PUT", "/api/v1/site", map[string]string{"name": " " + strings.Repeat("ä", 59) + "x ", "accent_color": "#8B0000"})
		if r.Status != http.StatusOK {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		if id := get(t, anon); id.Name != strings.Repeat("ä", 59)+"x" || id.AccentColor != "#8b0000" {
			t.Fatalf("after the change: %+v", id)
		}
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action = 'site.update'").Scan(t.Context(), &n); err != nil || n != 1 {
			t.Fatalf("%d audit entries (%v)", n, err)
		}
	})
}

// The name shows in the header and every page's title, also on pages the
// cache kept for anonymous readers before the change; the colour in the
// theme stylesheet the pages link.
func TestIdentityOnPages(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		anon := s.Client()
		paths := []string{"/", "/c/wir2", "/m/1", "/impressum"}
		for _, p := range paths {
			r := anon.Get(p)
			if !strings.Contains(r.Text(), " · mitreden</title>") {
				t.Fatalf("%s: the default title: %s", p, r.Body)
			}
		}
		// Now /c/wir2 and /m/1 are kept in the page cache.
		hits, _ := s.App.Pages.Cache.Stats()
		anon.Get("/c/wir2")
		if now, _ := s.App.Pages.Cache.Stats(); now != hits+1 {
			t.Fatal("the consultation page is not served from the cache: the test would prove nothing")
		}
		admin := s.Admin()
		if r := admin.Do("PUT", "/api/v1/site", map[string]string{"name": "Stadt <Muster> & Co", "accent_color": "#7a1f5c"}); r.Status != http.StatusOK {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		for _, c := range []*apptest.Client{anon, s.Browser(apptest.AdminEmail, apptest.AdminPassword)} {
			for _, p := range paths {
				r := c.Get(p)
				apptest.CheckPage(t, r, "de")
				page := r.Text()
				if !strings.Contains(page, " · Stadt &lt;Muster&gt; &amp; Co</title>") || strings.Contains(page, "· mitreden</title>") {
					t.Errorf("%s: the title does not end with the new name", p)
				}
				if !strings.Contains(page, `<span>Stadt &lt;Muster&gt; &amp; Co</span></a>`) {
					t.Errorf("%s: the header does not show the new name", p)
				}
				if !strings.Contains(page, `<link rel="stylesheet" href="/site/theme.css?v=7a1f5c">`) {
					t.Errorf("%s: no link to the theme of the new colour", p)
				}
			}
		}
		r := anon.Get("/site/theme.css?v=7a1f5c")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") ||
			!strings.Contains(r.Text(), "--accent:#7a1f5c;") || !strings.Contains(r.Text(), "--accent-dark:#571642") {
			t.Fatalf("theme: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("the current theme's Cache-Control is %q", cc)
		}
		if cc := anon.Get("/site/theme.css?v=0b5cad").Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("an old theme address is kept: Cache-Control %q", cc)
		}
	})
}

// Logos: PNG and SVG up to 200 KiB, served with their type, long cache
// headers and, for SVG, a policy that forbids scripts.
func TestLogo(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin, anon := s.Admin(), s.Client()
		if r := anon.Get("/site/logo"); r.Status != http.StatusNotFound {
			t.Fatalf("a logo before any upload: %d", r.Status)
		}
		put := func(contentType string, body []byte) *apptest.Response {
			return admin.Do("PUT", "/api/v1/site/logo", apptest.Raw{ContentType: contentType, Body: body})
		}
		put("image/jpeg", []byte("\xff\xd8\xff")).WantProblem(t, http.StatusUnsupportedMediaType, "")
		put("application/json", []byte(`{}`)).WantProblem(t, http.StatusUnsupportedMediaType, "")
		put(site.PNG, append(bytes.Clone(tinyPNG), make([]byte, 201<<10)...)).WantProblem(t, http.StatusRequestEntityTooLarge, "")
		put(site.PNG, []byte("GIF89a")).WantProblem(t, http.StatusUnprocessableEntity, "logo")
		put(site.SVG, []byte(`<html><svg/></html>`)).WantProblem(t, http.StatusUnprocessableEntity, "logo")
		put(site.SVG, []byte(`<svg><g></svg>`)).WantProblem(t, http.StatusUnprocessableEntity, "logo")
		put(site.PNG, nil).WantProblem(t, http.StatusUnprocessableEntity, "logo")
		if id := get(t, anon); id.LogoURL != nil {
			t.Fatalf("a refused logo was kept: %+v", id)
		}

		// Exactly 200 KiB passes, also where the API's body limit is smaller.
		big := append(bytes.Clone(tinyPNG), make([]byte, site.MaxLogo-len(tinyPNG))...)
		r := put(site.PNG, big)
		if r.Status != http.StatusOK {
			t.Fatalf("a 200 KiB PNG: %d %s", r.Status, r.Body)
		}
		var id identityJSON
		r.JSON(t, &id)
		if id.LogoURL == nil || !strings.HasPrefix(*id.LogoURL, "/site/logo?v=") {
			t.Fatalf("answer: %s", r.Body)
		}
		logo := anon.Get(*id.LogoURL)
		if logo.Status != http.StatusOK || logo.Header.Get("Content-Type") != site.PNG || !bytes.Equal(logo.Body, big) ||
			logo.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(logo.Header.Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("logo: %d %v (%d bytes)", logo.Status, logo.Header, len(logo.Body))
		}
		home := anon.Get("/").Text()
		if !strings.Contains(home, `<img class="brand-logo" src="`+*id.LogoURL+`" alt="">`) {
			t.Fatal("the header does not show the logo")
		}

		svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10"/></svg>`)
		if r := put("image/svg+xml; charset=utf-8", svg); r.Status != http.StatusOK {
			t.Fatalf("SVG: %d %s", r.Status, r.Body)
		}
		id = get(t, anon)
		logo = anon.Get(*id.LogoURL)
		csp := logo.Header.Get("Content-Security-Policy")
		if logo.Header.Get("Content-Type") != site.SVG || !bytes.Equal(logo.Body, svg) ||
			!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
			t.Fatalf("SVG served as %q with policy %q", logo.Header.Get("Content-Type"), csp)
		}
		if r := admin.Do("DELETE", "/api/v1/site/logo", nil); r.Status != http.StatusOK || !strings.Contains(r.Text(), `"logo_url":null`) {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if r := anon.Get("/site/logo"); r.Status != http.StatusNotFound {
			t.Fatalf("a removed logo: %d", r.Status)
		}
	}, apptest.WithBodyLimit(64<<10))
}

// With the default body limit (1 MiB), a logo over 200 KiB reaches the
// handler, which answers 413 itself.
func TestLogoTooLargeUnderTheDefaultLimit(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		r := s.Admin().Do("PUT", "/api/v1/site/logo", apptest.Raw{ContentType: site.PNG, Body: append(bytes.Clone(tinyPNG), make([]byte, 201<<10)...)})
		r.WantProblem(t, http.StatusRequestEntityTooLarge, "logo")
	})
}

func multipartLogo(t *testing.T, csrf, filename, contentType string, data []byte) apptest.Raw {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("_csrf", csrf); err != nil {
		t.Fatal(err)
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="logo"; filename=%q`, filename)}
	h["Content-Type"] = []string{contentType}
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return apptest.Raw{ContentType: w.FormDataContentType(), Body: b.Bytes()}
}

// The administration's page: forms that work without a script, errors
// beside the fields, and the warning about placeholder legal texts.
func TestAdminSitePage(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		admin.CSRF = "" // as a browser without script: the form's field only
		page := admin.Get("/admin/site")
		apptest.CheckPage(t, page, "de")
		csrf := apptest.FormCSRF(t, page)

		r := admin.Do("POST", "/admin/site", url.Values{"_csrf": {csrf}, "name": {"Musterstadt"}, "accent_color": {"#ffff00"}, "accent_picker": {"#0b5cad"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `href="#field-accent_color"`) {
			t.Fatalf("a colour without contrast: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		// The picker counts when the text still says the stored colour.
		r = admin.Do("POST", "/admin/site", url.Values{"_csrf": {csrf}, "name": {"Musterstadt"}, "accent_color": {"#0b5cad"}, "accent_picker": {"#1d6b2f"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		if id := get(t, s.Client()); id.Name != "Musterstadt" || id.AccentColor != "#1d6b2f" {
			t.Fatalf("after the form: %+v", id)
		}

		r = admin.Do("POST", "/admin/site/logo", multipartLogo(t, csrf, "logo.jpg", "image/jpeg", []byte("\xff\xd8\xff")))
		if r.Status != http.StatusUnsupportedMediaType || !strings.Contains(r.Text(), `href="#field-logo"`) {
			t.Fatalf("a JPEG by the form: %d", r.Status)
		}
		apptest.CheckPage(t, r, "de")
		r = admin.Do("POST", "/admin/site/logo", multipartLogo(t, csrf, "logo.png", site.PNG, append(bytes.Clone(tinyPNG), make([]byte, 201<<10)...)))
		if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Text(), `href="#field-logo"`) {
			t.Fatalf("a large PNG by the form: %d", r.Status)
		}
		r = admin.Do("POST", "/admin/site/logo", multipartLogo(t, csrf, "logo.png", site.PNG, tinyPNG))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		page = admin.Get("/admin/site")
		apptest.CheckPage(t, page, "de")
		if !strings.Contains(page.Text(), `class="logo-preview" src="/site/logo?v=`) {
			t.Fatal("the page does not show the current logo")
		}
		if r := admin.Do("POST", "/admin/site/logo/remove", url.Values{"_csrf": {csrf}}); r.Status != http.StatusSeeOther {
			t.Fatalf("remove: %d", r.Status)
		}
		if id := get(t, s.Client()); id.LogoURL != nil {
			t.Fatalf("the logo is still there: %+v", id)
		}
	})
}

// Until an administration saves its own Impressum and Datenschutz, /admin
// says they are placeholders and links to their forms.
func TestLegalPlaceholderWarning(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		page := admin.Get("/admin")
		apptest.CheckPage(t, page, "de")
		text := warning(page.Text())
		if !strings.Contains(text, "Impressum/Datenschutz sind noch Platzhalter") ||
			!strings.Contains(text, `<li><a href="/admin/legal/impressum">`) || !strings.Contains(text, `<li><a href="/admin/legal/datenschutz">`) {
			t.Fatal("no placeholder warning with links on a new installation")
		}
		if r := admin.Do("PUT", "/api/v1/legal/impressum", map[string]any{"body": map[string]string{"de": "Stadt Musterstadt, Rathausplatz 1"}}); r.Status != http.StatusOK {
			t.Fatalf("save the Impressum: %d %s", r.Status, r.Body)
		}
		text = warning(admin.Get("/admin").Text())
		if !strings.Contains(text, "noch Platzhalter") || strings.Contains(text, `<li><a href="/admin/legal/impressum">`) ||
			!strings.Contains(text, `<li><a href="/admin/legal/datenschutz">`) {
			t.Fatal("after saving the Impressum, the warning should name only the Datenschutz")
		}
		if r := admin.Do("PUT", "/api/v1/legal/datenschutz", map[string]any{"body": map[string]string{"de": "Wir speichern wenig."}}); r.Status != http.StatusOK {
			t.Fatalf("save the Datenschutz: %d %s", r.Status, r.Body)
		}
		if page := admin.Get("/admin").Text(); strings.Contains(page, "noch Platzhalter") || !strings.Contains(page, `href="/admin/legal/impressum"`) {
			t.Fatal("the warning stays after both texts were saved")
		}
	})
}

// warning is the placeholder warning of /admin, "" when there is none.
func warning(page string) string {
	_, after, ok := strings.Cut(page, `id="legal-placeholders"`)
	if !ok {
		return ""
	}
	text, _, _ := strings.Cut(after, "</div>")
	return text
}
