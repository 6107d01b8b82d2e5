// Package config reads mitreden's settings from flags and the environment.
// Flags win over environment variables; both are validated before anything
// starts, so a bad value ends the program with one line instead of a
// half-started server.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// UsageError is a mistake in how mitreden was called: a bad flag, a bad
// setting, an unreachable database. The command line prints it as one line
// and exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is (or wraps) a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// Driver names the database engine behind a URL.
type Driver string

const (
	SQLite   Driver = "sqlite"
	Postgres Driver = "postgres"
)

// Database is a parsed MITREDEN_DB value.
type Database struct {
	Driver Driver
	// Path is the SQLite file (SQLite only).
	Path string
	// URL is the connection string as given (PostgreSQL only).
	URL string
}

// DefaultDB is used when neither --db nor MITREDEN_DB is set.
const DefaultDB = "sqlite://mitreden.db"

// ParseDatabase understands sqlite://PATH (everything after the scheme is
// the file path, so sqlite:///var/lib/m.db is absolute) and postgres:// or
// postgresql:// URLs.
func ParseDatabase(raw string) (Database, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = DefaultDB
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Database{}, Usagef("database URL %q has no scheme: use sqlite://FILE or postgres://USER@HOST:PORT/DB", redact(raw))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		if rest == "" {
			return Database{}, Usagef("database URL %q names no file", raw)
		}
		if strings.ContainsAny(rest, "?#") {
			return Database{}, Usagef("database URL %q: SQLite options are set by mitreden, give only a file path", raw)
		}
		return Database{Driver: SQLite, Path: rest}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return Database{}, Usagef("database URL %q is not a valid PostgreSQL URL", redact(raw))
		}
		return Database{Driver: Postgres, URL: raw}, nil
	default:
		return Database{}, Usagef("unknown database scheme %q: use sqlite:// or postgres://", scheme)
	}
}

// String shows the database without its password, for logs.
func (d Database) String() string {
	if d.Driver == SQLite {
		return "sqlite://" + d.Path
	}
	return redact(d.URL)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Server holds what `mitreden serve` needs.
type Server struct {
	Addr           string
	DB             Database
	Demo           bool
	RateLimits     bool
	TrustedProxies []string
	BodyLimit      int
	AdminEmail     string
	AdminPassword  string
	// LogRequests writes one access-log line per request (path only, never the query).
	LogRequests bool
	// HideAfterReports hides published content, pending a decision, once
	// this many distinct accounts older than a day reported it.
	HideAfterReports int
	// PublicURL is the address people reach mitreden at (no trailing
	// slash); empty means http:// and the listen address. With https://
	// the session cookie is Secure with the __Host- prefix and every
	// answer carries HSTS, whatever a proxy says.
	PublicURL string
	// Staff2FA requires admins and moderators to sign in with a second
	// factor before any staff action.
	Staff2FA bool
	// VerifyEmail is MITREDEN_EMAIL_VERIFICATION=required (the default of
	// the command): contributions count once the address is confirmed.
	// The zero value (off) is for tests and load runs.
	VerifyEmail bool
	// SMTP is MITREDEN_SMTP_URL; nil writes mails to the log instead.
	SMTP *SMTP
	// MailFrom is the From of every mail (MITREDEN_MAIL_FROM).
	MailFrom string
	// MetricsToken is MITREDEN_METRICS_TOKEN: when set, /metrics answers
	// only requests that carry it as a bearer token.
	MetricsToken string
}

// HTTPS reports whether people reach mitreden over TLS.
func (s Server) HTTPS() bool { return strings.HasPrefix(s.PublicURL, "https://") }

// Env is the process environment, passed in so tests do not touch os.Environ.
type Env func(string) string

// OSEnv reads the real environment.
func OSEnv(key string) string { return os.Getenv(key) }

// NewFlagSet returns a flag set that reports errors to the caller instead of
// printing usage and exiting.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// ParseFlags parses args and turns flag errors into UsageErrors.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return Usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return Usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// DBFlag registers --db with MITREDEN_DB as its default.
func DBFlag(fs *flag.FlagSet, env Env) *string {
	def := env("MITREDEN_DB")
	if def == "" {
		def = DefaultDB
	}
	return fs.String("db", def, "database URL (sqlite://FILE or postgres://...)")
}

// ParseServer reads the serve command's flags and environment.
func ParseServer(args []string, env Env) (Server, error) {
	fs := NewFlagSet("serve")
	addrDefault := env("MITREDEN_ADDR")
	if addrDefault == "" {
		addrDefault = "127.0.0.1:8080"
	}
	addr := fs.String("addr", addrDefault, "listen address")
	db := DBFlag(fs, env)
	noDemo := fs.Bool("no-demo", false, "do not seed the demo consultation on an empty database")
	if err := ParseFlags(fs, args); err != nil {
		return Server{}, err
	}
	cfg := Server{Addr: *addr, Demo: !*noDemo}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return Server{}, Usagef("listen address %q is not host:port", cfg.Addr)
	}
	var err error
	if cfg.DB, err = ParseDatabase(*db); err != nil {
		return Server{}, err
	}
	if cfg.RateLimits, err = parseSwitch("MITREDEN_RATE_LIMITS", env("MITREDEN_RATE_LIMITS"), true); err != nil {
		return Server{}, err
	}
	if cfg.LogRequests, err = parseSwitch("MITREDEN_LOG_REQUESTS", env("MITREDEN_LOG_REQUESTS"), false); err != nil {
		return Server{}, err
	}
	if cfg.TrustedProxies, err = parseProxies(env("MITREDEN_TRUSTED_PROXIES")); err != nil {
		return Server{}, err
	}
	if cfg.BodyLimit, err = ParseSize("MITREDEN_BODY_LIMIT", env("MITREDEN_BODY_LIMIT"), 1<<20); err != nil {
		return Server{}, err
	}
	if cfg.HideAfterReports, err = parseCount("MITREDEN_HIDE_AFTER_REPORTS", env("MITREDEN_HIDE_AFTER_REPORTS"), 3); err != nil {
		return Server{}, err
	}
	if cfg.PublicURL, err = parsePublicURL(env("MITREDEN_PUBLIC_URL")); err != nil {
		return Server{}, err
	}
	switch v := strings.ToLower(strings.TrimSpace(env("MITREDEN_EMAIL_VERIFICATION"))); v {
	case "", "required":
		cfg.VerifyEmail = true
	case "off":
	default:
		return Server{}, Usagef("MITREDEN_EMAIL_VERIFICATION=%q: use required or off", v)
	}
	switch v := strings.ToLower(strings.TrimSpace(env("MITREDEN_STAFF_2FA"))); v {
	case "", "optional":
	case "required":
		cfg.Staff2FA = true
	default:
		return Server{}, Usagef("MITREDEN_STAFF_2FA=%q: use optional or required", v)
	}
	if cfg.SMTP, err = ParseSMTP(env("MITREDEN_SMTP_URL")); err != nil {
		return Server{}, err
	}
	if cfg.MailFrom, err = parseMailFrom(env("MITREDEN_MAIL_FROM"), cfg.PublicURL, cfg.Addr); err != nil {
		return Server{}, err
	}
	if cfg.MetricsToken, err = parseMetricsToken(env("MITREDEN_METRICS_TOKEN")); err != nil {
		return Server{}, err
	}
	cfg.AdminEmail = strings.TrimSpace(env("MITREDEN_ADMIN_EMAIL"))
	cfg.AdminPassword = env("MITREDEN_ADMIN_PASSWORD")
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return Server{}, Usagef("set both MITREDEN_ADMIN_EMAIL and MITREDEN_ADMIN_PASSWORD, or neither")
	}
	return cfg, nil
}

func parseSwitch(name, v string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return def, nil
	case "on", "1", "true", "yes":
		return true, nil
	case "off", "0", "false", "no":
		return false, nil
	}
	return false, Usagef("%s=%q: use on or off", name, v)
}

// parsePublicURL accepts http:// or https:// with a host and an optional
// path, and drops a trailing slash.
func parsePublicURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", Usagef("MITREDEN_PUBLIC_URL=%q: use http(s)://host[:port][/path]", v)
	}
	return strings.TrimRight(v, "/"), nil
}

func parseProxies(v string) ([]string, error) {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, Usagef("MITREDEN_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR range", p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// parseMetricsToken accepts a token that can be sent as a bearer token
// (visible ASCII) and is long enough not to be guessed.
func parseMetricsToken(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	ok := len(v) >= 16
	for _, r := range v {
		ok = ok && r > ' ' && r < 0x7f
	}
	if !ok {
		return "", Usagef("MITREDEN_METRICS_TOKEN: use at least 16 visible ASCII characters without spaces (for example: openssl rand -hex 32)")
	}
	return v, nil
}

func parseCount(name, v string, def int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, Usagef("%s: %q is not a number from 1 to 1000", name, v)
	}
	return n, nil
}

// ParseSize reads a byte count such as 1048576, 512KiB or 2MiB.
func ParseSize(name, v string, def int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	mult := 1
	for _, unit := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(v, unit.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, unit.suffix)), unit.mult
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > (1<<31-1)/mult {
		return 0, Usagef("%s: %q is not a size (use bytes, or a number with KiB or MiB)", name, v)
	}
	return n * mult, nil
}
