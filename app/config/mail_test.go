package config

import "testing"

func TestParseSMTP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SMTP
		bad  bool
	}{
		{in: "smtp://mail.example:2525", want: SMTP{Host: "mail.example", Port: 2525}},
		{in: "smtp://mail.example", want: SMTP{Host: "mail.example", Port: 587}},
		{in: "smtps://u%40x:p%3Aw@mail.example", want: SMTP{Host: "mail.example", Port: 465, ImplicitTLS: true, User: "u@x", Password: "p:w"}},
		{in: "SMTPS://mail.example:1465", want: SMTP{Host: "mail.example", Port: 1465, ImplicitTLS: true}},
		{in: "http://mail.example", bad: true},
		{in: "smtp://", bad: true},
		{in: "smtp://mail.example:0", bad: true},
		{in: "smtp://mail.example/path", bad: true},
		{in: "smtp://mail.example?tls=no", bad: true},
	} {
		got, err := ParseSMTP(tc.in)
		if tc.bad {
			if !IsUsage(err) {
				t.Errorf("%s: want a usage error, got %v, %v", tc.in, got, err)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if s, err := ParseSMTP(" "); s != nil || err != nil {
		t.Errorf("empty: got %v, %v; want no server", s, err)
	}
}

func TestMailFromDefault(t *testing.T) {
	for _, tc := range []struct{ from, public, listen, want string }{
		{"", "", "127.0.0.1:8080", "mitreden <noreply@127.0.0.1>"},
		{"", "https://mitreden.example/x", "127.0.0.1:8080", "mitreden <noreply@mitreden.example>"},
		{"", "", "[::1]:8080", "mitreden <noreply@localhost>"},
		{"Stadt <beteiligung@stadt.example>", "", "127.0.0.1:8080", "Stadt <beteiligung@stadt.example>"},
	} {
		got, err := parseMailFrom(tc.from, tc.public, tc.listen)
		if err != nil || got != tc.want {
			t.Errorf("%q/%q/%q: got %q, %v; want %q", tc.from, tc.public, tc.listen, got, err, tc.want)
		}
	}
	if _, err := parseMailFrom("no address", "", "127.0.0.1:1"); !IsUsage(err) {
		t.Errorf("a bad address: want a usage error, got %v", err)
	}
}

func TestEmailVerificationSetting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", true}, {"required", true}, {"Required", true}, {"off", false}} {
		cfg, err := ParseServer(nil, func(k string) string {
			if k == "MITREDEN_EMAIL_VERIFICATION" {
				return tc.value
			}
			return ""
		})
		if err != nil || cfg.VerifyEmail != tc.want {
			t.Errorf("MITREDEN_EMAIL_VERIFICATION=%q: %v, %v", tc.value, cfg.VerifyEmail, err)
		}
	}
}
