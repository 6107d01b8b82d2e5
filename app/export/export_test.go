package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/export"
)

func account(t *testing.T, s *apptest.Server, email string, role access.Role, groups ...int64) *apptest.Client {
	t.Helper()
	if _, err := s.App.Accounts.Create(t.Context(), accounts.NewAccount{
		Email: email, Password: "a-good-password", DisplayName: "Klarname " + strings.Split(email, "@")[0], Role: role, Groups: groups,
	}); err != nil {
		t.Fatal(err)
	}
	return s.Login(email, "a-good-password")
}

func must(t *testing.T, r *apptest.Response, status int) *apptest.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

func created(t *testing.T, r *apptest.Response) int64 {
	t.Helper()
	var out struct{ ID int64 }
	must(t, r, 201).JSON(t, &out)
	return out.ID
}

// Texts that must never reach an export of group 1.
const (
	hiddenText   = "HIDDEN-COMMENT-TEXT"
	rejectedText = "REJECTED-COMMENT-TEXT"
	pendingText  = "PENDING-COMMENT-TEXT"
	pendingIdea  = "PENDING-IDEA-TEXT"
	otherGroup   = "OTHER-GROUP-TEXT"
	unicodeText  = "Größere Räume — Привет, соседи — مرحبا بالجميع"
	formulaText  = "=HYPERLINK(\"http://example.invalid\")"
)

// fixture fills group 1's field (Bildung, field 1, measures 1–3) with
// known contributions:
//   - measure 1: votes 3 for, 1 against, 1 neutral; 11 published comments
//     (pro 5, contra 3, neutral 3) by 11 people: 6 in German, 3 in
//     English, 1 in Turkish, 1 in Ukrainian;
//   - one published idea (theme diversitaet) with 2 votes for and one
//     comment (pro), so 12 visible comments in all;
//   - a hidden, a rejected and a pending comment and a pending idea;
//   - a comment in field 2 (group 2).
type fixture struct {
	expert, otherExpert, resident, moderator, admin *apptest.Client
	ideaID                                          int64
}

func setup(t *testing.T, s *apptest.Server) fixture {
	t.Helper()
	f := fixture{admin: s.Admin()}
	must(t, f.admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"}), 200)
	f.expert = account(t, s, "bildung@example.org", access.Expert, 1)
	f.otherExpert = account(t, s, "soziales@example.org", access.Expert, 2)
	f.moderator = account(t, s, "mod@example.org", access.Moderator)
	var res []*apptest.Client
	for i := range 11 {
		res = append(res, account(t, s, fmt.Sprintf("res%d@example.org", i), access.Resident))
	}
	f.resident = res[0]
	langs := []string{"de", "de", "de", "de", "de", "de", "en", "en", "en", "tr", "uk"}
	stances := []string{"pro", "pro", "pro", "contra", "contra", "neutral", "pro", "neutral", "neutral", "contra", "pro"}
	for i, c := range res {
		body := fmt.Sprintf("Kommentar %d zur Maßnahme.", i)
		switch i {
		case 1:
			body = unicodeText
		case 2:
			body = formulaText
		}
		created(t, c.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": body, "stance": stances[i], "lang": langs[i]}))
	}
	for i, v := range []int{1, 1, 1, -1, 0} {
		must(t, res[i].Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": v}), 200)
	}
	f.ideaID = created(t, res[0].Do("POST", "/api/v1/fields/1/ideas", map[string]any{
		"title": "Lernwerkstatt", "body": "Ein Ort zum Lernen.\nMit | Pipe und # Raute.", "themes": []string{"diversitaet"}, "lang": "de"}))
	for _, c := range res[1:3] {
		must(t, c.Do("PUT", fmt.Sprintf("/api/v1/ideas/%d/vote", f.ideaID), map[string]int{"value": 1}), 200)
	}
	created(t, res[3].Do("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", f.ideaID), map[string]string{"body": "Idee-Kommentar", "stance": "pro", "lang": "de"}))

	hidden := created(t, res[4].Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": hiddenText, "lang": "de"}))
	must(t, f.moderator.Do("POST", fmt.Sprintf("/api/v1/moderation/comment/%d/decision", hidden),
		map[string]any{"action": "hide", "reason": "insult", "statement": "Beleidigend."}), 200)
	created(t, res[5].Do("POST", "/api/v1/measures/4/comments", map[string]string{"body": otherGroup, "lang": "de"}))

	must(t, f.admin.Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "pre"}), 200)
	rejected := created(t, res[6].Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": rejectedText, "lang": "en"}))
	must(t, f.moderator.Do("POST", fmt.Sprintf("/api/v1/moderation/comment/%d/decision", rejected),
		map[string]any{"action": "reject", "reason": "spam", "statement": "Werbung."}), 200)
	created(t, res[7].Do("POST", "/api/v1/measures/2/comments", map[string]string{"body": pendingText, "lang": "en"}))
	created(t, res[8].Do("POST", "/api/v1/fields/1/ideas", map[string]string{"title": pendingIdea, "body": pendingIdea}))
	return f
}

// clean fails when an export holds anything it must not: an e-mail
// address, a display name, unpublished content or another group's.
func clean(t *testing.T, format string, body []byte, otherGroupAllowed bool) {
	t.Helper()
	if bytes.Contains(body, []byte("@")) {
		t.Errorf("%s: the export contains an @ (an e-mail address?)", format)
	}
	for _, bad := range []string{"Klarname", hiddenText, rejectedText, pendingText, pendingIdea} {
		if bytes.Contains(body, []byte(bad)) {
			t.Errorf("%s: the export contains %q", format, bad)
		}
	}
	if !otherGroupAllowed && bytes.Contains(body, []byte(otherGroup)) {
		t.Errorf("%s: the export contains another group's comment", format)
	}
}

func download(t *testing.T, c *apptest.Client, path string) []byte {
	t.Helper()
	r := must(t, c.Get(path), 200)
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	return r.Body
}

// unzip answers the uncompressed contents of every file of an XLSX.
func unzip(t *testing.T, body []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	return all
}

var pseudonym = regexp.MustCompile(`^Person \d+$`)

type jsonDoc struct {
	Format string `json:"format"`
	Scope  struct {
		Kind string
		ID   int64
		Slug string
	}
	Summary struct {
		Totals struct{ Ideas, Comments, Votes, People int64 }
		Triage []struct {
			State           string
			Ideas, Comments int64
		}
		Stances []struct {
			Stance   string
			Comments int64
		}
		Themes []struct {
			Key    string
			People int64
		}
		Languages []struct {
			Lang                    string
			Ideas, Comments, People int64
		}
		Participation []struct {
			Date                   string
			Ideas, Comments, Votes int64
		}
	}
	Measures []struct {
		ID       int64
		Tally    export.Tally
		Approval *float64
		Comments export.Stances
	}
	Ideas []struct {
		ID           int64
		Title        string
		Author       string
		Tally        export.Tally
		CommentCount int64 `json:"comment_count"`
		TriageState  string
	}
	Comments []struct {
		ID     int64
		Body   string
		Author string
		Stance string
		Lang   string
		Target struct {
			Kind string
			ID   int64
		}
	}
}

func TestExportFormats(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		f := setup(t, s)
		base := "/api/v1/expert-groups/1/export?format="

		t.Run("json", func(t *testing.T) {
			body := download(t, f.expert, base+"json&lang=en")
			clean(t, "json", body, false)
			var d jsonDoc
			if err := json.Unmarshal(body, &d); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, body)
			}
			if d.Format != "mitreden-feedback/1" || d.Scope.Kind != "expert_group" || d.Scope.ID != 1 {
				t.Fatalf("head: %+v %+v", d.Format, d.Scope)
			}
			i := slices.IndexFunc(d.Measures, func(m struct {
				ID       int64
				Tally    export.Tally
				Approval *float64
				Comments export.Stances
			}) bool {
				return m.ID == 1
			})
			if i < 0 {
				t.Fatal("measure 1 missing")
			}
			m := d.Measures[i]
			if m.Tally != (export.Tally{For: 3, Against: 1, Neutral: 1}) || m.Approval == nil || *m.Approval != 0.75 ||
				m.Comments != (export.Stances{Pro: 5, Contra: 3, Neutral: 3}) {
				t.Errorf("measure 1: %+v approval %v", m, m.Approval)
			}
			if len(d.Measures) != 3 {
				t.Errorf("%d measures, want the 3 of field 1", len(d.Measures))
			}
			for _, other := range d.Measures {
				if other.ID != 1 && other.Approval != nil {
					t.Errorf("measure %d without votes has approval %v", other.ID, *other.Approval)
				}
			}
			if len(d.Ideas) != 1 || d.Ideas[0].Title != "Lernwerkstatt" || d.Ideas[0].Tally.For != 2 || d.Ideas[0].CommentCount != 1 {
				t.Errorf("ideas: %+v", d.Ideas)
			}
			if len(d.Comments) != 12 {
				t.Errorf("%d comments, want 12", len(d.Comments))
			}
			authors := map[string]bool{}
			var unicodeSeen bool
			for _, c := range d.Comments {
				if !pseudonym.MatchString(c.Author) {
					t.Errorf("author %q is not a pseudonym", c.Author)
				}
				authors[c.Author] = true
				unicodeSeen = unicodeSeen || c.Body == unicodeText
			}
			if len(authors) != 11 || !unicodeSeen {
				t.Errorf("%d distinct pseudonyms (want 11); unicode body intact: %v", len(authors), unicodeSeen)
			}
			// The idea's author also wrote the first comment: one pseudonym for both.
			if d.Ideas[0].Author != "Person 1" || d.Comments[0].Author != "Person 1" {
				t.Errorf("pseudonyms are not stable: idea by %q, first comment by %q", d.Ideas[0].Author, d.Comments[0].Author)
			}
			tot := d.Summary.Totals
			if tot.Ideas != 1 || tot.Comments != 12 || tot.Votes != 7 || tot.People != 11 {
				t.Errorf("totals %+v", tot)
			}
			var stances []string
			for _, st := range d.Summary.Stances {
				stances = append(stances, fmt.Sprintf("%s=%d", st.Stance, st.Comments))
			}
			if strings.Join(stances, " ") != "pro=6 contra=3 neutral=3" {
				t.Errorf("stances %v", stances)
			}
			if d.Summary.Triage[0].State != "new" || d.Summary.Triage[0].Ideas != 1 || d.Summary.Triage[0].Comments != 12 {
				t.Errorf("triage %+v", d.Summary.Triage)
			}
			// Languages: de has 6 people; en (3), tr (1) and uk (1) are
			// merged into other (5).
			var langs []string
			for _, l := range d.Summary.Languages {
				langs = append(langs, fmt.Sprintf("%s:%d/%d/%d", l.Lang, l.Ideas, l.Comments, l.People))
			}
			if strings.Join(langs, " ") != "de:1/7/6 other:0/5/5" {
				t.Errorf("languages %v", langs)
			}
			// Themes: diversitaet (measure 2 and the idea) has one person; it is
			// merged, and so is the next smallest, so "other" has at least 5.
			for _, th := range d.Summary.Themes {
				if th.Key == "diversitaet" || th.People < export.MinGroup {
					t.Errorf("theme row %+v singles out fewer than %d people", th, export.MinGroup)
				}
			}
			if len(d.Summary.Themes) == 0 || d.Summary.Themes[len(d.Summary.Themes)-1].Key != "other" {
				t.Errorf("themes %+v: want an other row", d.Summary.Themes)
			}
			var days struct{ ideas, comments, votes int64 }
			for _, p := range d.Summary.Participation {
				days.ideas, days.comments, days.votes = days.ideas+p.Ideas, days.comments+p.Comments, days.votes+p.Votes
			}
			if days.ideas != 1 || days.comments != 12 || days.votes != 7 {
				t.Errorf("participation over time adds up to %+v", days)
			}
		})

		t.Run("csv", func(t *testing.T) {
			for _, k := range []struct {
				lang  string
				sep   rune
				share string
			}{{"de", ';', "0,75"}, {"en", ',', "0.75"}} {
				body := download(t, f.expert, base+"csv&lang="+k.lang)
				clean(t, "csv", body, false)
				if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
					t.Fatal("no UTF-8 byte order mark")
				}
				rd := csv.NewReader(bytes.NewReader(body[3:]))
				rd.Comma = k.sep
				rows, err := rd.ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", k.lang, err)
				}
				col := map[string]int{}
				for i, h := range rows[0] {
					col[h] = i
				}
				if len(col) != len(rows[0]) || len(rows[0]) < 20 {
					t.Fatalf("header %v", rows[0])
				}
				kinds := map[string]int{}
				var measure []string
				var formula, unicode bool
				var langs []string
				for _, r := range rows[1:] {
					kinds[r[0]]++
					if r[0] == "measure" && r[2] == "1" {
						measure = r
					}
					if r[0] == "language" {
						langs = append(langs, r[9])
					}
					if r[0] == "comment" {
						formula = formula || r[5] == "'"+formulaText
						unicode = unicode || r[5] == unicodeText
						if strings.HasPrefix(r[5], "=") {
							t.Errorf("a cell starts with =: %q", r[5])
						}
					}
				}
				if kinds["measure"] != 3 || kinds["idea"] != 1 || kinds["comment"] != 12 || kinds["total"] != 1 {
					t.Errorf("%s: kinds %v", k.lang, kinds)
				}
				if measure == nil || measure[12] != "3" || measure[13] != "1" || measure[14] != "1" || measure[15] != k.share ||
					measure[16] != "5" || measure[17] != "3" || measure[18] != "3" {
					t.Errorf("%s: measure 1 row %q", k.lang, measure)
				}
				if !formula || !unicode {
					t.Errorf("%s: formula guarded %v, unicode intact %v", k.lang, formula, unicode)
				}
				if strings.Join(langs, ",") != "de,other" {
					t.Errorf("%s: languages %v", k.lang, langs)
				}
			}
		})

		t.Run("xlsx", func(t *testing.T) {
			body := download(t, f.expert, base+"xlsx&lang=en")
			clean(t, "xlsx", unzip(t, body), false)
			x, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			sheets := x.GetSheetList()
			if strings.Join(sheets, ",") != "Summary,Measures,Ideas,Comments" {
				t.Fatalf("sheets %v", sheets)
			}
			for _, sh := range sheets {
				panes, err := x.GetPanes(sh)
				if err != nil || !panes.Freeze || panes.YSplit != 1 {
					t.Errorf("%s: header row not frozen: %+v %v", sh, panes, err)
				}
				tables, err := x.GetTables(sh)
				if err != nil || len(tables) != 1 {
					t.Errorf("%s: %d tables (with filters), %v", sh, len(tables), err)
				}
				if w, _ := x.GetColWidth(sh, "C"); w < 10 {
					t.Errorf("%s: column C width %v", sh, w)
				}
			}
			measures, _ := x.GetRows("Measures")
			var m1 []string
			for _, r := range measures[1:] {
				if r[1] == "1" {
					m1 = r
				}
			}
			if len(measures) != 4 || m1 == nil || m1[5] != "3" || m1[6] != "1" || m1[7] != "1" || m1[9] != "5" || m1[10] != "3" || m1[11] != "3" {
				t.Errorf("measures sheet %q", measures)
			}
			if v, _ := x.GetCellValue("Measures", "I2", excelize.Options{RawCellValue: true}); m1 != nil && measures[1][1] == "1" && v != "0.75" {
				t.Errorf("approval of measure 1: %q", v)
			}
			comments, _ := x.GetRows("Comments")
			ideas, _ := x.GetRows("Ideas")
			if len(comments) != 13 || len(ideas) != 2 || ideas[1][2] != "Lernwerkstatt" {
				t.Errorf("%d comment rows, %d idea rows", len(comments), len(ideas))
			}
			var unicode bool
			for _, r := range comments[1:] {
				unicode = unicode || r[5] == unicodeText
				if !pseudonym.MatchString(r[8]) {
					t.Errorf("author %q", r[8])
				}
			}
			if !unicode {
				t.Error("the Cyrillic and Arabic comment did not survive")
			}
			summary, _ := x.GetRows("Summary")
			var other bool
			for _, r := range summary {
				other = other || r[1] == "Other"
			}
			if !other {
				t.Errorf("summary has no merged row: %q", summary)
			}
		})

		t.Run("md", func(t *testing.T) {
			body := download(t, f.expert, base+"md&lang=en")
			clean(t, "md", body, false)
			md := string(body)
			for _, want := range []string{
				"# Feedback summary: Expert group Education\n",
				"| Education | Multilingual parents' evenings at primary schools | Proposed | 3 | 1 | 1 | 75 % | 5 | 3 | 3 |",
				"### Idea " + fmt.Sprint(f.ideaID) + ": Lernwerkstatt",
				"> Mit \\| Pipe und \\# Raute.",
				"> " + unicodeText,
				"| Other | 0 | 5 | 5 |",
			} {
				if !strings.Contains(md, want) {
					t.Errorf("markdown lacks %q:\n%s", want, md)
				}
			}
		})

		t.Run("consultation", func(t *testing.T) {
			body := download(t, f.admin, "/api/v1/consultations/wir2/export?format=json")
			clean(t, "consultation json", body, true)
			var d jsonDoc
			if err := json.Unmarshal(body, &d); err != nil {
				t.Fatal(err)
			}
			if d.Scope.Kind != "consultation" || d.Scope.Slug != "wir2" || len(d.Comments) != 13 || !strings.Contains(string(body), otherGroup) {
				t.Errorf("consultation export: %+v, %d comments", d.Scope, len(d.Comments))
			}
			for _, format := range export.Formats {
				body := download(t, f.admin, "/api/v1/consultations/wir2/export?format="+format)
				if format == "xlsx" {
					body = unzip(t, body)
				}
				clean(t, format, body, true)
			}
		})

		t.Run("access", func(t *testing.T) {
			for _, k := range []struct {
				name   string
				c      *apptest.Client
				path   string
				status int
				field  string
			}{
				{"anonymous", s.Client(), base + "csv", 401, ""},
				{"resident", f.resident, base + "csv", 403, ""},
				{"expert of another group", f.otherExpert, base + "csv", 403, ""},
				{"moderator", f.moderator, base + "csv", 403, ""},
				{"unknown format", f.expert, base + "pdf", 400, "format"},
				{"no format", f.expert, "/api/v1/expert-groups/1/export", 400, "format"},
				{"unknown group", f.admin, "/api/v1/expert-groups/999/export?format=csv", 404, ""},
				{"consultation, anonymous", s.Client(), "/api/v1/consultations/wir2/export?format=csv", 401, ""},
				{"consultation, expert", f.expert, "/api/v1/consultations/wir2/export?format=csv", 403, ""},
				{"consultation, resident", f.resident, "/api/v1/consultations/wir2/export?format=csv", 403, ""},
				{"consultation, unknown", f.admin, "/api/v1/consultations/nope/export?format=csv", 404, ""},
				{"consultation, unknown format", f.admin, "/api/v1/consultations/wir2/export?format=xls", 400, "format"},
			} {
				t.Run(k.name, func(t *testing.T) {
					k.c.Get(k.path).WantProblem(t, k.status, k.field)
				})
			}
			if r := f.admin.Get(base + "csv"); r.Status != 200 {
				t.Errorf("admin: %d", r.Status)
			}
		})

		t.Run("overview page", func(t *testing.T) {
			b := s.Browser("bildung@example.org", "a-good-password")
			r := must(t, b.Get("/experts/1/summary?lang=en"), 200)
			apptest.CheckPage(t, r, "en")
			page := r.Text()
			for _, want := range []string{
				`role="img" aria-label="For: 3, against: 1, neutral: 1"`, "<title>For: 3, against: 1, neutral: 1</title>",
				"75 %", `href="/api/v1/expert-groups/1/export?format=xlsx&amp;lang=en"`, "Other",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("overview lacks %q", want)
				}
			}
			if strings.Contains(page, "Klarname") || strings.Contains(page, hiddenText) {
				t.Error("the overview shows names or hidden content")
			}
			if r := must(t, b.Get("/experts/1?lang=en"), 200); !strings.Contains(r.Text(), `href="/experts/1/summary"`) {
				t.Error("the group page does not link the overview")
			}
			for _, c := range []*apptest.Client{s.Client(), f.resident, f.otherExpert} {
				if r := c.Get("/experts/1/summary"); r.Status == 200 {
					t.Errorf("someone outside the group sees the overview: %d", r.Status)
				}
			}
			admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
			if r := must(t, admin.Get("/admin/consultations/wir2?lang=en"), 200); !strings.Contains(r.Text(), `/api/v1/consultations/wir2/export?format=csv`) {
				t.Error("the admin consultation page has no export links")
			}
		})
	})
}

// Beyond MaxConcurrent exports, an instance answers 503 with Retry-After.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	ex := export.New(nil)
	for range export.MaxConcurrent {
		if err := ex.Acquire(); err != nil {
			t.Fatal(err)
		}
	}
	err := ex.Acquire()
	if err == nil {
		t.Fatal("a third export was let in")
	}
	if p, ok := err.(interface{ HTTPStatus() int }); !ok || p.HTTPStatus() != http.StatusServiceUnavailable {
		t.Fatalf("error %v, want 503", err)
	}
	ex.Release()
	if err := ex.Acquire(); err != nil {
		t.Fatalf("a released slot is not reused: %v", err)
	}
}

// An erased account's contributions stay in the export under "deleted
// account", never under a pseudonym that would link them.
func TestErasedAuthor(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		must(t, s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"}), 200)
		expert := account(t, s, "bildung@example.org", access.Expert, 1)
		gone := account(t, s, "gone@example.org", access.Resident)
		stays := account(t, s, "stays@example.org", access.Resident)
		created(t, gone.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Erster.", "lang": "de"}))
		created(t, stays.Do("POST", "/api/v1/measures/1/comments", map[string]string{"body": "Zweiter.", "lang": "de"}))
		created(t, gone.Do("POST", "/api/v1/measures/2/comments", map[string]string{"body": "Dritter.", "lang": "de"}))
		must(t, gone.Do("DELETE", "/api/v1/me", nil), 204)
		var d jsonDoc
		body := download(t, expert, "/api/v1/expert-groups/1/export?format=json&lang=en")
		clean(t, "json", body, false)
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		var authors []string
		for _, c := range d.Comments {
			authors = append(authors, c.Author)
		}
		if strings.Join(authors, ",") != "deleted account,Person 1,deleted account" {
			t.Fatalf("authors %q", authors)
		}
	})
}
