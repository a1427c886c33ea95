package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/metrics"
)

func TestEchoMiddlewareLabelsByRouteTemplate(t *testing.T) {
	m := metrics.New()
	e := echo.New()
	e.Use(m.EchoMiddleware())
	e.GET("/api/orders/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
	e.POST("/api/orders", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "bad body")
	})
	e.GET("/boom", func(c echo.Context) error { return errors.New("boom") })

	tests := []struct {
		method, path string
		wantCode     int
		want         string
	}{
		{http.MethodGet, "/api/orders/a1", 200, `esimstore_http_requests_total{code="200",method="GET",route="/api/orders/:id"} 2`},
		{http.MethodGet, "/api/orders/b2", 200, `esimstore_http_requests_total{code="200",method="GET",route="/api/orders/:id"} 2`},
		{http.MethodPost, "/api/orders", 422, `esimstore_http_requests_total{code="422",method="POST",route="/api/orders"} 1`},
		{http.MethodGet, "/boom", 500, `esimstore_http_requests_total{code="500",method="GET",route="/boom"} 1`},
		{http.MethodGet, "/no/such/thing", 404, `esimstore_http_requests_total{code="404",method="GET",route="unmatched"} 1`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.wantCode {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.wantCode)
		}
	}
	out := scrape(t, m)
	for _, tt := range tests {
		assertContains(t, out, tt.want)
	}
	assertContains(t, out, `esimstore_http_request_duration_seconds_count{method="GET",route="/api/orders/:id"} 2`)
	for _, raw := range []string{"/api/orders/a1", "/api/orders/b2", "/no/such/thing"} {
		if strings.Contains(out, `route="`+raw+`"`) {
			t.Errorf("raw URL %s leaked into a label", raw)
		}
	}
}
