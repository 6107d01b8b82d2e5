package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mitreden/mitreden/app/apptest"
)

// The checker sends requests to a test server the way API clients do and
// validates each request and each answer against the document with
// kin-openapi: status, headers, content type and body. Only the journey
// (journey_test.go) uses it.

// registerDecoders teaches kin-openapi the media types of the API's
// downloads and uploads that it does not know, as opaque bytes or text.
var registerDecoders = sync.OnceFunc(func() {
	// The CSV export is separated by semicolons, as spreadsheets in
	// Germany read it: kin-openapi's CSV decoder expects commas.
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	for _, mt := range []string{"image/png", "image/svg+xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
})

type checker struct {
	t      *testing.T
	s      *apptest.Server
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	// answered counts the validated answers of each operation.
	answered map[string]int
}

func newChecker(t *testing.T, s *apptest.Server) *checker {
	t.Helper()
	registerDecoders()
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &checker{t: t, s: s, doc: doc, router: router, answered: map[string]int{}}
}

// caller is one client of the journey: anonymous, with a Bearer token, or
// a browser's cookie session sending its CSRF token.
type caller struct {
	c     *checker
	http  *http.Client
	token string
	csrf  string
	// header is sent with every request.
	header http.Header
}

// anonymous is a caller without credentials, who keeps no cookies.
func (c *checker) anonymous() *caller {
	return &caller{c: c, header: http.Header{}, http: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// bearer is a caller with the token of a session answer.
func (c *checker) bearer(session *answer) *caller {
	b := c.anonymous()
	b.token = session.str("token")
	return b
}

// browser is an anonymous caller who keeps cookies: once signed in (see
// signedIn) a cookie session.
func (c *checker) browser() *caller {
	b := c.anonymous()
	b.http.Jar, _ = cookiejar.New(nil)
	return b
}

// signedIn makes a browser send the CSRF token of its session answer.
func (a *caller) signedIn(session *answer) *caller {
	a.csrf = session.str("csrf_token")
	return a
}

// answer is a validated answer.
type answer struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// m is the body as a JSON object.
func (a *answer) m() map[string]any {
	a.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		a.t.Fatalf("answer %d is no JSON object: %s", a.status, a.body)
	}
	return m
}

// get walks the body's JSON by keys and indexes ("items", 0, "id").
func (a *answer) get(path ...any) any {
	a.t.Helper()
	var v any = a.m()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				a.t.Fatalf("no %v in %s", path, a.body)
			}
			v = l[k]
		}
	}
	return v
}

func (a *answer) id(path ...any) int64 {
	a.t.Helper()
	n, ok := a.get(path...).(float64)
	if !ok {
		a.t.Fatalf("no number at %v in %s", path, a.body)
	}
	return int64(n)
}

func (a *answer) str(path ...any) string {
	a.t.Helper()
	s, ok := a.get(path...).(string)
	if !ok {
		a.t.Fatalf("no string at %v in %s", path, a.body)
	}
	return s
}

// raw is a request body sent as it is, with its content type.
type raw struct {
	contentType string
	body        []byte
}

// do sends a request the document allows and checks that the answer has
// status want and is what the document says. A 401 is wanted where the
// caller lacks the credentials the document asks for: then the request
// may fail the document's security requirements, and nothing else.
func (a *caller) do(method, path string, body any, want int) *answer {
	a.c.t.Helper()
	return a.send(method, path, body, want, true)
}

// refused sends a request the document does not allow (a wrong body,
// content type or credential) and checks that the answer has status want
// and is what the document says.
func (a *caller) refused(method, path string, body any, want int) *answer {
	a.c.t.Helper()
	return a.send(method, path, body, want, false)
}

func (a *caller) send(method, path string, body any, want int, allowed bool) *answer {
	t := a.c.t
	t.Helper()
	payload, contentType := encode(t, body)
	req := a.request(method, path, payload, contentType, true)
	route, params, err := a.c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no operation in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: authenticate, MultiError: true}}
	if allowed {
		err := openapi3filter.ValidateRequest(context.Background(), in)
		var security *openapi3filter.SecurityRequirementsError
		if err != nil && !(want == http.StatusUnauthorized && errors.As(err, &security)) {
			t.Errorf("%s %s: the request does not follow the document: %v", method, path, err)
		}
	}
	resp, err := a.http.Do(a.request(method, path, payload, contentType, false))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	ans := &answer{t: t, status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		ans.body, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
	}
	resp.Body.Close()
	if ans.status != want {
		t.Errorf("%s %s: %d, want %d: %.400s", method, path, ans.status, want, ans.body)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ans.status, Header: ans.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(ans.body)); err != nil {
		t.Errorf("%s %s: the %d answer does not follow the document: %v\n%.600s", method, path, ans.status, err, ans.body)
	}
	a.c.mu.Lock()
	a.c.answered[strings.ToUpper(method)+" "+route.Path]++
	a.c.mu.Unlock()
	return ans
}

func encode(t *testing.T, body any) ([]byte, string) {
	switch b := body.(type) {
	case nil:
		return nil, ""
	case raw:
		return b.body, b.contentType
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return data, "application/json"
}

// request builds a request as the caller sends it, anew for each use (a
// validation reads its body); one to validate carries the cookies the
// client would add from its jar.
func (a *caller) request(method, path string, payload []byte, contentType string, validate bool) *http.Request {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequest(method, a.c.s.URL+"/api/v1"+path, rd)
	if err != nil {
		a.c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	for k, v := range a.header {
		req.Header[k] = v
	}
	if validate && a.http.Jar != nil {
		for _, c := range a.http.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	return req
}

// authenticate checks that a request carries what a security scheme of
// the document names; whether the credential is good is the server's to
// say.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req, s := in.RequestValidationInput.Request, in.SecurityScheme
	var present bool
	switch {
	case s.Type == "http" && s.Scheme == "bearer":
		present = strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ")
	case s.In == "cookie":
		_, err := req.Cookie(s.Name)
		present = err == nil
	case s.In == "header":
		present = req.Header.Get(s.Name) != ""
	case s.In == "query":
		present = req.URL.Query().Get(s.Name) != ""
	}
	if !present {
		return in.NewError(nil)
	}
	return nil
}

// coverage reports the operations the journey validated no answer of.
func (c *checker) coverage() (answered int, missing []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if c.answered[method+" "+path] > 0 {
				answered++
			} else {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	return answered, missing
}
