// Package frontend holds the page templates and static assets, embedded in
// the binary: there is no front-end build step.
package frontend

import "embed"

// Templates holds templates/*.html: layout.html and one file per page.
//
//go:embed templates
var Templates embed.FS

// Static holds static/: stylesheets and the small live-update script.
//
//go:embed static
var Static embed.FS
