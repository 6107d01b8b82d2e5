package accounts

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestCleanUserAgent(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	for _, c := range []struct{ in, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"},
		{"bad\x00agent\x1b[31m\r\n", "badagent[31m"},
		{"zero\u200bwidth\u202eright-to-left", "zerowidthright-to-left"},
		{"not utf-8 \xff\xfe", "not utf-8"},
		{"  ", ""},
		{long, strings.Repeat("é", MaxUserAgent)},
	} {
		if got := cleanUserAgent(c.in); got != c.want {
			t.Errorf("cleanUserAgent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDevice(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ agent, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0", "Edge, Windows"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari, iOS"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox, macOS"},
		{"curl/8.4.0", "curl"},
		{"mitreden-app 1.0", "mitreden-app 1.0"},
		{"", ""},
	} {
		if got := (SessionInfo{UserAgent: c.agent}).Device(); got != c.want {
			t.Errorf("Device(%q) = %q, want %q", c.agent, got, c.want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	t.Parallel()
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_800_000_015, 0)
	step := now.Unix() / totpPeriod
	for _, c := range []struct {
		name string
		at   time.Time
		want int64
	}{
		{"now", now, step},
		{"one step early", now.Add(-30 * time.Second), step - 1},
		{"one step late", now.Add(30 * time.Second), step + 1},
		{"two steps early", now.Add(-60 * time.Second), 0},
		{"two steps late", now.Add(60 * time.Second), 0},
	} {
		code, err := totp.GenerateCode(secret, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchTOTP(secret, code, now); got != c.want {
			t.Errorf("%s: step %d, want %d", c.name, got, c.want)
		}
	}
	if matchTOTP(secret, "12345", now) != 0 || matchTOTP("not base32!", "123456", now) != 0 {
		t.Error("a malformed code or secret matched")
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	format := regexp.MustCompile(`^[` + recoveryAlphabet + `]{5}-[` + recoveryAlphabet + `]{5}$`)
	seen := map[string]bool{}
	for range 1000 {
		c := newRecoveryCode()
		if !format.MatchString(c) || seen[c] {
			t.Fatalf("recovery code %q (seen before: %v)", c, seen[c])
		}
		seen[c] = true
		if isTOTPCode(normalizeCode(c)) {
			t.Fatalf("%q reads as a TOTP code", c)
		}
	}
	if normalizeCode(" AB2CD-EF3GH ") != "ab2cdef3gh" || normalizeCode("123 456") != "123456" || normalizeCode(strings.Repeat("1", 65)) != "" {
		t.Error("normalizeCode")
	}
}
