package esimgo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
)

// NormalizeSMDP returns the bare SM-DP+ host for an LPA string. eSIM Go's
// examples show "http://smdp.example.com" while real answers carry a bare
// host; a scheme inside the LPA string makes the QR code unusable.
func NormalizeSMDP(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	return s
}

// LPA returns the activation string LPA:1$<smdp>$<matchingId> that the QR code encodes.
func LPA(smdp, matchingID string) string {
	return "LPA:1$" + NormalizeSMDP(smdp) + "$" + strings.TrimSpace(matchingID)
}

// IOSInstallURL is Apple's one-tap install link (iOS 17.4+) for an LPA string.
func IOSInstallURL(lpa string) string {
	return "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=" + url.QueryEscape(lpa)
}

// AndroidInstallURL is Android's one-tap install link for an LPA string. The
// LPA is left unescaped, as in eSIM Go's own androidInstallUrl values.
func AndroidInstallURL(lpa string) string {
	return "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=" + lpa
}

// VerifyCallbackSignature checks the X-Signature-SHA256 header of a V3
// callback: HMAC-SHA256 of the raw body keyed by the API key. eSIM Go's own
// pages disagree on the encoding (hex in the guide, base64 in the API
// reference), so both are accepted. Verify before parsing the body.
func VerifyCallbackSignature(body []byte, signature, apiKey string) bool {
	signature = strings.TrimSpace(signature)
	if signature == "" || apiKey == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write(body)
	want := mac.Sum(nil)

	ok := false
	if got, err := hex.DecodeString(signature); err == nil && hmac.Equal(got, want) {
		ok = true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if got, err := enc.DecodeString(signature); err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

// CallbackSignature returns the hex signature eSIM Go would send for body;
// useful for fakes and tests.
func CallbackSignature(body []byte, apiKey string) string {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
