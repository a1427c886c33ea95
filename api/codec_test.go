package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/starsesim/esimstore/codec"
	"github.com/starsesim/esimstore/config"
)

const uiOrigin = "http://localhost:8233"

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
		AdminTokens: []config.AdminToken{{Name: "alice", Token: "alice-token-123"}}}
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
