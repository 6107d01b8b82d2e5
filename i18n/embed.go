// Package i18n holds the message catalogs, one TOML file per language
// (de.toml, en.toml, ...), embedded and loaded once at start-up by
// app/locale. Adding a language is adding a file.
package i18n

import "embed"

// Files holds the catalogs.
//
//go:embed *.toml
var Files embed.FS
