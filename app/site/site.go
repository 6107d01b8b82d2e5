// Package site keeps the site's identity: the name every page's header and
// title show, the accent colour of links and buttons, and the logo. A
// city runs mitreden under its own name; until it says otherwise, the site
// is "mitreden" in mitreden's blue without a logo.
package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/freshness"
	"github.com/mitreden/mitreden/app/plaintext"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// Defaults, shown until an administrator changes them. DefaultAccent is
// site.css's --accent.
const (
	DefaultName   = "mitreden"
	DefaultAccent = "#0b5cad"
)

// Limits of what an administrator may set.
const (
	MaxName = 60
	// MaxLogo is the largest logo, in bytes.
	MaxLogo = 200 << 10
	// MinContrast is WCAG 2.1's AA ratio for normal text (1.4.3): the
	// accent colours links and button faces on white.
	MinContrast = 4.5
)

// Logo content types.
const (
	PNG = "image/png"
	SVG = "image/svg+xml"
)

// Identity is the site's identity.
type Identity struct {
	Name string
	// Accent is "#rrggbb", lower case.
	Accent string
	// Logo is nil when there is none; LogoType is PNG or SVG, LogoHash
	// names its version.
	Logo     []byte
	LogoType string
	LogoHash string
}

// LogoURL is where the logo is served, with its version so that browsers
// keep it until it changes; "" without a logo.
func (i *Identity) LogoURL() string {
	if i.LogoHash == "" {
		return ""
	}
	return "/site/logo?v=" + i.LogoHash
}

// ThemeURL is the stylesheet with the accent colour; the colour itself is
// its version.
func (i *Identity) ThemeURL() string { return "/site/theme.css?v=" + strings.TrimPrefix(i.Accent, "#") }

// AccentDark is the accent darkened for hover and pressed states, by the
// factor that makes site.css's --accent-dark of the default blue.
func (i *Identity) AccentDark() string {
	r, g, b, _ := parseColor(i.Accent)
	dark := func(c float64) int { return int(math.Round(c * 255 * 0.717)) }
	return fmt.Sprintf("#%02x%02x%02x", dark(r), dark(g), dark(b))
}

func defaults() *Identity { return &Identity{Name: DefaultName, Accent: DefaultAccent} }

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// parseColor reads "#rrggbb" into channels from 0 to 1.
func parseColor(s string) (r, g, b float64, ok bool) {
	if !colorPattern.MatchString(s) {
		return 0, 0, 0, false
	}
	ch := func(i int) float64 {
		n, _ := strconv.ParseUint(s[i:i+2], 16, 8)
		return float64(n) / 255
	}
	return ch(1), ch(3), ch(5), true
}

// Contrast is the WCAG 2.1 contrast ratio of the colour "#rrggbb" against
// white (1 to 21).
func Contrast(color string) float64 {
	r, g, b, ok := parseColor(color)
	if !ok {
		return 0
	}
	lin := func(c float64) float64 {
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	return 1.05 / (l + 0.05)
}

// Service reads and changes the identity. Every page shows it, so it is
// kept in memory and read again after any event on topics.Pages, which
// each change emits: every instance then empties its page cache and
// reads the new identity.
type Service struct {
	st     *store.Store
	topics *freshness.Topics

	mu   sync.Mutex
	kept *Identity
	seen freshness.Snapshot
}

// NewService builds the service.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Follow keeps the identity in memory while topics says nothing changed;
// without it, each Get reads the database.
func (s *Service) Follow(t *freshness.Topics) { s.topics = t }

// Get answers the current identity; callers must not change it.
func (s *Service) Get(ctx context.Context) (*Identity, error) {
	if s.topics == nil {
		return s.load(ctx, s.st.QueryRow)
	}
	s.mu.Lock()
	kept, seen := s.kept, s.seen
	s.mu.Unlock()
	if kept != nil && s.topics.Current(seen) {
		return kept, nil
	}
	// Taken before reading: a change committed meanwhile makes it stale.
	snap := s.topics.Take(nil)
	id, err := s.load(ctx, s.st.QueryRow)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.kept, s.seen = id, snap
	s.mu.Unlock()
	return id, nil
}

type queryRow func(ctx context.Context, query string, args ...any) *sql.Row

func (s *Service) load(ctx context.Context, q queryRow) (*Identity, error) {
	id := defaults()
	var logoType, logoHash sql.NullString
	err := q(ctx, "SELECT name, accent_color, logo, logo_type, logo_hash FROM site_identity WHERE id = 1").
		Scan(&id.Name, &id.Accent, &id.Logo, &logoType, &logoHash)
	if store.IsNoRows(err) {
		return defaults(), nil
	}
	if err != nil {
		return nil, err
	}
	id.LogoType, id.LogoHash = logoType.String, logoHash.String
	if id.LogoHash == "" {
		id.Logo = nil
	}
	return id, nil
}

// auditState is what the audit log keeps of an identity: the logo by its
// version, not its bytes.
type auditState struct {
	Name     string `json:"name"`
	Accent   string `json:"accent_color"`
	LogoType string `json:"logo_type,omitempty"`
	LogoHash string `json:"logo_hash,omitempty"`
}

func (i *Identity) audited() auditState {
	return auditState{Name: i.Name, Accent: i.Accent, LogoType: i.LogoType, LogoHash: i.LogoHash}
}

// CheckName checks a site name: plain text on one line, 1 to MaxName
// characters; it answers the trimmed name.
func CheckName(v *problem.Validator, name string) string {
	name = plaintext.Check(v, "name", name, 1, MaxName)
	if !v.Has("name") && strings.ContainsAny(name, "\n\t") {
		v.Add(problem.Field("name", "error.site_name_line"))
	}
	return name
}

// CheckAccent checks an accent colour: "#rrggbb" with enough contrast on
// white; it answers the colour in lower case.
func CheckAccent(v *problem.Validator, color string) string {
	color = strings.TrimSpace(color)
	switch {
	case color == "":
		v.Add(problem.Field("accent_color", "error.required"))
	case !colorPattern.MatchString(color):
		v.Add(problem.Field("accent_color", "error.site_color_format"))
	case Contrast(color) < MinContrast:
		v.Add(problem.FieldWith("accent_color", "error.site_contrast",
			map[string]any{"Ratio": strconv.FormatFloat(math.Floor(Contrast(color)*100)/100, 'f', 2, 64)}))
	}
	return strings.ToLower(color)
}

// Set changes the name and the accent colour.
func (s *Service) Set(ctx context.Context, actorID int64, name, accent string) (*Identity, error) {
	var v problem.Validator
	name = CheckName(&v, name)
	accent = CheckAccent(&v, accent)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.change(ctx, actorID, "site.update", func(id *Identity) { id.Name, id.Accent = name, accent })
}

// CheckLogo checks a logo: 415 for other types than PNG and SVG, 413 over
// MaxLogo, 422 when the bytes are not what the type says.
func CheckLogo(contentType string, body []byte) error {
	if contentType != PNG && contentType != SVG {
		return &problem.Problem{Status: http.StatusUnsupportedMediaType, DetailKey: "error.site_logo_type",
			Errors: []problem.FieldError{problem.Field("logo", "error.site_logo_type")}}
	}
	if len(body) > MaxLogo {
		size := map[string]any{"KiB": MaxLogo >> 10}
		return &problem.Problem{Status: http.StatusRequestEntityTooLarge, DetailKey: "error.site_logo_size", DetailArgs: size,
			Errors: []problem.FieldError{problem.FieldWith("logo", "error.site_logo_size", size)}}
	}
	ok := false
	switch {
	case len(body) == 0:
		return problem.Invalid(problem.Field("logo", "error.required"))
	case contentType == PNG:
		ok = bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n"))
	default:
		ok = isSVG(body)
	}
	if !ok {
		return problem.Invalid(problem.Field("logo", "error.site_logo_content"))
	}
	return nil
}

// isSVG reports whether body is well-formed XML whose root is <svg>.
func isSVG(body []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(body))
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			return false
		}
		if el, ok := tok.(xml.StartElement); ok && !root {
			if el.Name.Local != "svg" {
				return false
			}
			root = true
		}
	}
}

// SetLogo replaces the logo; contentType is PNG or SVG.
func (s *Service) SetLogo(ctx context.Context, actorID int64, contentType string, body []byte) (*Identity, error) {
	if err := CheckLogo(contentType, body); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:8])
	logo := bytes.Clone(body)
	return s.change(ctx, actorID, "site.logo", func(id *Identity) { id.Logo, id.LogoType, id.LogoHash = logo, contentType, hash })
}

// RemoveLogo goes back to the name alone.
func (s *Service) RemoveLogo(ctx context.Context, actorID int64) (*Identity, error) {
	return s.change(ctx, actorID, "site.logo_remove", func(id *Identity) { id.Logo, id.LogoType, id.LogoHash = nil, "", "" })
}

// change applies edit to the stored identity, with an audit entry, and
// empties the page caches of every instance.
func (s *Service) change(ctx context.Context, actorID int64, action string, edit func(*Identity)) (*Identity, error) {
	var out *Identity
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := s.load(ctx, tx.QueryRow)
		if err != nil {
			return err
		}
		after := *before
		edit(&after)
		var logoType, logoHash any
		if after.LogoHash != "" {
			logoType, logoHash = after.LogoType, after.LogoHash
		}
		var actor any
		if actorID != 0 {
			actor = actorID
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO site_identity (id, name, accent_color, logo, logo_type, logo_hash, updated_at, updated_by) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, accent_color = excluded.accent_color, logo = excluded.logo,
  logo_type = excluded.logo_type, logo_hash = excluded.logo_hash, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			after.Name, after.Accent, after.Logo, logoType, logoHash, tx.Time(time.Now()), actor); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actorID, action, "site", 1, before.audited(), after.audited()); err != nil {
			return err
		}
		out = &after
		return tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ValidColor reports whether s is "#rrggbb".
func ValidColor(s string) bool { return colorPattern.MatchString(s) }
