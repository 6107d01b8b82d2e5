package pages

import (
	"slices"
	"testing"
)

// The error summary follows the form, not the order a validator checked in.
func TestOrderErrorsFollowsTheForm(t *testing.T) {
	page := []byte(`<div class="error-summary"><a href="#field-password">…</a><a href="#field-email">…</a></div>
<input id="field-email"><input id="field-display_name"><input id="field-password">`)
	errs := []FieldMessage{{Field: "password"}, {Field: "gone"}, {Field: "email"}, {Message: "general"}}
	if !orderErrors(errs, page) {
		t.Fatal("the order did not change")
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	if want := []string{"", "email", "password", "gone"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if orderErrors(errs, page) {
		t.Error("an ordered summary is reordered")
	}
}
