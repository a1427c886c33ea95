package esimgo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeSMDP(t *testing.T) {
	for in, want := range map[string]string{
		"rsp-3104.idemia.io":            "rsp-3104.idemia.io",
		"http://smdp.example.com":       "smdp.example.com",
		"https://rsp.example.com/":      "rsp.example.com",
		"  HTTPS://rsp.example.com//  ": "rsp.example.com",
		"\trsp.example.com\n":           "rsp.example.com",
		"":                              "",
	} {
		assert.Equal(t, want, NormalizeSMDP(in), "input %q", in)
	}
}

func TestInstallLinks(t *testing.T) {
	lpa := LPA("http://rsp-3104.idemia.io/", "ABCDE-FGHIJ-KLMNO-PQRST")
	assert.Equal(t, "LPA:1$rsp-3104.idemia.io$ABCDE-FGHIJ-KLMNO-PQRST", lpa)
	assert.Equal(t, "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp-3104.idemia.io%24ABCDE-FGHIJ-KLMNO-PQRST", IOSInstallURL(lpa))
	assert.Equal(t, "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$rsp-3104.idemia.io$ABCDE-FGHIJ-KLMNO-PQRST", AndroidInstallURL(lpa))
}

func TestVerifyCallbackSignature(t *testing.T) {
	body := []byte(`{"iccid":"8944538532008160000","alertType":"Utilisation","bundle":{"name":"esim_1GB_7D_GB_V2"}}`)
	const key = "callback-key"
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	sum := mac.Sum(nil)
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
		key  string
		want bool
	}{
		{"valid hex", body, hex.EncodeToString(sum), key, true},
		{"valid upper-case hex", body, hexUpper(sum), key, true},
		{"valid base64", body, base64.StdEncoding.EncodeToString(sum), key, true},
		{"valid base64 with spaces around", body, " " + base64.StdEncoding.EncodeToString(sum) + "\n", key, true},
		{"helper matches", body, CallbackSignature(body, key), key, true},
		{"tampered body", append([]byte(nil), append(body[:len(body)-1], ' ', '}')...), hex.EncodeToString(sum), key, false},
		{"wrong key", body, hex.EncodeToString(sum), "other-key", false},
		{"empty signature", body, "", key, false},
		{"garbage", body, "not-a-signature", key, false},
		{"truncated", body, hex.EncodeToString(sum[:16]), key, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, VerifyCallbackSignature(tc.body, tc.sig, tc.key))
		})
	}
}

func hexUpper(b []byte) string {
	s := []byte(hex.EncodeToString(b))
	for i, c := range s {
		if c >= 'a' && c <= 'f' {
			s[i] = c - 32
		}
	}
	return string(s)
}
