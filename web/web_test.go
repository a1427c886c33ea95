package web_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/web"
)

func serve(t *testing.T, e *echo.Echo, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func newEcho() *echo.Echo {
	e := echo.New()
	web.Register(e)
	return e
}

func TestRootRedirectsToApp(t *testing.T) {
	e := newEcho()
	for _, p := range []string{"/", "/app"} {
		rec := serve(t, e, http.MethodGet, p, nil)
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/app/" {
			t.Errorf("GET %s = %d %q, want 302 to /app/", p, rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestIndexLoadsTelegramScriptFirst(t *testing.T) {
	rec := serve(t, newEcho(), http.MethodGet, "/app/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /app/ = %d", rec.Code)
	}
	body := rec.Body.String()
	tg := strings.Index(body, `<script src="`+web.TelegramScriptURL+`">`)
	app := strings.Index(body, `js/main.js`)
	if tg < 0 || app < 0 || tg > app {
		t.Fatalf("index.html must load %s before the app script", web.TelegramScriptURL)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "https://telegram.org") || !strings.Contains(csp, "img-src 'self' blob:") {
		t.Errorf("CSP = %q, want telegram.org scripts and blob: images", csp)
	}
	if rec.Header().Get("X-Frame-Options") != "" {
		t.Error("X-Frame-Options would stop Telegram's web clients from framing the app")
	}
}

func TestAppHandlerSwapsScript(t *testing.T) {
	e := echo.New()
	e.GET("/x/*", web.AppHandler("/sim/telegram-sim.js"))
	rec := serve(t, e, http.MethodGet, "/x/", nil)
	body := rec.Body.String()
	if strings.Contains(body, "telegram.org") || !strings.Contains(body, `src="/sim/telegram-sim.js"`) {
		t.Fatalf("index.html was not rewritten:\n%s", body)
	}
	if strings.Contains(rec.Header().Get("Content-Security-Policy"), "telegram.org") {
		t.Error("the simulator's CSP should not allow telegram.org")
	}
}

func TestAssetsHaveTypesAndETags(t *testing.T) {
	e := newEcho()
	rec := serve(t, e, http.MethodGet, "/app/js/main.js", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET main.js = %d %q; ES modules need a JavaScript MIME type", rec.Code, rec.Header().Get("Content-Type"))
	}
	etag := rec.Header().Get("ETag")
	if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, rec.Header().Get("Cache-Control"))
	}
	rec = serve(t, e, http.MethodGet, "/app/js/main.js", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", rec.Code)
	}
}

func TestUnknownAndEscapingPaths(t *testing.T) {
	e := newEcho()
	for _, p := range []string{"/app/nope.js", "/app/../web.go", "/app/%2e%2e/web.go", "/app/e2e/package.json"} {
		if rec := serve(t, e, http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

// TestModuleImportsResolve catches a renamed module without a browser: every
// relative import in app/js must name an embedded file.
func TestModuleImportsResolve(t *testing.T) {
	re := regexp.MustCompile(`(?:from|import)\s*\(?\s*'(\.[^']+)'`)
	err := fs.WalkDir(web.FS, "app", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".js" {
			return err
		}
		src, err := fs.ReadFile(web.FS, name)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			target := path.Join(path.Dir(name), m[1])
			if _, err := fs.Stat(web.FS, target); err != nil {
				t.Errorf("%s imports %s, which is not embedded", name, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoInnerHTML keeps server strings (plan descriptions, refund reasons)
// from ever being parsed as markup in the Mini App.
func TestNoInnerHTML(t *testing.T) {
	_ = fs.WalkDir(web.FS, "app", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".js" {
			return err
		}
		src, _ := fs.ReadFile(web.FS, name)
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
		return nil
	})
}

func TestTranslationsHaveTheSameKeys(t *testing.T) {
	src, err := fs.ReadFile(web.FS, "app/js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	enStart, ruStart := strings.Index(s, "const en = {"), strings.Index(s, "const ru = {")
	end := strings.Index(s, "const dictionaries")
	keys := regexp.MustCompile(`(?m)^  (\w+):`)
	set := func(part string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keys.FindAllStringSubmatch(part, -1) {
			m[k[1]] = true
		}
		return m
	}
	en, ru := set(s[enStart:ruStart]), set(s[ruStart:end])
	for k := range en {
		if !ru[k] {
			t.Errorf("ru lacks %q", k)
		}
	}
	for k := range ru {
		if !en[k] {
			t.Errorf("en lacks %q", k)
		}
	}
	if len(en) < 50 {
		t.Errorf("parsed only %d keys; the test's pattern no longer fits i18n.js", len(en))
	}
}
