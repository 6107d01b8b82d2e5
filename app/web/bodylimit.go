package web

import (
	"bytes"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

// drainCap is how much of an oversized body is read and thrown away so the
// client gets its 413: closing a socket with unread data makes the kernel
// send a reset, and the client would see "connection reset" instead.
const drainCap = 64 << 20

// limitBody answers 413 to a body over limit. The server streams request
// bodies (fasthttp buffers up to limit and leaves the rest unread), so an
// oversized body is never held in memory.
func limitBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := c.Request()
		n := req.Header.ContentLength()
		switch {
		case n > limit:
			drain(c)
			return problem.TooLarge()
		case n == -1: // chunked: count while reading
			stream := c.Context().RequestBodyStream()
			if stream == nil {
				return c.Next()
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(stream, int64(limit)+1)); err != nil {
				return problem.BadRequest("error.bad_request")
			}
			if buf.Len() > limit {
				drain(c)
				return problem.TooLarge()
			}
			req.SetBodyRaw(buf.Bytes())
		}
		return c.Next()
	}
}

func drain(c *fiber.Ctx) {
	c.Set(fiber.HeaderConnection, "close")
	if stream := c.Context().RequestBodyStream(); stream != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(stream, drainCap))
	}
}
