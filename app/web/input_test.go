package web_test

import (
	"net/http"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// An id in a path is plain decimal digits: one item has one address.
func TestPathIDsArePlainDigits(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	c := s.Client()
	for _, id := range []string{"+1", "01", "1e3", "%201", "1%20", "0x1", "-1", "0", "99999999999999999999"} {
		c.Get("/api/v1/measures/"+id).WantProblem(t, http.StatusNotFound, "")
		if r := c.Get("/m/" + id); r.Status != http.StatusNotFound {
			t.Errorf("/m/%s: %d", id, r.Status)
		}
	}
	if r := c.Get("/api/v1/measures/1"); r.Status != http.StatusOK {
		t.Fatalf("/api/v1/measures/1: %d", r.Status)
	}
}

// A JSON object with a key twice answers 400: which value counts would
// depend on the parser.
func TestDuplicateJSONKeysAreRefused(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	body := `{"email":"nobody@example.org","password":"wrong-password","email":"` + apptest.AdminEmail + `"}`
	s.Client().Do("POST", "/api/v1/auth/login", apptest.Raw{ContentType: "application/json", Body: []byte(body)}).WantProblem(t, http.StatusBadRequest, "")
}
