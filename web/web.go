// Package web serves the Telegram Mini App: plain HTML, CSS and ES modules
// under app/, embedded in the binary so that a deployment is one file and
// there is no build step to forget.
//
// The page loads Telegram's telegram-web-app.js, as Telegram asks, with a
// static <script> in <head>. The sandbox's simulator (package sim) serves the
// very same files with that one URL swapped for its fake client
// (AppHandler), so the app itself never needs to know whether it runs inside
// Telegram or the simulator.
package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// FS holds the Mini App under app/ (index.html, app.css, js/…).
//
//go:embed app
var FS embed.FS

// TelegramScriptURL is the Telegram client script that index.html loads; it
// appears there exactly once so that AppHandler can replace it.
const TelegramScriptURL = "https://telegram.org/js/telegram-web-app.js"

// Register serves the Mini App at /app/ (index.html + assets), and
// redirects / (and /app) to /app/.
func Register(e *echo.Echo) {
	toApp := func(c echo.Context) error { return c.Redirect(http.StatusFound, "/app/") }
	e.GET("/", toApp)
	e.GET("/app", toApp)
	h := AppHandler(TelegramScriptURL)
	e.GET("/app/", h)
	e.GET("/app/*", h)
}

// AppHandler serves the Mini App files from the route's "*" parameter, with
// index.html loading scriptURL instead of Telegram's script. The simulator
// mounts it with its fake client; Register uses TelegramScriptURL.
func AppHandler(scriptURL string) echo.HandlerFunc {
	sub, err := fs.Sub(FS, "app")
	if err != nil {
		panic(err) // the embed directive guarantees app/ exists
	}
	files := mustLoad(sub, func(name string, b []byte) []byte {
		if name == "index.html" {
			return replaceOnce(b, TelegramScriptURL, scriptURL)
		}
		return b
	})
	return files.handler(appHeaders(scriptURL))
}

// FilesHandler serves every file of fsys from the route's "*" parameter
// (index.html for the empty path), with ETags and no-cache revalidation. The
// simulator uses it for its own page.
func FilesHandler(fsys fs.FS) echo.HandlerFunc {
	return mustLoad(fsys, nil).handler(func(http.Header) {})
}

// appHeaders sets a strict Content-Security-Policy: the page needs only its
// own files, the Telegram script, the API on the same origin and blob: URLs
// for the QR code. No X-Frame-Options: Telegram's web clients frame the app.
func appHeaders(scriptURL string) func(http.Header) {
	scriptSrc := "'self'"
	if scriptURL == TelegramScriptURL {
		scriptSrc += " https://telegram.org"
	}
	csp := "default-src 'self'; script-src " + scriptSrc + "; style-src 'self'; " +
		"img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
	return func(h http.Header) {
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
	}
}
