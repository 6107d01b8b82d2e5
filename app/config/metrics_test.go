package config

import "testing"

func TestMetricsTokenSetting(t *testing.T) {
	for _, tc := range []struct {
		value, want string
		bad         bool
	}{
		{value: "", want: ""},
		{value: "  ", want: ""},
		{value: " 0123456789abcdef0123 ", want: "0123456789abcdef0123"},
		{value: "short", bad: true},
		{value: "with a space in the middle", bad: true},
		{value: "nicht-ascii-zeichen-äöü", bad: true},
	} {
		cfg, err := ParseServer(nil, func(k string) string {
			if k == "MITREDEN_METRICS_TOKEN" {
				return tc.value
			}
			return ""
		})
		if tc.bad {
			if !IsUsage(err) {
				t.Errorf("%q: want a usage error, got %v", tc.value, err)
			}
			continue
		}
		if err != nil || cfg.MetricsToken != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.value, cfg.MetricsToken, err, tc.want)
		}
	}
}
