package web_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/demo"
	"github.com/mitreden/mitreden/app/store/storetest"
)

func TestPages(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		cases := []struct {
			path, lang string
			status     int
			contains   []string
		}{
			{"/", "de", 200, []string{"<h1>Beteiligungsverfahren</h1>", `href="/c/wir2"`, demo.Title}},
			{"/c/wir2", "de", 200, []string{demo.Guidelines[0]["de"], "Leitlinien", "Querschnittsthemen", "Anerkennung und Förderung von Diversität", `href="/f/`}},
			{"/c/wir2?lang=en", "en", 200, []string{demo.Guidelines[0]["en"], "Guidelines", "Fields of action"}},
			{"/f/1", "de", 200, []string{"Bildung", "Mehrsprachige Elternabende an Grundschulen", "Beispiel", "AG postmigrantisch"}},
			{"/login", "de", 200, []string{`action="/login"`, `name="_csrf"`, `for="field-email"`, `autocomplete="current-password"`}},
			{"/register", "de", 200, []string{`action="/register"`, `href="/datenschutz"`, `name="consent"`}},
			{"/barrierefreiheit", "de", 200, []string{"BITV 2.0", "WCAG"}},
			{"/impressum", "de", 200, []string{"<h1>Impressum</h1>"}},
			{"/datenschutz?lang=en", "en", 200, []string{"<h1>Privacy</h1>"}},
			{"/c/unknown", "de", 404, []string{"Fehler 404"}},
			{"/f/999999", "de", 404, []string{"Fehler 404"}},
			{"/f/abc", "de", 404, []string{}},
			{"/no/such/page", "de", 404, []string{}},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				r := s.Client().Get(c.path)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d", r.Status, c.status)
				}
				body := r.Text()
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Fatalf("content type %q", ct)
				}
				if !strings.Contains(body, `<html lang="`+c.lang+`" dir="ltr">`) {
					t.Fatalf("html lang is not %s", c.lang)
				}
				for _, want := range c.contains {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q", want)
					}
				}
				// Conventions every page keeps.
				if n := strings.Count(body, "<h1"); n != 1 {
					t.Errorf("%d h1 elements", n)
				}
				for _, landmark := range []string{`<main id="main"`, "<header", "<footer", `class="skip-link" href="#main"`, `class="lang-switch"`} {
					if !strings.Contains(body, landmark) {
						t.Errorf("page lacks %s", landmark)
					}
				}
				if regexp.MustCompile(`<script>|\sstyle="|\son[a-z]+="`).MatchString(body) {
					t.Error("inline script, style or event handler: the CSP forbids them")
				}
			})
		}
	})
}

func TestLanguageChoiceSticks(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		b := s.Client()
		if r := b.Get("/?lang=en"); !strings.Contains(r.Text(), `<html lang="en"`) {
			t.Fatal("?lang=en ignored")
		}
		if b.Cookie("lang") != "en" {
			t.Fatal("the choice was not kept in a cookie")
		}
		if r := b.Get("/c/wir2"); !strings.Contains(r.Text(), `<html lang="en"`) {
			t.Fatal("the lang cookie was ignored")
		}
		b.Headers["Accept-Language"] = "de"
		if r := b.Get("/"); !strings.Contains(r.Text(), `<html lang="en"`) {
			t.Fatal("Accept-Language beat the cookie")
		}
		if r := b.Get("/?lang=de"); !strings.Contains(r.Text(), `<html lang="de"`) {
			t.Fatal("?lang= did not beat the cookie")
		}
		// The switcher links keep the page and its query, replacing only lang.
		page := s.Client().Get("/f/1?limit=2&lang=en").Text()
		if !strings.Contains(page, `href="/f/1?lang=de&amp;limit=2" lang="de" hreflang="de"`) {
			t.Fatal("language switcher link does not keep the page")
		}
	})
}

func TestProblemsAndOperations(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		c := s.Client()
		r := c.Get("/healthz")
		if r.Status != 200 || r.Text() != `{"status":"ok"}` {
			t.Fatalf("healthz: %d %s", r.Status, r.Body)
		}
		r = c.Get("/api/v1/no-such-thing")
		if r.Status != 404 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("unknown API path: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		p := r.Map(t)
		if p["type"] != "about:blank" || p["title"] != "Not Found" || p["status"] != float64(404) || p["detail"] == "" {
			t.Fatalf("problem %s", r.Body)
		}
		r = c.Get("/api/v1/no-such-thing?lang=en")
		if r.Map(t)["detail"] != "This page or item does not exist." {
			t.Fatalf("detail not in English: %s", r.Body)
		}
		big := apptest.Raw{ContentType: "application/json", Body: []byte(`{"email":"` + strings.Repeat("a", 2<<20) + `"}`)}
		r = c.Do("POST", "/api/v1/auth/register", big)
		if r.Status != http.StatusRequestEntityTooLarge || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("oversized body: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		r = c.Get("/metrics")
		if r.Status != 200 || !strings.Contains(r.Text(), `mitreden_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
			t.Fatalf("metrics: %d\n%s", r.Status, regexp.MustCompile(`(?m)^mitreden_http_requests.*$`).FindAllString(r.Text(), -1))
		}
		r = c.Get("/")
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
			if r.Header.Get(h) == "" {
				t.Errorf("no %s header", h)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP %q", csp)
		}
		if r := c.Get("/static/css/site.css"); r.Status != 200 || !strings.Contains(r.Text(), "margin-inline") {
			t.Fatalf("stylesheet: %d", r.Status)
		}
	})
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		body := map[string]string{"email": "a@example.org", "password": strings.Repeat("p", 600), "display_name": "Aa"}
		if r := s.Client().Do("POST", "/api/v1/auth/register", body); r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("body over a 512-byte limit: %d", r.Status)
		}
	}, apptest.WithBodyLimit(512))
}

// Six languages: Arabic pages are right to left, the switcher names each
// language in itself, and a German fallback on an Arabic page is marked
// lang="de" dir="ltr".
func TestSixLanguages(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		ar := s.Client().Get("/c/wir2?lang=ar").Text()
		for _, want := range []string{
			`<html lang="ar" dir="rtl">`,
			demo.Guidelines[0]["ar"], "المبادئ التوجيهية", "المواضيع المشتركة", demo.Themes[0].Title["ar"],
			`<div class="prose" lang="de" dir="ltr">`,
			`lang="tr" hreflang="tr" dir="ltr"`, `>Türkçe</a>`,
			`lang="ar" hreflang="ar" dir="rtl"`, `>العربية</a>`,
			`>Русский</a>`, `>Українська</a>`, `>Deutsch</a>`, `>English</a>`,
		} {
			if !strings.Contains(ar, want) {
				t.Errorf("the Arabic page lacks %q", want)
			}
		}
		for lang, heading := range map[string]string{"tr": "Temel ilkeler", "ru": "Основные принципы", "uk": "Основні принципи"} {
			page := s.Client().Get("/c/wir2?lang=" + lang).Text()
			for _, want := range []string{`<html lang="` + lang + `" dir="ltr">`, heading, html.EscapeString(demo.Guidelines[6][lang]), `<div class="prose" lang="de">`} {
				if !strings.Contains(page, want) {
					t.Errorf("the %s page lacks %q", lang, want)
				}
			}
		}
		b := s.Client()
		b.Headers["Accept-Language"] = "ar-SY,ar;q=0.9,en;q=0.5"
		if r := b.Get("/"); !strings.Contains(r.Text(), `<html lang="ar" dir="rtl">`) {
			t.Error("Accept-Language ar-SY did not choose Arabic")
		}
		if r := s.Client().Get("/?lang=uk"); !strings.Contains(r.Text(), "Громадські обговорення") {
			t.Error("the Ukrainian home page is not Ukrainian")
		}
	})
}

// Pages rendered at the same time must not share memory: an earlier
// renderer handed a pooled buffer to the response and reused it for the
// next request before the first was written.
func TestConcurrentPagesKeepTheirOwnBody(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	pages := map[string]string{
		"/impressum?lang=de":        "<h1>Impressum</h1>",
		"/datenschutz?lang=en":      "<h1>Privacy</h1>",
		"/barrierefreiheit?lang=de": "BITV 2.0",
		"/c/wir2?lang=de":           "Leitlinien",
	}
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for worker := 0; worker < 8; worker++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := s.Client()
			for round := 0; round < 25; round++ {
				for path, want := range pages {
					r := client.Get(path)
					if r.Status != http.StatusOK || !strings.Contains(r.Text(), want) || !strings.HasSuffix(strings.TrimSpace(r.Text()), "</html>") {
						errs <- fmt.Sprintf("%s: status %d, %d bytes, ends %q", path, r.Status, len(r.Body), tail(r.Text()))
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for path := range errs {
		t.Errorf("%s came back with another page's or a torn body", path)
	}
}

func tail(s string) string {
	if len(s) > 80 {
		return s[len(s)-80:]
	}
	return s
}
