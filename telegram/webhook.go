package telegram

import (
	"crypto/subtle"
	"errors"
	"fmt"
)

// SecretHeader carries the secret_token given to setWebhook on every delivery.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// CheckSecret compares the header value with the configured secret in
// constant time. An empty configured secret never matches: a webhook without
// a secret would accept forged payments.
func CheckSecret(got, want string) bool {
	if want == "" || got == "" {
		return false
	}
	// ConstantTimeCompare returns early on a length mismatch, which only
	// reveals the length; the secret's content is what must stay hidden.
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// ValidateSecretToken applies Telegram's rule for secret_token: 1-256
// characters from A-Z, a-z, 0-9, _ and -.
func ValidateSecretToken(secret string) error {
	if len(secret) < 1 || len(secret) > 256 {
		return errors.New("secret token must be 1-256 characters")
	}
	for _, r := range secret {
		if !secretTokenChar(r) {
			return fmt.Errorf("secret token may only contain A-Z, a-z, 0-9, _ and -")
		}
	}
	return nil
}

func secretTokenChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}
