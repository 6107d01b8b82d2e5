package apptest

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var inlineCode = regexp.MustCompile(`<script>|\sstyle="|\son[a-z]+="`)

// CheckPage fails the test when an HTML page breaks the conventions every
// page keeps: the request's language on <html>, one h1, the landmarks and
// the skip link, and nothing inline that the Content-Security-Policy forbids.
func CheckPage(t testing.TB, r *Response, lang string) {
	t.Helper()
	body := r.Text()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want HTML", ct)
	}
	if !strings.Contains(body, `<html lang="`+lang+`" dir="`) {
		t.Errorf("html lang is not %s", lang)
	}
	if n := strings.Count(body, "<h1"); n != 1 {
		t.Errorf("%d h1 elements", n)
	}
	for _, landmark := range []string{`<main id="main"`, "<header", "<footer", `class="skip-link" href="#main"`} {
		if !strings.Contains(body, landmark) {
			t.Errorf("page lacks %s", landmark)
		}
	}
	if m := inlineCode.FindString(body); m != "" {
		t.Errorf("inline script, style or event handler %q: the CSP forbids them", m)
	}
	for _, id := range regexp.MustCompile(`href="#(field-[^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `id="`+id[1]+`"`) {
			t.Errorf("an error links to #%s, which no element on the page has", id[1])
		}
	}
}

// FormCSRF reads the _csrf field of the first form on a page.
func FormCSRF(t testing.TB, r *Response) string {
	t.Helper()
	_, after, ok := strings.Cut(r.Text(), `name="_csrf" value="`)
	if !ok {
		t.Fatalf("the page has no form with a _csrf field: %d", r.Status)
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// AccountAs registers email and gives it role (resident, expert,
// moderator, admin) through the administration's API; it answers a Bearer
// client of the account.
func (s *Server) AccountAs(email, name, role string) *Client {
	s.t.Helper()
	c := s.Register(email, name)
	if role != "resident" {
		r := s.Admin().Do(http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", c.UserID), map[string]string{"role": role})
		if r.Status != http.StatusOK {
			s.t.Fatalf("give %s the role %s: %d %s", email, role, r.Status, r.Body)
		}
	}
	return c
}

// WantProblem fails the test unless the response is an
// application/problem+json with status and, when field is not "", an
// error naming that field.
func (r *Response) WantProblem(t testing.TB, status int, field string) {
	t.Helper()
	if r.Status != status || r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(r.Text(), `"detail"`) {
		t.Fatalf("status %d %s, want %d problem+json: %s", r.Status, r.Header.Get("Content-Type"), status, r.Body)
	}
	if field != "" && !strings.Contains(r.Text(), `"field":"`+field+`"`) {
		t.Fatalf("the problem does not name %s: %s", field, r.Body)
	}
}
