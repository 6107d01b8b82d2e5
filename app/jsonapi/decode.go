// Package jsonapi holds what every JSON endpoint shares: strict decoding of
// request bodies into problem+json answers that name the wrong field, and
// cursor pagination of lists.
package jsonapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
)

// Decode reads the request body into dst (a pointer to a struct). It
// answers 415 when the body is not JSON, 400 when it is malformed, and 422
// naming the field when a value has the wrong type, a field is unknown, or a
// text is not valid UTF-8 (checked on the raw bytes, before decoding would
// replace anything), contains U+FFFD or a control character.
func Decode(c *fiber.Ctx, dst any) error {
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return problem.UnsupportedMedia()
	}
	return DecodeBytes(c.Body(), dst)
}

// Body serves a request whose JSON body is a B: it decodes the body as
// Decode does (answering its problems), then calls h with it. The route
// wraps the handler, so the handler starts with the body in hand and the
// checks before the body (who may ask) stay in the route's middleware.
func Body[B any](h func(c *fiber.Ctx, body *B) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body B
		if err := Decode(c, &body); err != nil {
			return err
		}
		return h(c, &body)
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// DecodeBytes is Decode without the request.
func DecodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.BadRequest("error.body_required")
	}
	if !utf8.Valid(body) {
		return problem.Invalid(problem.Field(fieldAt(body, firstInvalid(body)), "error.text_utf8"))
	}
	if duplicateKey(body) {
		return problem.BadRequest("error.duplicate_key")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.BadRequest("error.malformed_json")
	}
	var errs []problem.FieldError
	checkStrings(reflect.ValueOf(dst), "", &errs)
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	return nil
}

func decodeProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return problem.BadRequest("error.body_object")
		}
		return problem.Invalid(problem.Field(typeErr.Field, "error.wrong_type"))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return problem.BadRequest("error.malformed_json")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return problem.Invalid(problem.Field(name, "error.unknown_field"))
	}
	return problem.BadRequest("error.malformed_json")
}

// duplicateKey reports whether an object in body, at any depth, has a
// key twice. encoding/json would silently keep the last value (and it
// matches field names ignoring case, so "Email" and "email" count as
// one): a check that read the first value and a use of the last is how
// input gets smuggled past validation. Malformed JSON answers false and
// is left to the decoder.
func duplicateKey(body []byte) bool {
	type object struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*object // nil for an array
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &object{keys: map[string]bool{}, expectKey: true})
			case '[':
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].expectKey {
				top := stack[n-1]
				key := strings.ToLower(t)
				if top.keys[key] {
					return true
				}
				top.keys[key] = true
				top.expectKey = false
				continue
			}
		}
		valueDone()
	}
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// fieldAt finds the JSON path of the value (or key) that spans byte offset
// bad, by walking the tokens; "" when it cannot tell.
func fieldAt(body []byte, bad int) string {
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []*frame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			if f.object {
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			} else {
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return sb.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		end := dec.InputOffset()
		covers := int64(bad) >= start && int64(bad) < end
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, &frame{object: d == '{', expectKey: d == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey {
			top := stack[len(stack)-1]
			top.key, _ = tok.(string)
			top.expectKey = false
			if covers {
				return path()
			}
			continue
		}
		if covers {
			return path()
		}
		valueDone()
	}
}

// checkStrings walks every string decoded into v and records those that
// break the plain-text rules.
func checkStrings(v reflect.Value, path string, errs *[]problem.FieldError) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkStrings(v.Elem(), path, errs)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			checkStrings(v.Field(i), join(path, name), errs)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			p := join(path, k.String())
			if k.Kind() == reflect.String {
				if key := plaintext.Flaw(k.String()); key != "" {
					*errs = append(*errs, problem.Field(p, key))
					continue
				}
			}
			checkStrings(iter.Value(), p, errs)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			checkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]", errs)
		}
	case reflect.String:
		if key := plaintext.Flaw(v.String()); key != "" {
			*errs = append(*errs, problem.Field(path, key))
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
