package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// file is one embedded file, read once at start-up: embedded files have no
// modification time, so a content hash is the only useful validator.
type file struct {
	data  []byte
	ctype string
	etag  string
}

type files map[string]file

// mustLoad reads every file of fsys, passing each through rewrite (may be nil).
func mustLoad(fsys fs.FS, rewrite func(name string, b []byte) []byte) files {
	out := files{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if rewrite != nil {
			b = rewrite(name, b)
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		out[name] = file{data: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: reading embedded files: %v", err))
	}
	return out
}

func (fs files) handler(headers func(http.Header)) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
		if name == "" {
			name = "index.html"
		}
		f, ok := fs[name]
		if !ok {
			return echo.NewHTTPError(http.StatusNotFound, "not found")
		}
		h := c.Response().Header()
		headers(h)
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		// Revalidate every time: a new release must reach users whose
		// Telegram client keeps the webview around, and 304s are cheap.
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(f.data))
		return nil
	}
}

func replaceOnce(b []byte, old, repl string) []byte {
	if bytes.Count(b, []byte(old)) != 1 {
		panic(fmt.Sprintf("web: index.html must reference %s exactly once", old))
	}
	return bytes.Replace(b, []byte(old), []byte(repl), 1)
}
