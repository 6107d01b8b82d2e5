// Package problem is the error every handler returns: an RFC 9457 problem
// that the API renders as application/problem+json and the pages render as
// an error page. Messages are catalog keys, so the same error reads in the
// language of whoever asked.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// FieldError names the input that is wrong and why.
type FieldError struct {
	Field string
	// Key is a message-catalog key; Args fill its template.
	Key  string
	Args map[string]any
}

// Problem is an error with an HTTP status.
type Problem struct {
	Status int
	// Type is a URI naming the kind of problem; empty means about:blank.
	Type string
	// DetailKey is a message-catalog key for the detail; DetailArgs fill it.
	DetailKey  string
	DetailArgs map[string]any
	Errors     []FieldError
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Cause is kept for the server log; it never reaches the client.
	Cause error
	// Code names a refusal so clients can react without parsing text; it
	// and Members are RFC 9457 extension members of the answer.
	Code    string
	Members map[string]any
	// Event names the security event (package securitylog) the answer is
	// logged as, such as access.refused; "" for none.
	Event string
}

// Refusal codes (CONTRACT.md, "Wave 2 additions").
const (
	CodeEmailUnverified        = "email_unverified"
	CodePasswordChangeRequired = "password_change_required"
	CodeTwoFactorRequired      = "two_factor_required"
	CodeBlocked                = "blocked"
	CodeSelfDecision           = "self_decision"
	CodeOtherConsultation      = "other_consultation"
)

// Refused is 403 with a refusal code.
func Refused(code, detailKey string) *Problem {
	return &Problem{Status: http.StatusForbidden, DetailKey: detailKey, Code: code}
}

func (p *Problem) Error() string {
	msg := fmt.Sprintf("%d %s", p.Status, http.StatusText(p.Status))
	if p.DetailKey != "" {
		msg += ": " + p.DetailKey
	}
	for _, fe := range p.Errors {
		msg += fmt.Sprintf(" [%s: %s]", fe.Field, fe.Key)
	}
	if p.Cause != nil {
		msg += ": " + p.Cause.Error()
	}
	return msg
}

func (p *Problem) Unwrap() error { return p.Cause }

// HTTPStatus is the status the problem is answered with.
func (p *Problem) HTTPStatus() int { return p.Status }

// StatusOf is the status err is answered with: a problem's own, anything
// else 500.
func StatusOf(err error) int {
	var p *Problem
	if errors.As(err, &p) {
		return p.Status
	}
	return http.StatusInternalServerError
}

// New returns a problem with a status and a detail message key.
func New(status int, detailKey string) *Problem {
	return &Problem{Status: status, DetailKey: detailKey}
}

// With adds template arguments to the detail.
func (p *Problem) With(args map[string]any) *Problem {
	p.DetailArgs = args
	return p
}

// ValidationType is the problem type of input that fails validation.
const ValidationType = "/problems/validation"

// Invalid is 422 with the fields that are wrong.
func Invalid(errs ...FieldError) *Problem {
	return &Problem{Status: http.StatusUnprocessableEntity, Type: ValidationType, DetailKey: "error.invalid", Errors: errs}
}

// Field is shorthand for one FieldError.
func Field(field, key string) FieldError { return FieldError{Field: field, Key: key} }

// FieldWith is a FieldError with template arguments.
func FieldWith(field, key string, args map[string]any) FieldError {
	return FieldError{Field: field, Key: key, Args: args}
}

// Common problems.
func BadRequest(detailKey string) *Problem { return New(http.StatusBadRequest, detailKey) }
func Unauthorized() *Problem               { return New(http.StatusUnauthorized, "error.unauthorized") }
func Forbidden() *Problem                  { return New(http.StatusForbidden, "error.forbidden") }
func NotFound() *Problem                   { return New(http.StatusNotFound, "error.not_found") }
func Conflict(detailKey string) *Problem   { return New(http.StatusConflict, detailKey) }
func TooLarge() *Problem                   { return New(http.StatusRequestEntityTooLarge, "error.too_large") }
func UnsupportedMedia() *Problem           { return New(http.StatusUnsupportedMediaType, "error.not_json") }

// TooMany is 429 with a Retry-After.
func TooMany(retry time.Duration) *Problem {
	return &Problem{Status: http.StatusTooManyRequests, DetailKey: "error.rate_limited", RetryAfter: retry}
}

// Internal hides cause from the client and keeps it for the log.
func Internal(cause error) *Problem {
	return &Problem{Status: http.StatusInternalServerError, DetailKey: "error.internal", Cause: cause}
}

// Validator collects field errors and answers them together.
type Validator struct{ errs []FieldError }

// Add records a field error.
func (v *Validator) Add(fe FieldError) { v.errs = append(v.errs, fe) }

// Check records key for field when ok is false.
func (v *Validator) Check(ok bool, field, key string) {
	if !ok {
		v.Add(Field(field, key))
	}
}

// Has reports whether field already has an error.
func (v *Validator) Has(field string) bool {
	for _, e := range v.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err is nil when nothing was wrong, else a 422 problem.
func (v *Validator) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return Invalid(v.errs...)
}
