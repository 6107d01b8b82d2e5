package pages

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/app/access"
)

func TestPersonalizeFillsEveryMarker(t *testing.T) {
	fill := func(tag byte, arg int64) string {
		switch {
		case tag == 'V':
			return "<vote " + markCSRF + ">"
		case tag == 'A' && arg == 12:
			return "<own 12>"
		}
		return ""
	}
	for _, tc := range []struct {
		name, body, want string
		fill             func(byte, int64) string
	}{
		{"no markers", "<p>plain</p>", "<p>plain</p>", fill},
		{"token", `<input value="` + markCSRF + `">` + markCSRF, `<input value="tok">tok`, fill},
		{"parts, with the token inside", "a" + Mark('V', 0) + "b" + Mark('A', 12) + "c", "a<vote tok>b<own 12>c", fill},
		{"a part nobody fills", "a" + Mark('A', 99) + "b", "ab", fill},
		{"no filler: only the token", Mark('V', 0) + markCSRF, "tok", nil},
		{"the prefix alone at the end", "x" + markPrefix, "x", fill},
		{"a part without its end", "x" + markPrefix + "A12", "x12", fill},
		{"a marker from another process stays text", "zq0123456789abcdef01234567qC", "zq0123456789abcdef01234567qC", fill},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(personalize(nil, tc.body, "tok", tc.fill)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadersOfOneShapeShareAPage(t *testing.T) {
	resident := func(id int64) *access.Viewer { return &access.Viewer{UserID: id, Role: access.Resident} }
	if shape(resident(1)) != shape(resident(2)) {
		t.Fatal("two residents do not share their pages")
	}
	for _, v := range []*access.Viewer{
		{UserID: 3, Role: access.Moderator},
		{UserID: 4, Role: access.Expert, Groups: []int64{1}},
		{UserID: 5, Role: access.Expert, Groups: []int64{1, 2}},
		{UserID: 6, Role: access.Admin},
	} {
		if shape(v) == shape(resident(1)) || (len(v.Groups) > 0 && !strings.Contains(shape(v), "1")) {
			t.Errorf("%+v shares a resident's page: %q", v, shape(v))
		}
	}
	if shape(&access.Viewer{Role: access.Expert, Groups: []int64{1}}) == shape(&access.Viewer{Role: access.Expert, Groups: []int64{1, 2}}) {
		t.Error("experts of different groups share a page")
	}
}
