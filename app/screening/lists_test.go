package screening_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/screening"
)

func TestParseLines(t *testing.T) {
	t.Parallel()
	terms, lines := screening.ParseLines("# a comment\r\nidiot*\n\n  casino  \n#not a term\nbit.ly/")
	if !slices.Equal(terms, []string{"idiot*", "casino", "bit.ly/"}) || !slices.Equal(lines, []int{2, 4, 6}) {
		t.Fatalf("terms %q lines %v", terms, lines)
	}
}

func TestScreenFindsTerms(t *testing.T) {
	t.Parallel()
	screen := screening.Compile([]string{"depp*", "halt die klappe", "bit.ly/", "earn * from home", "Casino", "100%"})
	cases := []struct {
		text string
		want []string
	}{
		{"Du Deppen!", []string{"depp*"}},
		{"Ein Teppich ist kein Depp", []string{"depp*"}},
		{"Ein Teppich", nil},
		{"Halt   die\nKlappe", []string{"halt die klappe"}},
		{"siehe https://bit.ly/abc", []string{"bit.ly/"}},
		{"earn $500 from home", []string{"earn * from home"}},
		{"CASINO-Bonus", []string{"Casino"}},
		{"Casinos", nil},
		{"zu 100% sicher", []string{"100%"}},
		{"zu 1000% sicher", nil},
		{"nichts davon", nil},
	}
	for _, c := range cases {
		if got := screen.Find(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Find(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestCheckTerms(t *testing.T) {
	t.Parallel()
	out, err := screening.Check([]string{" idiot* ", "IDIOT*", "casino"})
	if err != nil || !slices.Equal(out, []string{"idiot*", "casino"}) {
		t.Fatalf("Check: %q %v", out, err)
	}
	for _, bad := range [][]string{{""}, {"#x"}, {"**"}, {strings.Repeat("x", 101)}, {"a\nb"}, {"a\u0000"}, make([]string, 2001)} {
		if _, err := screening.Check(bad); err == nil {
			t.Errorf("Check(%q) passed", bad[0])
		}
	}
}

type list struct {
	Lang  string   `json:"lang"`
	Terms []string `json:"terms"`
}

func TestScreeningLists(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		// The first start copied the seed file of every language into the database.
		var n int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM screening_lists").Scan(t.Context(), &n); err != nil || n != len(s.App.Catalog.Langs()) {
			t.Fatalf("lists after the first start: %d %v", n, err)
		}
		var de list
		r := admin.Get("/api/v1/moderation/screening/de")
		r.JSON(t, &de)
		if r.Status != 200 || de.Lang != "de" || !slices.Contains(de.Terms, "idiot*") || !slices.Contains(de.Terms, "bit.ly/") || slices.ContainsFunc(de.Terms, func(s string) bool { return strings.HasPrefix(s, "#") }) {
			t.Fatalf("seeded list: %d %s", r.Status, r.Body)
		}
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM screening_lists WHERE lang = 'de'").Scan(t.Context(), &n); err != nil || n != 1 {
			t.Fatalf("the seed was not stored: %d %v", n, err)
		}

		r = admin.Do("PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"spam*", " Werbung ", "spam*"}})
		var put list
		r.JSON(t, &put)
		if r.Status != 200 || !slices.Equal(put.Terms, []string{"spam*", "Werbung"}) {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		admin.Get("/api/v1/moderation/screening/de").JSON(t, &de)
		if !slices.Equal(de.Terms, put.Terms) {
			t.Fatalf("after put: %q", de.Terms)
		}
		// The text format: one term a line, comments ignored; errors name the line.
		r = admin.Do("PUT", "/api/v1/moderation/screening/en", apptest.Raw{ContentType: "text/plain; charset=utf-8", Body: []byte("# ours\nscam*\n\nfree money\n")})
		var en list
		r.JSON(t, &en)
		if r.Status != 200 || !slices.Equal(en.Terms, []string{"scam*", "free money"}) {
			t.Fatalf("put text: %d %s", r.Status, r.Body)
		}
		r = admin.Do("PUT", "/api/v1/moderation/screening/en", apptest.Raw{ContentType: "text/plain", Body: []byte("ok\n\n**\n")})
		if r.Status != 422 || !strings.Contains(r.Text(), `"field":"line 3"`) {
			t.Fatalf("bad text line: %d %s", r.Status, r.Body)
		}
		// An empty list is allowed: the city may screen nothing.
		if r := admin.Do("PUT", "/api/v1/moderation/screening/en", map[string]any{"terms": []string{}}); r.Status != 200 {
			t.Fatalf("empty list: %d %s", r.Status, r.Body)
		}

		var entries []struct {
			ObjectID    string `bun:"object_id"`
			BeforeState string `bun:"before_state"`
			AfterState  string `bun:"after_state"`
		}
		if err := s.App.Store.DB.NewRaw("SELECT object_id, before_state, after_state FROM audit_log WHERE action = 'screening.update' ORDER BY id").Scan(t.Context(), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 || entries[0].ObjectID != "de" || !strings.Contains(entries[0].BeforeState, "idiot*") || entries[0].AfterState != `{"terms":["spam*","Werbung"]}` ||
			!strings.Contains(entries[1].BeforeState, "get rich quick") {
			t.Fatalf("audit %+v", entries)
		}

		mod := s.AccountAs("mod@example.org", "Moderatorin", "moderator")
		many := make([]string, 2001)
		for i := range many {
			many[i] = fmt.Sprintf("term%d", i)
		}
		cases := []struct {
			name   string
			as     *apptest.Client
			method string
			path   string
			body   any
			status int
			field  string
		}{
			{"anonymous", s.Client(), "GET", "/api/v1/moderation/screening/de", nil, 401, ""},
			{"moderator reads", mod, "GET", "/api/v1/moderation/screening/de", nil, 403, ""},
			{"moderator writes", mod, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"x"}}, 403, ""},
			{"unsupported language", admin, "GET", "/api/v1/moderation/screening/xx", nil, 404, ""},
			{"unsupported language put", admin, "PUT", "/api/v1/moderation/screening/xx", map[string]any{"terms": []string{"x"}}, 404, ""},
			{"too many terms", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": many}, 422, "terms"},
			{"term too long", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"ok", strings.Repeat("x", 101)}}, 422, "terms[1]"},
			{"empty term", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{" "}}, 422, "terms[0]"},
			{"comment as a term", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"#tag"}}, 422, "terms[0]"},
			{"term with a line break", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": []string{"a\nb"}}, 422, "terms[0]"},
			{"no terms field", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{}, 422, "terms"},
			{"terms not a list", admin, "PUT", "/api/v1/moderation/screening/de", map[string]any{"terms": "x"}, 422, "terms"},
			{"invalid utf-8 text", admin, "PUT", "/api/v1/moderation/screening/de", apptest.Raw{ContentType: "text/plain", Body: []byte("a\xff")}, 422, "body"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.as.Do(c.method, c.path, c.body).WantProblem(t, c.status, c.field)
			})
		}
		admin.Get("/api/v1/moderation/screening/de").JSON(t, &de)
		if !slices.Equal(de.Terms, []string{"spam*", "Werbung"}) {
			t.Fatalf("refused requests changed the list: %q", de.Terms)
		}
	})
}
