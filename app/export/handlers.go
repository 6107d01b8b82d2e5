package export

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/pages"
	"github.com/mitreden/mitreden/app/problem"
)

// Timeout bounds one export's writing.
const Timeout = 10 * time.Minute

// Handlers serve the export endpoints and the group overview page.
type Handlers struct {
	ex    *Exporter
	pages *pages.Renderer
	log   *slog.Logger
}

// NewHandlers wires the handlers.
func NewHandlers(ex *Exporter, r *pages.Renderer, log *slog.Logger) *Handlers {
	if log == nil {
		log = slog.Default()
	}
	return &Handlers{ex: ex, pages: r, log: log}
}

func formatParam(c *fiber.Ctx) (string, error) {
	f := strings.Clone(c.Query("format"))
	if !ValidFormat(f) {
		return "", &problem.Problem{Status: http.StatusBadRequest, Type: problem.ValidationType, DetailKey: "error.invalid",
			Errors: []problem.FieldError{problem.Field("format", "error.export_format")}}
	}
	return f, nil
}

// groupScope checks that the viewer works in the group of :id and loads it.
func (h *Handlers) groupScope(c *fiber.Ctx) (Scope, error) {
	v := access.From(c)
	if !v.SignedIn() {
		return Scope{}, access.Refusal(v)
	}
	id, err := jsonapi.PathID(c, "id")
	if err != nil {
		return Scope{}, err
	}
	if !v.CanServeGroup(id) {
		return Scope{}, access.Refusal(v)
	}
	return h.ex.GroupScope(c.UserContext(), id, locale.From(c))
}

// APIGroupExport is GET /api/v1/expert-groups/{id}/export?format=….
func (h *Handlers) APIGroupExport(c *fiber.Ctx) error {
	sc, err := h.groupScope(c)
	if err != nil {
		return err
	}
	return h.stream(c, sc, fmt.Sprintf("mitreden-group-%d", sc.ID))
}

// APIConsultationExport is GET /api/v1/consultations/{slug}/export?format=…
// (admins; the route checks the role).
func (h *Handlers) APIConsultationExport(c *fiber.Ctx) error {
	sc, err := h.ex.ConsultationScope(c.UserContext(), strings.Clone(c.Params("slug")), locale.From(c))
	if err != nil {
		return err
	}
	return h.stream(c, sc, "mitreden-"+sc.Slug)
}

// FileName is the name an export is saved under.
func FileName(base, format string, now time.Time) string {
	return base + "-" + now.UTC().Format("2006-01-02") + "." + format
}

// stream answers the export as a download written while it is read: the
// handler only checks and sets headers; fasthttp calls the body writer
// after it returns, so nothing of the request may be used in there.
func (h *Handlers) stream(c *fiber.Ctx, sc Scope, base string) error {
	format, err := formatParam(c)
	if err != nil {
		return err
	}
	if err := h.ex.Acquire(); err != nil {
		return err
	}
	l := locale.From(c)
	c.Set(fiber.HeaderContentType, ContentType(format))
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+FileName(base, format, time.Now())+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Status(http.StatusOK)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer h.ex.Release()
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := h.ex.Write(ctx, w, sc, format, l, nil); err != nil {
			// The status is sent already; the download ends short.
			h.log.Error("export failed", "scope", sc.Kind, "id", sc.ID, "format", format, "err", err)
			return
		}
		if err := w.Flush(); err != nil {
			h.log.Info("export not received", "err", err)
		}
	})
	return nil
}

// Overview is what /experts/{id}/summary shows.
type Overview struct {
	*Summary
	GroupID int64
	Formats []FormatLink
}

// FormatLink is a download link of the overview page.
type FormatLink struct{ Code, Label string }

func formatLinks(l *locale.Localizer) []FormatLink {
	return []FormatLink{
		{"csv", l.T("export.format_csv")}, {"xlsx", l.T("export.format_xlsx")},
		{"json", l.T("export.format_json")}, {"md", l.T("export.format_md")},
	}
}

// Bar is one segment of a stacked bar, in percent of its width.
type Bar struct {
	Class string
	X, W  float64
}

// Bars splits a tally into for, against and neutral segments of a bar.
func (o *Overview) Bars(t Tally) []Bar {
	total := float64(t.Total())
	if total == 0 {
		return nil
	}
	var out []Bar
	x := 0.0
	for _, seg := range []struct {
		class string
		n     int64
	}{{"bar-for", t.For}, {"bar-against", t.Against}, {"bar-neutral", t.Neutral}} {
		if seg.n == 0 {
			continue
		}
		w := float64(seg.n) / total * 100
		out = append(out, Bar{Class: seg.class, X: x, W: w})
		x += w
	}
	return out
}

// Width is n as a percentage of the largest of the day rows' activity.
func (o *Overview) Width(r CountRow) float64 {
	var most int64
	for _, d := range o.Days {
		most = max(most, d.Ideas+d.Comments+d.Votes)
	}
	if most == 0 {
		return 0
	}
	return float64(r.Ideas+r.Comments+r.Votes) / float64(most) * 100
}

// Day is the date of a day row (a day in the city's time), for showing
// it in the page's language.
func (o *Overview) Day(r CountRow) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, r.Key, locale.CityTime())
	if err != nil {
		return time.Time{}
	}
	return d
}

// Percent formats an approval share, "–" when there is none.
func (o *Overview) Percent(t Tally) string { return percent(t.Approval()) }

// People is a breakdown row's number of people.
func (o *Overview) People(r CountRow) int64 { return people(r.People) }

// SummaryPage is GET /experts/{id}/summary: the group's overview with the
// download links.
func (h *Handlers) SummaryPage(c *fiber.Ctx) error {
	sc, err := h.groupScope(c)
	if err != nil {
		return err
	}
	l := locale.From(c)
	sum, err := h.ex.Summary(c.UserContext(), sc, l)
	if err != nil {
		return err
	}
	v := h.pages.NewView(c, l.T("export.title", "Name", sc.Name))
	v.Data = &Overview{Summary: sum, GroupID: sc.ID, Formats: formatLinks(l)}
	return h.pages.Render(c, fiber.StatusOK, "experts_summary", v)
}
