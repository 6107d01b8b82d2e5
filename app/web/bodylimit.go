package web

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/site"
)

// bodyLimits sets, per request and before fasthttp reads the body, how
// many bytes it may read: none of an encoded body (leaveEncodedBodiesUnread),
// a logo's worth on the logo uploads, whose limit (site.MaxLogo) does not
// follow MITREDEN_BODY_LIMIT, and limit everywhere else. The upload
// handlers answer 413 themselves to a logo over its limit that got through.
func bodyLimits(limit int) func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if conf := leaveEncodedBodiesUnread(h); conf.MaxRequestBodySize != 0 {
			return conf
		}
		path := h.RequestURI()
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		switch {
		case h.IsPut() && string(path) == site.APILogoPath:
			return fasthttp.RequestConfig{MaxRequestBodySize: max(limit, site.MaxLogo)}
		case h.IsPost() && string(path) == site.FormLogoPath:
			return fasthttp.RequestConfig{MaxRequestBodySize: max(limit, site.MaxLogo+site.FormSlack)}
		}
		return fasthttp.RequestConfig{}
	}
}
