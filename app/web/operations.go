package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// The operations endpoints are for the machines around mitreden (load
// balancers, orchestrators, Prometheus), not for people: their refusals
// are problem+json like the API's.
const (
	healthPath  = "/healthz"
	readyPath   = "/readyz"
	metricsPath = "/metrics"
)

func isOperations(path string) bool {
	return path == healthPath || path == readyPath || path == metricsPath
}

// health answers while the process runs. It reads nothing: a database
// outage must not make an orchestrator restart every instance.
func health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyTimeout bounds a readiness check: a probe must get an answer also
// when the database hangs.
const readyTimeout = 2 * time.Second

// ready answers 200 when this instance can serve: the database answers
// and every migration it embeds is applied. Otherwise 503 names the check
// that failed, so that a load balancer sends requests elsewhere.
func ready(st *store.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			return notReady(c, "database", "the database does not answer")
		}
		pending, err := st.PendingMigrations(ctx)
		switch {
		case err != nil && (store.IsUnavailable(err) || ctx.Err() != nil):
			return notReady(c, "database", "the database does not answer")
		case err != nil:
			return notReady(c, "schema", "the applied migrations cannot be read")
		case len(pending) > 0:
			return notReady(c, "schema", notApplied(pending))
		}
		return c.JSON(fiber.Map{"status": "ok"})
	}
}

func notApplied(pending []string) string {
	if len(pending) == 1 {
		return "migration " + pending[0] + " is not applied: run mitreden migrate"
	}
	return fmt.Sprintf("%d migrations are not applied, the first %s: run mitreden migrate", len(pending), pending[0])
}

func notReady(c *fiber.Ctx, check, detail string) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(retryUnavailable.Seconds())))
	return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "check": check, "detail": detail})
}

// metricsToken guards /metrics with MITREDEN_METRICS_TOKEN when it is set:
// the request must carry it as a bearer token. Without a token the
// metrics stay open, as before, for installations that keep /metrics off
// the public network at the proxy.
func metricsToken(token string) fiber.Handler {
	if token == "" {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	want := sha256.Sum256([]byte(token))
	return func(c *fiber.Ctx) error {
		scheme, given, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		// Hashes have one length, so the comparison takes the same time
		// whatever was sent.
		got := sha256.Sum256([]byte(strings.TrimSpace(given)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="mitreden metrics"`)
			return problem.Unauthorized()
		}
		return c.Next()
	}
}
