package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// codecBodyLimit admits a batch of payloads near Temporal's own 2 MB blob
// limit; the contract's 64 KiB applies to every other route.
const codecBodyLimit = "4M"

func isCodecPath(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/codec/") }

// codecRoutes serves Temporal's codec protocol (POST /codec/encode and
// /codec/decode, payloads as protobuf JSON) so the Temporal Web UI and CLI
// can show the encrypted payloads to an operator who may see them
// (docs/architecture.md#encrypted-payloads). Browsers may call it from
// CodecOrigins; a request needs a support token (Authorization: Bearer) or
// the session cookie of /codec/login, except in the sandbox (CodecOpen),
// whose key is public anyway.
func (s *Server) codecRoutes(e *echo.Echo) {
	if s.Codec == nil {
		return
	}
	g := e.Group("/codec",
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: s.CodecOrigins,
			AllowMethods: []string{http.MethodPost, http.MethodOptions},
			// X-Namespace is what the Web UI and CLI send with every call.
			AllowHeaders:     []string{echo.HeaderAuthorization, echo.HeaderContentType, "X-Namespace"},
			AllowCredentials: true,
			MaxAge:           600,
		}),
		middleware.BodyLimit(codecBodyLimit),
	)
	auth := s.requireCodecAuth // a support token or a /codec/login session
	if s.CodecOpen {
		auth = func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	h := echo.WrapHandler(s.Codec)
	for _, op := range []string{"/encode", "/decode"} {
		g.POST(op, h, auth)
		// The browser's preflight carries no credentials; the CORS
		// middleware answers it before any handler runs.
		g.OPTIONS(op, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	}
	g.GET("/login", s.codecLoginForm) // api/codec_session.go
	g.POST("/login", s.codecLogin)
}
