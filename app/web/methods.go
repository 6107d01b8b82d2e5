package web

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/problem"
)

// notFound answers what no route took: 405 with Allow when the path
// exists with other methods, else 404. The methods come from the
// registered routes, so every route added later is covered.
func notFound(app *fiber.App) fiber.Handler {
	routes := allowedMethods(app.GetRoutes(true))
	return func(c *fiber.Ctx) error {
		if allow := routes.allowed(c.Path()); len(allow) > 0 {
			c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
			return problem.New(fiber.StatusMethodNotAllowed, "error.method")
		}
		return problem.NotFound()
	}
}

// routeMethods maps a route's path pattern, split at "/", to its methods.
type routeMethods []struct {
	segments []string
	methods  []string
}

func allowedMethods(routes []fiber.Route) routeMethods {
	var out routeMethods
	index := map[string]int{}
	for _, r := range routes {
		i, ok := index[r.Path]
		if !ok {
			i = len(out)
			index[r.Path] = i
			out = append(out, struct {
				segments []string
				methods  []string
			}{segments: splitPath(r.Path)})
		}
		if !slices.Contains(out[i].methods, r.Method) {
			out[i].methods = append(out[i].methods, r.Method)
		}
	}
	return out
}

// allowed answers the methods of every route whose pattern matches path.
func (rm routeMethods) allowed(path string) []string {
	segs := splitPath(path)
	var allow []string
	for _, r := range rm {
		if matches(r.segments, segs) {
			for _, m := range r.methods {
				if !slices.Contains(allow, m) {
					allow = append(allow, m)
				}
			}
		}
	}
	slices.Sort(allow)
	return allow
}

// splitPath drops the leading and a trailing slash (routing is not strict
// about it) before splitting.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matches knows the patterns the routes use: literal segments, :param
// for one segment, and * or + for the rest.
func matches(pattern, path []string) bool {
	for i, seg := range pattern {
		if seg == "*" || seg == "+" {
			return seg == "*" || len(path) > i
		}
		if i >= len(path) {
			return false
		}
		if strings.HasPrefix(seg, ":") {
			if path[i] == "" {
				return false
			}
			continue
		}
		if seg != path[i] {
			return false
		}
	}
	return len(pattern) == len(path)
}
