package admin_test

import (
	"image"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mitreden/mitreden/app/apptest"
)

var (
	cardCode = regexp.MustCompile(`class="code-card-code" dir="ltr">([0-9A-Z-]+)<`)
	cardQR   = regexp.MustCompile(`<svg class="qr" viewBox="0 0 (\d+) \d+"[^>]*><rect[^>]*/><path fill="#000" d="([^"]*)"/></svg>`)
	qrSquare = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)
)

// readQR draws a card's QR code as the SVG describes it, eight pixels a
// module, and reads it back with a QR decoder, as a phone would.
func readQR(t *testing.T, size int, path string) string {
	t.Helper()
	const scale = 8
	img := image.NewGray(image.Rect(0, 0, size*scale, size*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, m := range qrSquare.FindAllStringSubmatch(path, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		for dy := range scale {
			for dx := range scale {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not read: %v", err)
	}
	return res.GetText()
}

// An administrator makes a batch of codes on the page, prints the cards
// (each QR code leads to the sign-in page with the code in the fragment),
// a person signs in with a card's code on /code without JavaScript, and a
// voided batch prints nothing more.
func TestCodeCards(t *testing.T) {
	t.Parallel()
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		admin := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
		page := admin.Get("/admin/consultations/wir2/codes")
		csrf := apptest.FormCSRF(t, page)
		r := admin.Do("POST", "/admin/consultations/wir2/codes", url.Values{"_csrf": {csrf}, "count": {"none"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `id="field-count-error"`) {
			t.Fatalf("a count that is no number: %d", r.Status)
		}
		r = admin.Do("POST", "/admin/consultations/wir2/codes", url.Values{"_csrf": {csrf}, "count": {"2"}, "label": {"Beratungsstelle Nord"}})
		cards := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(cards, "/admin/consultations/wir2/codes/") {
			t.Fatalf("make codes: %d %s", r.Status, cards)
		}
		for _, lang := range []string{"de", "ar"} {
			r = admin.Get(cards + "?lang=" + lang)
			if r.Status != http.StatusOK {
				t.Fatalf("cards: %d", r.Status)
			}
			apptest.CheckPage(t, r, lang)
		}
		codes := cardCode.FindAllStringSubmatch(r.Text(), -1)
		qrs := cardQR.FindAllStringSubmatch(r.Text(), -1)
		if len(codes) != 2 || len(qrs) != 2 {
			t.Fatalf("%d codes and %d QR codes on the cards, want 2", len(codes), len(qrs))
		}
		for _, want := range []string{`lang="ar" dir="rtl"`, `lang="uk" dir="ltr"`, s.URL + "/code", "Beratungsstelle Nord"} {
			if !strings.Contains(r.Text(), want) {
				t.Errorf("the cards lack %s", want)
			}
		}
		for i, qr := range qrs {
			size, _ := strconv.Atoi(qr[1])
			want := s.URL + "/code#" + strings.ReplaceAll(codes[i][1], "-", "")
			if got := readQR(t, size, qr[2]); got != want {
				t.Fatalf("QR code reads %q, want %q", got, want)
			}
		}

		// The QR code's page, and signing in on it.
		person := s.Client()
		form := person.Get("/code")
		apptest.CheckPage(t, form, "de")
		csrf = apptest.FormCSRF(t, form)
		r = person.Do("POST", "/code", url.Values{"_csrf": {csrf}, "code": {"AAAA-AAAA-AAAA"}, "consent": {"yes"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Text(), `id="field-code-error"`) || !strings.Contains(r.Text(), `value="AAAA-AAAA-AAAA"`) {
			t.Fatalf("a wrong code: %d", r.Status)
		}
		r = person.Do("POST", "/code", url.Values{"_csrf": {csrf}, "code": {codes[0][1]}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(), `id="field-consent-error"`) {
			t.Fatalf("no consent: %d", r.Status)
		}
		r = person.Do("POST", "/code", url.Values{"_csrf": {csrf}, "code": {codes[0][1]}, "consent": {"yes"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/c/wir2" {
			t.Fatalf("sign in: %d %s", r.Status, r.Header.Get("Location"))
		}
		me := person.Get("/me")
		apptest.CheckPage(t, me, "de")
		if !strings.Contains(me.Text(), "Teilnahme-Code") || strings.Contains(me.Text(), `action="/me/password"`) {
			t.Error("/me of a code account offers a password, or does not say how to come back")
		}

		// A used code is no longer printed; voiding prints none.
		if got := cardCode.FindAllString(admin.Get(cards).Text(), -1); len(got) != 1 {
			t.Fatalf("%d cards after one code was used, want 1", len(got))
		}
		r = admin.Do("POST", cards+"/void", url.Values{"_csrf": {csrf}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("void: %d", r.Status)
		}
		if got := cardCode.FindAllString(admin.Get(cards).Text(), -1); len(got) != 0 {
			t.Fatalf("%d cards of a voided batch", len(got))
		}
		list := admin.Get("/admin/consultations/wir2/codes?lang=de")
		if !strings.Contains(list.Text(), "Beratungsstelle Nord") || !strings.Contains(list.Text(), "Ungültig seit") {
			t.Error("the list does not show the voided batch")
		}
	})
}
