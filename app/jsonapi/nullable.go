package jsonapi

import (
	"bytes"
	"encoding/json"
)

// Nullable is a field of a change that may be absent (leave as is), null
// (remove) or a value (set), three cases a pointer cannot tell apart.
// Decode's text checks do not look inside it (its fields are not part of
// the JSON): whoever takes Value checks it.
type Nullable[T any] struct {
	// Set says the field was in the body, as null or a value.
	Set bool `json:"-"`
	// Value is the value, nil for null.
	Value *T `json:"-"`
}

// UnmarshalJSON is called for null too (the field is not a pointer).
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set, n.Value = true, nil
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}
