package web

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/access"
)

// trustedProxies are the addresses whose X-Forwarded-For is believed.
type trustedProxies []netip.Prefix

func parseTrusted(list []string) trustedProxies {
	var out trustedProxies
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (t trustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client finds the client behind the proxies (CONTRACT.md, "Client
// address behind proxies"): from the peer, walk X-Forwarded-For from the
// right, skipping trusted addresses; the first untrusted address is the
// client. A value that is not an address ends the walk, and the last
// trusted hop is then the client. Taking the header whole, or its left
// end, would let a client name any address it likes.
func (t trustedProxies) client(peer netip.Addr, forwarded []string) netip.Addr {
	client := peer.Unmap()
	if !t.trusts(client) {
		return client
	}
	for i := len(forwarded) - 1; i >= 0; i-- {
		hops := strings.Split(forwarded[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop := strings.TrimSpace(hops[j])
			if hop == "" {
				continue
			}
			a, err := netip.ParseAddr(hop)
			if err != nil {
				return client
			}
			client = a.Unmap()
			if !t.trusts(client) {
				return client
			}
		}
	}
	return client
}

// clientAddress records each request's client address for limits, logs
// and socket caps (access.ClientIP).
func clientAddress(trusted []string) fiber.Handler {
	t := parseTrusted(trusted)
	return func(c *fiber.Ctx) error {
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		if len(t) == 0 || !t.trusts(peer) {
			access.SetClientIP(c, peer.Unmap().String())
			return c.Next()
		}
		var forwarded []string
		for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
			forwarded = append(forwarded, string(v))
		}
		access.SetClientIP(c, t.client(peer, forwarded).String())
		return c.Next()
	}
}
