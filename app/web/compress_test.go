package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Answers are still compressed as clients ask (after updating brotli and
// klauspost/compress): pages kept in the page cache, and the rest through
// the compress middleware.
func TestAnswersAreCompressed(t *testing.T) {
	s := apptest.Start(t, storetest.NewDatabase(t, config.SQLite))
	member := s.Browser(apptest.AdminEmail, apptest.AdminPassword)
	for _, c := range []struct {
		client   *apptest.Client
		path     string
		encoding string
		want     string
	}{
		{s.Client(), "/c/wir2", "br", "WIR sind Hannover"},
		{s.Client(), "/c/wir2", "gzip", "WIR sind Hannover"},
		{member, "/c/wir2", "br", "WIR sind Hannover"},
		{member, "/api/v1/consultations/wir2", "gzip", `"slug":"wir2"`},
		{member, "/api/v1/consultations/wir2", "br", `"slug":"wir2"`},
	} {
		c.client.Headers["Accept-Encoding"] = c.encoding
		r := c.client.Get(c.path)
		if got := r.Header.Get("Content-Encoding"); got != c.encoding {
			t.Errorf("%s as %s: Content-Encoding %q", c.path, c.encoding, got)
			continue
		}
		var rd io.Reader
		if c.encoding == "br" {
			rd = brotli.NewReader(bytes.NewReader(r.Body))
		} else {
			zr, err := gzip.NewReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			rd = zr
		}
		plain, err := io.ReadAll(rd)
		if err != nil || !strings.Contains(string(plain), c.want) {
			t.Errorf("%s as %s: %v, %.100q", c.path, c.encoding, err, plain)
		}
	}
}
