package web

import (
	"net/netip"
	"testing"
)

func TestClientBehindProxies(t *testing.T) {
	trusted := parseTrusted([]string{"10.0.0.0/8", "192.168.1.1", "::1"})
	cases := []struct {
		name      string
		peer      string
		forwarded []string
		want      string
	}{
		{"no proxy: the peer, whatever it claims", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted peer, one client", "10.0.0.2", []string{"198.51.100.7"}, "198.51.100.7"},
		{"a spoofed left end is skipped", "10.0.0.2", []string{"1.1.1.1, 198.51.100.7"}, "198.51.100.7"},
		{"trusted hops are skipped", "10.0.0.2", []string{"1.1.1.1, 198.51.100.7, 10.0.0.5, 192.168.1.1"}, "198.51.100.7"},
		{"several headers are one list", "10.0.0.2", []string{"1.1.1.1", "198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"garbage ends the walk at the last trusted hop", "10.0.0.2", []string{"198.51.100.7, nonsense, 10.0.0.9"}, "10.0.0.9"},
		{"garbage right away: the peer", "10.0.0.2", []string{"1.2.3.4, x"}, "10.0.0.2"},
		{"all trusted: the leftmost", "10.0.0.2", []string{"10.0.0.3, 10.0.0.4"}, "10.0.0.3"},
		{"no header: the peer", "10.0.0.2", nil, "10.0.0.2"},
		{"IPv6 client", "::1", []string{"2001:db8::1"}, "2001:db8::1"},
		{"a port is not an address", "10.0.0.2", []string{"198.51.100.7:1234"}, "10.0.0.2"},
		{"IPv4-mapped peer is trusted as IPv4", "::ffff:10.0.0.2", []string{"198.51.100.7"}, "198.51.100.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := trusted.client(netip.MustParseAddr(c.peer), c.forwarded)
			if got.String() != c.want {
				t.Fatalf("client %s, want %s", got, c.want)
			}
		})
	}
}
