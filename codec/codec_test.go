package codec_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/starsesim/esimstore/codec"
)

func key(id string, fill byte) codec.Key {
	return codec.Key{ID: id, Secret: bytes.Repeat([]byte{fill}, codec.KeySize)}
}

func b64(fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, codec.KeySize))
}

func mustCodec(t *testing.T, keys ...codec.Key) *codec.Codec {
	t.Helper()
	c, err := codec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// What an order's delivery carries: the activation code, the ICCID and the
// buyer's name must not survive encoding in readable form.
type delivery struct {
	LPA   string
	ICCID string
	Buyer string
}

var secret = delivery{LPA: "LPA:1$smdp.example.com$K2-ABC-123", ICCID: "8944500102198304826", Buyer: "Zoë <Ops> & Co"}

func TestRoundTripHidesEverything(t *testing.T) {
	dc := codec.DataConverter(mustCodec(t, key("k1", 1)))
	p, err := dc.ToPayload(secret)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := protojson.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	// Needles of 10+ bytes: a shorter one could turn up in random ciphertext.
	for _, s := range []string{secret.LPA, secret.ICCID, secret.Buyer, "json/plain"} {
		if bytes.Contains(p.Data, []byte(s)) || bytes.Contains(raw, []byte(s)) {
			t.Errorf("encoded payload still contains %q", s)
		}
	}
	if got := string(p.Metadata["encoding"]); got != codec.MetadataEncodingEncrypted {
		t.Errorf("encoding %q", got)
	}
	if got := string(p.Metadata[codec.MetadataKeyID]); got != "k1" {
		t.Errorf("key id %q", got)
	}
	var back delivery
	if err := dc.FromPayload(p, &back); err != nil || back != secret {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	// Two encodings of the same value differ (fresh nonce each time).
	p2, _ := dc.ToPayload(secret)
	if bytes.Equal(p.Data, p2.Data) {
		t.Error("the same value encrypted twice gave the same ciphertext")
	}
}

func TestKeyRotation(t *testing.T) {
	old := mustCodec(t, key("2026-01", 1))
	p, err := codec.DataConverter(old).ToPayload(secret)
	if err != nil {
		t.Fatal(err)
	}

	// The new key goes first; the old one stays for what it encrypted.
	rotated := mustCodec(t, key("2026-06", 2), key("2026-01", 1))
	var back delivery
	if err := codec.DataConverter(rotated).FromPayload(p, &back); err != nil || back != secret {
		t.Fatalf("old payload after rotation: %+v, %v", back, err)
	}
	p2, _ := codec.DataConverter(rotated).ToPayload(secret)
	if got := string(p2.Metadata[codec.MetadataKeyID]); got != "2026-06" || rotated.EncryptingKeyID() != "2026-06" {
		t.Errorf("new payloads use key %q, want the first key 2026-06", got)
	}

	// Dropping the old key too early is a clear error, not garbage.
	dropped := mustCodec(t, key("2026-06", 2))
	_, err = dropped.Decode([]*commonpb.Payload{p})
	var unknown *codec.UnknownKeyError
	if !errors.As(err, &unknown) || unknown.KeyID != "2026-01" || !strings.Contains(err.Error(), "PAYLOAD_KEYS") {
		t.Fatalf("err = %v, want an UnknownKeyError naming 2026-01", err)
	}

	// The same id with other key material fails authentication.
	wrong := mustCodec(t, key("2026-01", 9))
	if _, err := wrong.Decode([]*commonpb.Payload{p}); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Fatalf("err = %v, want a decryption failure", err)
	}
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	c := mustCodec(t, key("k1", 1), key("k0", 2))
	enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	flipped := &commonpb.Payload{Metadata: enc[0].Metadata, Data: bytes.Clone(enc[0].Data)}
	flipped.Data[len(flipped.Data)-1] ^= 1
	// Relabelling the ciphertext with the other key id is caught too: the
	// id is authenticated.
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(codec.MetadataEncodingEncrypted),
		codec.MetadataKeyID: []byte("k0")}, Data: enc[0].Data}
	short := &commonpb.Payload{Metadata: enc[0].Metadata, Data: enc[0].Data[:5]}
	for name, p := range map[string]*commonpb.Payload{"flipped bit": flipped, "relabelled": relabelled, "truncated": short} {
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(secret)
	if err != nil {
		t.Fatal(err)
	}
	var back delivery
	if err := codec.DataConverter(mustCodec(t, key("k1", 1))).FromPayload(plain, &back); err != nil || back != secret {
		t.Fatalf("a payload written before encryption: %+v, %v", back, err)
	}
}

func TestFailureTextsAreEncrypted(t *testing.T) {
	dc := codec.DataConverter(mustCodec(t, key("k1", 1)))
	fc := codec.FailureConverter(dc)
	f := fc.ErrorToFailure(temporal.NewApplicationError("eSIM Go has no revocable bundle on "+secret.ICCID, "PermanentESIM"))
	raw, err := protojson.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret.ICCID)) {
		t.Fatalf("failure carries the ICCID in readable form: %s", raw)
	}
	back := fc.FailureToError(f)
	if !strings.Contains(back.Error(), secret.ICCID) {
		t.Fatalf("decoded failure %q lost its message", back)
	}
}

func TestParseKeys(t *testing.T) {
	keys, err := codec.ParseKeys(" new:" + b64(1) + " , old:" + strings.TrimRight(base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), "="))
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || keys[1].ID != "old" || keys[1].Secret[0] != 0xfb {
		t.Fatalf("keys %+v, %v", keys, err)
	}
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	for _, tc := range []struct{ in, want string }{
		{"", "no keys"},
		{"k1", "not id:base64key"},
		{":" + b64(1), "not id:base64key"},
		{"k1:" + short, "has 16 bytes"},
		{"k1:%%%", "not base64"},
		{"k1:" + b64(1) + ",k1:" + b64(2), "appears twice"},
	} {
		_, err := codec.ParseKeys(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeys(%q) = %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), b64(1)) {
			t.Errorf("error quotes the key: %v", err)
		}
	}
}

// The HTTP handler speaks Temporal's codec protocol: what /encode returns,
// /decode turns back into the original.
func TestHTTPHandlerRoundTrip(t *testing.T) {
	srv := httptest.NewServer(codec.HTTPHandler(mustCodec(t, key("k1", 1))))
	defer srv.Close()
	plain, _ := converter.GetDefaultDataConverter().ToPayloads(secret)
	post := func(path string, body []byte) []byte {
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
		return out
	}
	in, _ := protojson.Marshal(plain)
	encoded := post("/codec/encode", in)
	if bytes.Contains(encoded, []byte(base64.StdEncoding.EncodeToString(plain.Payloads[0].Data)[:20])) {
		t.Fatal("encode returned the plain data")
	}
	decoded := post("/codec/decode", encoded)
	var back commonpb.Payloads
	if err := protojson.Unmarshal(decoded, &back); err != nil {
		t.Fatal(err)
	}
	var v delivery
	if err := converter.GetDefaultDataConverter().FromPayloads(&back, &v); err != nil || v != secret {
		t.Fatalf("round trip through HTTP: %+v, %v", v, err)
	}
}
