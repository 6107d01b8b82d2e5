package openapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mitreden/mitreden/app/browsertest"
)

// docs/api.html reads on a 390 px phone without scrolling sideways, as
// the application's pages do: long paths and schemas wrap or scroll
// inside their own box.
func TestRenderingFitsAPhone(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../docs")))
	defer srv.Close()
	tab := browsertest.Start(t, srv.URL).Tab()
	tab.Viewport(390, 844)
	tab.Open("/api.html")
	wide := browsertest.Eval[string](tab, `(() => {
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w) return "";
  for (const e of document.querySelectorAll("body *")) {
    if (!e.parentElement.closest("table") && e.getBoundingClientRect().right > w) return e.outerHTML.slice(0, 200);
  }
  return "text that does not wrap, " + document.documentElement.scrollWidth + " px wide";
})()`)
	if wide != "" {
		t.Fatalf("docs/api.html scrolls sideways at 390 px; too wide: %s", wide)
	}
}
