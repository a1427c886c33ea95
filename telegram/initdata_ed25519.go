package telegram

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Telegram's published Ed25519 keys for third-party initData validation
// (core.telegram.org/bots/webapps#validating-data-for-third-party-use).
var (
	ProductionPublicKey = mustKey("e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d")
	TestPublicKey       = mustKey("40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec")
)

func mustKey(h string) ed25519.PublicKey {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != ed25519.PublicKeySize {
		panic("telegram: bad built-in public key")
	}
	return ed25519.PublicKey(b)
}

// ValidateInitDataEd25519 checks the signature field, which needs only the
// bot id and Telegram's public key, not the token. The signed message is
// "<bot_id>:WebAppData\n" + data-check-string without hash and signature.
func ValidateInitDataEd25519(raw string, botID int64, pub ed25519.PublicKey, maxAge time.Duration, now time.Time) (InitData, error) {
	fields, err := parseInitData(raw)
	if err != nil {
		return InitData{}, err
	}
	sigText := fields.Get("signature")
	if sigText == "" {
		return InitData{}, ErrMissingSignature
	}
	sig, err := decodeSignature(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return InitData{}, ErrSignatureMismatch
	}
	if !ed25519.Verify(pub, ed25519Message(botID, fields), sig) {
		return InitData{}, ErrSignatureMismatch
	}
	return decodeInitData(fields, maxAge, now)
}

func ed25519Message(botID int64, fields map[string][]string) []byte {
	return []byte(strconv.FormatInt(botID, 10) + ":WebAppData\n" + dataCheckString(fields, "hash", "signature"))
}

// decodeSignature accepts base64url with or without padding; Telegram sends
// it unpadded, but padding must not turn a valid signature into a rejection.
func decodeSignature(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
