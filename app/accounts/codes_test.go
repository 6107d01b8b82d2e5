package accounts_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

type codeBatch struct {
	Batch struct {
		ID    int64  `json:"id"`
		Label string `json:"label"`
		Count int    `json:"count"`
		Used  int    `json:"used"`
	} `json:"batch"`
	Codes []string `json:"codes"`
}

type codeSession struct {
	Token string `json:"token"`
	User  struct {
		ID            int64  `json:"id"`
		DisplayName   string `json:"display_name"`
		Role          string `json:"role"`
		EmailVerified bool   `json:"email_verified"`
	} `json:"user"`
}

// signInWithCode posts a code and answers the session, failing unless 200.
func signInWithCode(t *testing.T, s *apptest.Server, body map[string]any) (codeSession, *apptest.Client) {
	t.Helper()
	r := s.Client().Do("POST", "/api/v1/auth/code", body)
	if r.Status != http.StatusOK {
		t.Fatalf("sign in with %v: %d %s", body, r.Status, r.Body)
	}
	var sess codeSession
	r.JSON(t, &sess)
	c := s.Client()
	c.Token = sess.Token
	return sess, c
}

var codeShape = regexp.MustCompile(`^[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$`)

// A workshop's codes: made by an administrator, used by people without
// e-mail who come back with the same code, limited to their consultation,
// voided when cards are lost, and gone with the account.
func TestParticipationCodes(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Admin()
		resident := s.Register("someone@example.org", "Someone")
		for _, c := range []struct {
			name   string
			who    *apptest.Client
			path   string
			body   map[string]any
			status int
			field  string
		}{
			{"a resident", resident, "/api/v1/consultations/wir2/codes", map[string]any{"count": 3}, 403, ""},
			{"none", admin, "/api/v1/consultations/wir2/codes", map[string]any{"count": 0}, 422, "count"},
			{"too many", admin, "/api/v1/consultations/wir2/codes", map[string]any{"count": 1001}, 422, "count"},
			{"label too long", admin, "/api/v1/consultations/wir2/codes", map[string]any{"count": 1, "label": strings.Repeat("x", 101)}, 422, "label"},
			{"unknown consultation", admin, "/api/v1/consultations/nirgends/codes", map[string]any{"count": 1}, 404, ""},
		} {
			r := c.who.Do("POST", c.path, c.body)
			r.WantProblem(t, c.status, c.field)
		}

		r := admin.Do("POST", "/api/v1/consultations/wir2/codes", map[string]any{"count": 3, "label": "Workshop Linden"})
		if r.Status != http.StatusCreated {
			t.Fatalf("make codes: %d %s", r.Status, r.Body)
		}
		var b codeBatch
		r.JSON(t, &b)
		if b.Batch.Count != 3 || b.Batch.Used != 0 || b.Batch.Label != "Workshop Linden" || len(b.Codes) != 3 {
			t.Fatalf("batch: %s", r.Body)
		}
		for _, code := range b.Codes {
			if !codeShape.MatchString(code) {
				t.Fatalf("code %q has the wrong shape", code)
			}
		}
		var stored int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM participation_codes WHERE code_hash = ? OR code_hash = ?", b.Codes[0], strings.ReplaceAll(b.Codes[0], "-", "")).Scan(t.Context(), &stored); err != nil || stored != 0 {
			t.Fatalf("a code is stored as itself (%d, %v)", stored, err)
		}

		// The first use needs consent, and makes nothing without it.
		r = s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": b.Codes[0]})
		r.WantProblem(t, http.StatusUnprocessableEntity, "privacy_consent")
		// Typed in small letters, without dashes, with a name.
		typed := strings.ToLower(strings.ReplaceAll(b.Codes[0], "-", " "))
		first, person := signInWithCode(t, s, map[string]any{"code": typed, "display_name": "Anna aus Linden", "privacy_consent": true})
		if first.User.DisplayName != "Anna aus Linden" || first.User.Role != "resident" || !first.User.EmailVerified {
			t.Fatalf("code account: %+v", first.User)
		}
		me := person.Get("/api/v1/me")
		if me.Status != http.StatusOK || !strings.Contains(me.Text(), `"email":""`) {
			t.Fatalf("/me of a code account: %d %s", me.Status, me.Body)
		}
		// It votes in its consultation …
		if r := person.Do("PUT", "/api/v1/measures/1/vote", map[string]int{"value": 1}); r.Status != http.StatusOK {
			t.Fatalf("vote: %d %s", r.Status, r.Body)
		}
		// … and nowhere else.
		r = admin.Do("POST", "/api/v1/consultations", map[string]any{"slug": "anders", "title": map[string]string{"de": "Anders"}, "phase": "open", "moderation": "post"})
		if r.Status != http.StatusCreated {
			t.Fatalf("second consultation: %d %s", r.Status, r.Body)
		}
		r = admin.Do("POST", "/api/v1/consultations/anders/fields", map[string]any{"slug": "feld", "title": map[string]string{"de": "Feld"}})
		var field struct{ ID int64 }
		r.JSON(t, &field)
		ideas := "/api/v1/fields/" + strconv.FormatInt(field.ID, 10) + "/ideas"
		r = person.Do("POST", ideas, map[string]string{"title": "Woanders", "body": "Eine Idee in der anderen Beteiligung"})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Text(), `"code":"other_consultation"`) {
			t.Fatalf("an idea elsewhere: %d %s", r.Status, r.Body)
		}
		if r := resident.Do("POST", ideas, map[string]string{"title": "Woanders", "body": "Eine Idee in der anderen Beteiligung"}); r.Status != http.StatusCreated {
			t.Fatalf("other accounts contribute there: %d %s", r.Status, r.Body)
		}

		// The same code signs in to the same account; name and consent
		// count only the first time.
		again, _ := signInWithCode(t, s, map[string]any{"code": b.Codes[0], "display_name": "Jemand anderes"})
		if again.User.ID != first.User.ID || again.User.DisplayName != "Anna aus Linden" {
			t.Fatalf("second use: %+v, first %+v", again.User, first.User)
		}
		// A name is made up when none is given.
		other, _ := signInWithCode(t, s, map[string]any{"code": b.Codes[2], "privacy_consent": true})
		if other.User.ID == first.User.ID || !strings.HasPrefix(other.User.DisplayName, "Teilnehmer*in ") {
			t.Fatalf("a second code: %+v", other.User)
		}

		for _, bad := range []string{"AAAA-AAAA-AAAA", "x", "00000000000O", strings.Repeat("A", 200)} {
			r := s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": bad, "privacy_consent": true})
			r.WantProblem(t, http.StatusUnauthorized, "")
		}
		s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": " ", "privacy_consent": true}).WantProblem(t, http.StatusUnprocessableEntity, "code")

		// Voiding stops the unused code; used ones keep working.
		batch := "/api/v1/code-batches/" + strconv.FormatInt(b.Batch.ID, 10)
		if r := resident.Do("DELETE", batch, nil); r.Status != http.StatusForbidden {
			t.Fatalf("a resident voids: %d", r.Status)
		}
		for range 2 {
			if r := admin.Do("DELETE", batch, nil); r.Status != http.StatusNoContent {
				t.Fatalf("void: %d %s", r.Status, r.Body)
			}
		}
		admin.Do("DELETE", "/api/v1/code-batches/999999", nil).WantProblem(t, http.StatusNotFound, "")
		s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": b.Codes[1], "privacy_consent": true}).WantProblem(t, http.StatusUnauthorized, "")
		signInWithCode(t, s, map[string]any{"code": b.Codes[0]})

		var list struct {
			Items []struct {
				ID       int64   `json:"id"`
				Count    int     `json:"count"`
				Used     int     `json:"used"`
				VoidedAt *string `json:"voided_at"`
			} `json:"items"`
		}
		admin.Get("/api/v1/consultations/wir2/codes").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != b.Batch.ID || list.Items[0].Used != 2 || list.Items[0].VoidedAt == nil {
			t.Fatalf("list: %+v", list)
		}
		if r := resident.Get("/api/v1/consultations/wir2/codes"); r.Status != http.StatusForbidden {
			t.Fatalf("a resident lists: %d", r.Status)
		}

		// The export names the code's consultation; erasure ends the code.
		if e := person.Get("/api/v1/me/export"); !strings.Contains(e.Text(), `"participation_codes":[{"consultation":"wir2"`) {
			t.Fatalf("export: %s", e.Body)
		}
		if r := person.Do("DELETE", "/api/v1/me", nil); r.Status != http.StatusNoContent {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": b.Codes[0], "privacy_consent": true}).WantProblem(t, http.StatusUnauthorized, "")
	})
}

// Two first uses of one code at once make one account.
func TestCodeFirstUseOnce(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		var b codeBatch
		s.Admin().Do("POST", "/api/v1/consultations/wir2/codes", map[string]any{"count": 1}).JSON(t, &b)
		const n = 8
		ids := make(chan int64, n)
		for range n {
			go func() {
				r := s.Client().Do("POST", "/api/v1/auth/code", map[string]any{"code": b.Codes[0], "privacy_consent": true})
				var sess codeSession
				if r.Status == http.StatusOK {
					r.JSON(t, &sess)
				}
				ids <- sess.User.ID
			}()
		}
		first := <-ids
		for range n - 1 {
			if id := <-ids; id != first || id == 0 {
				t.Fatalf("accounts %d and %d from one code", first, id)
			}
		}
		var accounts int
		if err := s.App.Store.DB.NewRaw("SELECT COUNT(*) FROM users WHERE code_consultation_id IS NOT NULL").Scan(t.Context(), &accounts); err != nil || accounts != 1 {
			t.Fatalf("%d code accounts (%v)", accounts, err)
		}
	})
}
