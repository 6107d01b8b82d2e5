package pages

import (
	"bytes"
	"cmp"
	"math"
	"slices"
)

// orderErrors puts the field errors in the order their fields appear in
// page, the rendered HTML, so the error summary reads like the form does
// whatever order a validator checked in. Messages without a field come
// first, errors for fields not on the page last. It reports whether the
// order changed (the page then has to be rendered again).
func orderErrors(errs []FieldMessage, page []byte) bool {
	if len(errs) < 2 {
		return false
	}
	pos := make(map[string]int, len(errs))
	for _, e := range errs {
		switch i := bytes.Index(page, []byte(`id="field-`+e.Field+`"`)); {
		case e.Field == "":
			pos[e.Field] = -1
		case i < 0:
			pos[e.Field] = math.MaxInt
		default:
			pos[e.Field] = i
		}
	}
	byPos := func(a, b FieldMessage) int { return cmp.Compare(pos[a.Field], pos[b.Field]) }
	if slices.IsSortedFunc(errs, byPos) {
		return false
	}
	slices.SortStableFunc(errs, byPos)
	return true
}
