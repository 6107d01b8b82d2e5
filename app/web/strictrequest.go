package web

import (
	"bytes"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/problem"
)

// Limits of a request head (CONTRACT.md, "Strict input everywhere").
const (
	// maxRequestLine answers 414 to a longer request line.
	maxRequestLine = 4 << 10
	// maxHead answers 431 to a longer head (request line and headers).
	maxHead = 8 << 10
	// readBuffer is fasthttp's read buffer, which a head must fit. It is
	// larger than maxHead so that strictRequest, which knows the path,
	// answers heads up to its size (problem+json on the API); fasthttp
	// answers a longer one with 431 before it parsed anything, so the
	// answer is the error page. Only connections reading a request hold
	// the buffer (see ReduceMemoryUsage in New).
	readBuffer = 16 << 10
)

// strictRequest refuses, before any handler reads a request, what no
// handler should ever see: a compressed body (Fiber inflates one without
// limit when a handler reads it: a few hundred bytes of brotli become a
// gigabyte), an over-long request line, and query parameters that are
// not plain text (a NUL byte reaches the database as an error).
func strictRequest(c *fiber.Ctx) error {
	if !identity(c.Request().Header.Peek(fiber.HeaderContentEncoding)) {
		return unsupportedEncoding()
	}
	h := &c.Request().Header
	line := len(h.Method()) + len(h.RequestURI()) + len(h.Protocol()) + 2
	if line > maxRequestLine {
		return problem.New(http.StatusRequestURITooLong, "error.uri_too_long")
	}
	if line+2+len(h.RawHeaders()) > maxHead {
		return problem.New(http.StatusRequestHeaderFieldsTooLarge, "error.header_too_large")
	}
	if err := checkQuery(c.Context().QueryArgs()); err != nil {
		return err
	}
	return c.Next()
}

// identity reports whether a Content-Encoding value leaves the body as it is.
func identity(v []byte) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.EqualFold(v, []byte("identity"))
}

func unsupportedEncoding() *problem.Problem {
	return problem.New(http.StatusUnsupportedMediaType, "error.content_encoding")
}

// leaveEncodedBodiesUnread runs when fasthttp has read a request's head,
// before it reads the body: an encoded body gets a limit of one byte, so
// fasthttp stops at once and the error handler answers 415 (see
// errorHandler.handle); the connection's lingering close drops the rest.
// A body of one byte or none reaches strictRequest, which answers 415.
func leaveEncodedBodiesUnread(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if !identity(h.Peek(fiber.HeaderContentEncoding)) {
		return fasthttp.RequestConfig{MaxRequestBodySize: 1}
	}
	return fasthttp.RequestConfig{}
}

// checkQuery answers 400 naming the first query parameter whose name or
// value is not valid UTF-8 or holds a control character.
func checkQuery(args *fasthttp.Args) error {
	var bad *problem.Problem
	args.VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		key := textFlaw(k)
		if key == "" {
			key = textFlaw(v)
		}
		if key != "" {
			bad = problem.BadRequest("error.query")
			bad.Errors = []problem.FieldError{problem.Field(printable(k), key)}
		}
	})
	if bad != nil {
		return bad
	}
	return nil
}

func textFlaw(b []byte) string {
	if !utf8.Valid(b) {
		return "error.text_utf8"
	}
	if bytes.ContainsFunc(b, unicode.IsControl) {
		return "error.text_control"
	}
	return ""
}

// printable names a parameter whose name itself is broken.
func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(string(b), string(utf8.RuneError)))
}
