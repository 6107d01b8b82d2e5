package config

import (
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// SMTP is a parsed MITREDEN_SMTP_URL: where mails are handed over.
type SMTP struct {
	Host string
	Port int
	// ImplicitTLS is smtps://: TLS from the first byte. smtp:// starts in
	// plain text and switches to TLS (STARTTLS) when the server offers it.
	ImplicitTLS bool
	// User and Password are empty when the server takes mail without
	// authentication (a local relay).
	User, Password string
}

// String shows the server without its password, for logs.
func (s SMTP) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.User != "" {
		u.User = url.User(s.User)
	}
	return u.String()
}

// ParseSMTP reads smtp://[user:pass@]host[:port] (port 587 by default)
// or smtps://[user:pass@]host[:port] (port 465); "" is no server.
func ParseSMTP(v string) (*SMTP, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	bad := Usagef("MITREDEN_SMTP_URL=%q: use smtp://[user:password@]host:port or smtps://…", redact(v))
	u, err := url.Parse(v)
	if err != nil || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, bad
	}
	s := &SMTP{Host: u.Hostname(), Port: 587}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
	case "smtps":
		s.ImplicitTLS, s.Port = true, 465
	default:
		return nil, bad
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return nil, bad
		}
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// parseMailFrom checks MITREDEN_MAIL_FROM ("Name <addr>" or an address);
// by default mails come from noreply at the host people reach mitreden at.
func parseMailFrom(v, publicURL, listen string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		host, _, _ := net.SplitHostPort(listen)
		if u, err := url.Parse(publicURL); err == nil && publicURL != "" {
			host = u.Hostname()
		}
		if host == "" || strings.Contains(host, ":") {
			host = "localhost" // an IPv6 address is no mail domain
		}
		return "mitreden <noreply@" + host + ">", nil
	}
	if _, err := mail.ParseAddress(v); err != nil {
		return "", Usagef("MITREDEN_MAIL_FROM=%q is not an e-mail address (use name@example.org or \"Name <name@example.org>\")", v)
	}
	return v, nil
}
