package openapi_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/openapi"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// load reads the embedded document with kin-openapi and validates it:
// an OpenAPI 3.1 document whose schemas are JSON Schema 2020-12.
func load(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := load(t)
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) != 1 {
				t.Errorf("%s: needs an operationId, a summary and one tag", where)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is %s's too", where, op.OperationID, other)
			}
			ids[op.OperationID] = where
			if op.Responses.Default() == nil {
				t.Errorf("%s: no default answer (the problem document of any other error)", where)
			}
		}
	}
}

// fiberParam is a Fiber path parameter (:id).
var fiberParam = regexp.MustCompile(`:([a-z_]+)`)

// apiRoutes lists the /api/v1 routes of the application's route table
// (the table the generated refusal test reads too), as "METHOD /path"
// with the path relative to the document's server and parameters
// written {id}.
func apiRoutes(t *testing.T) []string {
	s := apptest.Start(t, storetest.NewMigratedDatabase(t, config.SQLite))
	seen := map[string]bool{}
	var out []string
	for _, r := range s.App.Fiber.GetRoutes(true) {
		path, ok := strings.CutPrefix(r.Path, "/api/v1/")
		if !ok || r.Method == http.MethodHead {
			continue
		}
		op := r.Method + " /" + fiberParam.ReplaceAllString(path, "{$1}")
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	sort.Strings(out)
	return out
}

// The document and the routes cannot drift apart: every route under
// /api/v1 has its operation, and every operation its route.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	doc := load(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	routes := apiRoutes(t)
	if len(routes) < 90 {
		t.Fatalf("only %d API routes found: is the route table read whole?", len(routes))
	}
	for _, r := range routes {
		if !documented[r] {
			t.Errorf("%s is a route but has no operation in app/openapi/openapi.json", r)
		}
		delete(documented, r)
	}
	for op := range documented {
		t.Errorf("%s is documented but no route", op)
	}
	t.Logf("%d routes, all documented", len(routes))
}

func TestServedAsJSON(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.NewMigratedDatabase(t, config.SQLite))
	r := s.Client().Get("/api/v1/openapi.json")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if string(r.Body) != string(openapi.Document) {
		t.Error("the answer is not the embedded document")
	}
}
