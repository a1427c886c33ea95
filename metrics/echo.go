package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// unmatchedRoute labels requests no route matched, so scanners probing
// random URLs cannot create unbounded label values.
const unmatchedRoute = "unmatched"

// EchoMiddleware records HTTPRequests and HTTPDuration for every request,
// labelled by the route template (c.Path(), e.g. /api/orders/:id) rather
// than the raw URL, which would give every order its own series.
func (m *Metrics) EchoMiddleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if route == "" {
				route = unmatchedRoute
			}
			method := c.Request().Method
			m.HTTPRequests.WithLabelValues(method, route, strconv.Itoa(statusOf(c, err))).Inc()
			m.HTTPDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// statusOf predicts the code Echo's error handler will send: the handler
// has returned but, for an error, has not written the response yet.
func statusOf(c echo.Context, err error) int {
	res := c.Response()
	if err == nil || res.Committed {
		return res.Status
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	return http.StatusInternalServerError
}
