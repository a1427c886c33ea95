package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/config"
)

// The Temporal Web UI calls the codec from the operator's browser and
// cannot add a header of its own: it forwards only its own OIDC access
// token (passAccessToken, HTTPS only), or the browser's cookies
// (TEMPORAL_CODEC_INCLUDE_CREDENTIALS). So an operator signs in once at
// /codec/login with a support token, and the browser keeps a cookie that
// the codec accepts like the token itself.

const (
	codecCookie     = "esimstore_codec"
	codecSessionTTL = 12 * time.Hour
)

// codecSession is name|expiry|mac, the MAC keyed with the support token
// itself: no server-side state, and removing or rotating a token in
// ADMIN_TOKENS ends its sessions.
func codecSession(name, token string, expires time.Time) string {
	payload := name + "|" + strconv.FormatInt(expires.Unix(), 10)
	return payload + "|" + codecMAC(token, payload)
}

func codecMAC(token, payload string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("esimstore codec session|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionName returns the support token name a cookie was issued to, or "".
func (s *Server) sessionName(cookie string, now time.Time) string {
	name, rest, ok1 := strings.Cut(cookie, "|")
	exp, mac, ok2 := strings.Cut(rest, "|")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if !ok1 || !ok2 || err != nil || now.Unix() >= unix {
		return ""
	}
	found := ""
	for _, t := range s.AdminTokens {
		want := codecMAC(t.Token, name+"|"+exp)
		if subtle.ConstantTimeCompare([]byte(mac), []byte(want)) == 1 && t.Name == name {
			found = t.Name
		}
	}
	return found
}

// requireCodecAuth accepts a support token (Authorization: Bearer, as the
// CLI sends with --codec-auth) or a session cookie from /codec/login.
func (s *Server) requireCodecAuth(next echo.HandlerFunc) echo.HandlerFunc {
	bearer := s.requireAdmin(next)
	return func(c echo.Context) error {
		if ck, err := c.Cookie(codecCookie); err == nil && c.Request().Header.Get(echo.HeaderAuthorization) == "" {
			if name := s.sessionName(ck.Value, s.now()); name != "" {
				c.Set(ctxAdmin, name)
				return next(c)
			}
		}
		return bearer(c)
	}
}

var codecLoginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>eSIM store: decode payloads</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}input,button{font:inherit;padding:.4rem}</style>
</head><body>
<h1>Decode payloads in the Temporal UI</h1>
{{if .Name}}<p>Signed in as <b>{{.Name}}</b> until {{.Until}} (UTC). Reload the Temporal UI: it now shows workflow payloads decoded.</p>
{{else}}{{if .Failed}}<p role="alert"><b>That is not a valid support token.</b></p>{{end}}
<p>Workflow payloads are encrypted. Sign in with your support token (one of ADMIN_TOKENS) and this browser may decode them for {{.Hours}} hours.</p>
<form method="post" action="login"><label>Support token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button></form>{{end}}
</body></html>
`))

type loginPage struct {
	Name, Until string
	Failed      bool
	Hours       int
}

func (s *Server) codecLoginForm(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, loginPage{})
}

func (s *Server) codecLogin(c echo.Context) error {
	token := c.FormValue("token")
	var matched config.AdminToken
	for _, t := range s.AdminTokens {
		// Every token is compared, so timing does not reveal which matched.
		if subtle.ConstantTimeCompare([]byte(token), []byte(t.Token)) == 1 {
			matched = t
		}
	}
	if token == "" || matched.Name == "" {
		s.log().Warn("codec sign-in refused", "remote", c.RealIP())
		return s.renderLogin(c, http.StatusUnauthorized, loginPage{Failed: true})
	}
	name := matched.Name
	until := s.now().Add(codecSessionTTL)
	ck := &http.Cookie{Name: codecCookie, Value: codecSession(name, matched.Token, until), Path: "/codec/",
		Expires: until, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if c.Scheme() == "https" {
		// The UI usually lives on another site (an SSH tunnel's localhost):
		// over HTTPS the browser sends the cookie cross-site only with None.
		ck.SameSite, ck.Secure = http.SameSiteNoneMode, true
	}
	c.SetCookie(ck)
	s.log().Info("codec sign-in", "admin", name)
	return s.renderLogin(c, http.StatusOK, loginPage{Name: name, Until: until.UTC().Format("2006-01-02 15:04")})
}

func (s *Server) renderLogin(c echo.Context, status int, p loginPage) error {
	p.Hours = int(codecSessionTTL.Hours())
	var b strings.Builder
	if err := codecLoginPage.Execute(&b, p); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, b.String())
}
