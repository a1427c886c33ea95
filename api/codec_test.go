package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/starsesim/esimstore/codec"
	"github.com/starsesim/esimstore/config"
)

const uiOrigin = "http://localhost:8233"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func codecServer(t *testing.T, open bool) http.Handler {
	t.Helper()
	keys, err := codec.ParseKeys(config.SandboxPayloadKeys)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := codec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Codec: codec.HTTPHandler(cd), CodecOrigins: []string{uiOrigin}, CodecOpen: open,
		AdminTokens: []config.AdminToken{{Name: "alice", Token: "alice-token-123"}}, Logger: quiet}
	return s.Routes()
}

func payloadsJSON(t *testing.T, v any) []byte {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayloads(v)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := protojson.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func do(h http.Handler, method, path string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCodecEndpointNeedsASupportToken(t *testing.T) {
	h := codecServer(t, false)
	body := payloadsJSON(t, "LPA:1$smdp.example.com$K2-ABC")
	for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer wrong-token-456"}, {"Authorization": "alice-token-123"}} {
		rec := do(h, http.MethodPost, "/codec/encode", body, hdr)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"error":"unauthorized"`) {
			t.Errorf("%v: %d %s", hdr, rec.Code, rec.Body)
		}
	}
	auth := map[string]string{"Authorization": "Bearer alice-token-123", "Origin": uiOrigin, "X-Namespace": "default"}
	enc := do(h, http.MethodPost, "/codec/encode", body, auth)
	if enc.Code != http.StatusOK || strings.Contains(enc.Body.String(), "TFBBOjE") { // base64 of "LPA:1"
		t.Fatalf("encode: %d %s", enc.Code, enc.Body)
	}
	if got := enc.Header().Get("Access-Control-Allow-Origin"); got != uiOrigin {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	dec := do(h, http.MethodPost, "/codec/decode", enc.Body.Bytes(), auth)
	var back commonpb.Payloads
	if dec.Code != http.StatusOK || protojson.Unmarshal(dec.Body.Bytes(), &back) != nil {
		t.Fatalf("decode: %d %s", dec.Code, dec.Body)
	}
	var lpa string
	if err := converter.GetDefaultDataConverter().FromPayloads(&back, &lpa); err != nil || lpa != "LPA:1$smdp.example.com$K2-ABC" {
		t.Fatalf("round trip gave %q, %v", lpa, err)
	}
}

// The Web UI calls the codec from its own origin: the browser's preflight
// must be answered for that origin only, with credentials allowed.
func TestCodecCORS(t *testing.T) {
	h := codecServer(t, false)
	preflight := func(origin string) *httptest.ResponseRecorder {
		return do(h, http.MethodOptions, "/codec/decode", nil, map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-namespace"})
	}
	rec := preflight(uiOrigin)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != uiOrigin ||
		rec.Header().Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "x-namespace") {
		t.Errorf("preflight from the UI: %d %v", rec.Code, rec.Header())
	}
	if rec := preflight("https://evil.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", rec.Header())
	}
	// Other routes get no CORS headers at all.
	if rec := do(h, http.MethodOptions, "/admin/orders", nil, map[string]string{"Origin": uiOrigin,
		"Access-Control-Request-Method": "GET"}); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("/admin answered a preflight: %v", rec.Header())
	}
}

func TestCodecOpenInTheSandboxAndLargeBodies(t *testing.T) {
	h := codecServer(t, true)
	big := payloadsJSON(t, strings.Repeat("x", 200_000)) // over the API's 64 KiB limit
	if rec := do(h, http.MethodPost, "/codec/encode", big, nil); rec.Code != http.StatusOK {
		t.Fatalf("sandbox encode of a large payload: %d %.200s", rec.Code, rec.Body)
	}
	if rec := do(h, http.MethodPost, "/codec/decode", []byte("{not json"), nil); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed body: %d", rec.Code)
	}
}

// The Web UI cannot send a token, only the browser's cookies: an operator
// signs in once at /codec/login and the codec accepts the session.
func TestCodecSessionCookie(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	keys, _ := codec.ParseKeys(config.SandboxPayloadKeys)
	cd, _ := codec.New(keys)
	server := func(tokens ...config.AdminToken) *Server {
		return &Server{Codec: codec.HTTPHandler(cd), CodecOrigins: []string{uiOrigin}, AdminTokens: tokens,
			Now: func() time.Time { return now }, Logger: quiet}
	}
	alice := config.AdminToken{Name: "alice", Token: "alice-token-123"}
	bob := config.AdminToken{Name: "bob", Token: "bob-token-4567"}
	s := server(alice, bob)
	h := s.Routes()
	login := func(h http.Handler, token string, headers map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/codec/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
			// X-Forwarded-Proto counts only from a proxy on a private network.
			req.RemoteAddr = "10.0.0.2:41234"
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := do(h, http.MethodGet, "/codec/login", nil, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="token"`) {
		t.Fatalf("login form: %d", rec.Code)
	}
	if rec := login(h, "not-a-token-999", nil); rec.Code != http.StatusUnauthorized || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("wrong token: %d, cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	rec := login(h, bob.Token, nil)
	cookie := rec.Result().Cookies()
	if rec.Code != http.StatusOK || len(cookie) != 1 || !cookie[0].HttpOnly || cookie[0].Path != "/codec/" ||
		cookie[0].SameSite != http.SameSiteLaxMode || cookie[0].Secure || strings.Contains(cookie[0].Value, bob.Token) {
		t.Fatalf("sign-in: %d %+v", rec.Code, cookie)
	}
	body := payloadsJSON(t, "x")
	withCookie := func(h http.Handler, value string) int {
		return do(h, http.MethodPost, "/codec/encode", body, map[string]string{"Cookie": codecCookie + "=" + value, "Origin": uiOrigin}).Code
	}
	if code := withCookie(h, cookie[0].Value); code != http.StatusOK {
		t.Fatalf("codec with the session: %d", code)
	}
	forged := strings.Replace(cookie[0].Value, "bob|", "alice|", 1)
	if code := withCookie(h, forged); code != http.StatusUnauthorized {
		t.Errorf("a session renamed to another token's name: %d", code)
	}
	now = now.Add(codecSessionTTL)
	if code := withCookie(h, cookie[0].Value); code != http.StatusUnauthorized {
		t.Errorf("an expired session: %d", code)
	}
	now = now.Add(-time.Hour)
	if code := withCookie(server(alice, config.AdminToken{Name: "bob", Token: "bob-rotated-890"}).Routes(), cookie[0].Value); code != http.StatusUnauthorized {
		t.Errorf("a session of a rotated token: %d", code)
	}
	// Behind an HTTPS proxy the cookie must cross sites (the UI is elsewhere).
	rec = login(h, alice.Token, map[string]string{"X-Forwarded-Proto": "https"})
	if c := rec.Result().Cookies(); len(c) != 1 || c[0].SameSite != http.SameSiteNoneMode || !c[0].Secure {
		t.Errorf("https sign-in cookie %+v", c)
	}
}
