package participation

import (
	"html/template"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/frontend"
	"github.com/mitreden/mitreden/i18n"
)

// Forms filled in from a stencil are byte for byte what the templates
// render, in every language, for awkward tokens and paths too.
func TestStencilsMatchTheTemplates(t *testing.T) {
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pages.New(frontend.Templates, catalog)
	if err != nil {
		t.Fatal(err)
	}
	s := newStencils(r)
	for _, lang := range catalog.Langs() {
		for _, tc := range []struct {
			csrf, path, moderation string
			id                     int64
		}{
			{"abcDEF123-_", "/m/1", "post", 7},
			{`a"b<c>&'d`, "/i/42", "pre", 123456},
			{"", "/m/9", "post", 1},
		} {
			view := &pages.View{L: catalog.Get(lang.Code), Viewer: &access.Viewer{UserID: 5}, CSRF: tc.csrf, Path: tc.path}
			d := &Discussion{Path: tc.path, Kind: KindMeasure, ItemID: 1, Open: true, CanWrite: true, Moderation: tc.moderation,
				Reasons: Reasons, Stances: Stances, stencils: s}
			view.Data = &discussionOnly{Discussion: d}
			for range 2 { // the second time from the stencil kept
				got, err := d.ReportForm(view, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				want, err := r.Fragment("measure", "report-form", d.Report(view, "comment", tc.id))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Fatalf("%s report form for %+v:\n%s\nwant\n%s", lang.Code, tc, got, want)
				}
				got, err = d.ReplyForm(view, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				want, err = r.Fragment("measure", "comment-form", d.Form(view, tc.id))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Fatalf("%s reply form for %+v:\n%s\nwant\n%s", lang.Code, tc, got, want)
				}
			}
			c := &CommentRow{ID: tc.id, AuthorName: `Ayşe "<b>"`, Stance: "pro", Lang: "tr", Body: "Satır 1\n\nSatır <2>", CreatedAt: time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)}
			show(c, view.L)
			head, err := d.Head(view, c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.Fragment("measure", "comment-head", CommentItem{View: view, Comment: c})
			if err != nil {
				t.Fatal(err)
			}
			if head != template.HTML(want) {
				t.Fatalf("%s comment head differs", lang.Code)
			}
			c.AuthorDeleted = true
			if again, _ := d.Head(view, c); again == head {
				t.Fatalf("%s: an erased author's comment kept the old head", lang.Code)
			}
		}
	}
}
