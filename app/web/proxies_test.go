package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
)

// Behind a trusted proxy, a client that varies what it puts at the left
// of X-Forwarded-For is still one client: the address the proxy appended
// (walking from the right) is the one the per-address sign-in limit
// counts. Taking the header whole made every request a new client.
func TestSpoofedForwardedForDoesNotEscapeLimits(t *testing.T) {
	behindProxy := func(s *apptest.Setup) { s.Config.TrustedProxies = []string{"127.0.0.1"} }
	apptest.ForEach(t, func(t *testing.T, s *apptest.Server) {
		status := func(forwarded string, i int) int {
			c := s.Client()
			c.Headers["X-Forwarded-For"] = forwarded
			// A new address each time: the per-account throttle is not what stops it.
			return c.Do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": fmt.Sprintf("nobody%d@example.org", i), "password": "wrong-password-x"}).Status
		}
		for i := range 10 {
			if got := status(fmt.Sprintf("10.9.%d.%d, 198.51.100.7", i, i), i); got != http.StatusUnauthorized {
				t.Fatalf("sign-in %d: %d, want 401", i+1, got)
			}
		}
		if got := status("10.9.99.99, 198.51.100.7", 10); got != http.StatusTooManyRequests {
			t.Fatalf("the 11th sign-in of one client behind a spoofed left end: %d, want 429", got)
		}
		// Another client behind the same proxy is not held back.
		if got := status("198.51.100.8", 11); got != http.StatusUnauthorized {
			t.Fatalf("another client: %d, want 401", got)
		}
	}, apptest.WithRateLimits(), behindProxy)
}
