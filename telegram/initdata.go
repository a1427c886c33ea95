package telegram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors returned by ValidateInitData and ValidateInitDataEd25519; the API
// maps all of them to 401 but logs which one it was.
var (
	ErrMalformed         = errors.New("initData: malformed")
	ErrMissingHash       = errors.New("initData: missing hash")
	ErrMissingSignature  = errors.New("initData: missing signature")
	ErrSignatureMismatch = errors.New("initData: signature mismatch")
	ErrExpired           = errors.New("initData: auth_date too old")
	ErrFutureAuthDate    = errors.New("initData: auth_date in the future")
)

const (
	// DefaultInitDataMaxAge applies when maxAge is 0 (INITDATA_MAX_AGE default).
	DefaultInitDataMaxAge = 24 * time.Hour
	// clockSkew tolerates a server clock slightly behind Telegram's.
	clockSkew = time.Minute
	// maxInitDataBytes bounds the work done on an unauthenticated header.
	maxInitDataBytes = 16 << 10
)

// InitData is the verified content of Telegram.WebApp.initData.
type InitData struct {
	User         User
	AuthDate     time.Time
	QueryID      string
	StartParam   string
	ChatType     string
	ChatInstance string
}

// ValidateInitData checks the first-party HMAC: secret = HMAC-SHA256(key
// "WebAppData", botToken), hash = hex HMAC-SHA256(secret, data-check-string).
// The signature is checked before anything else is trusted, then the age
// (maxAge 0 means DefaultInitDataMaxAge; auth_date may lead now by 1 minute).
func ValidateInitData(raw, botToken string, maxAge time.Duration, now time.Time) (InitData, error) {
	fields, err := parseInitData(raw)
	if err != nil {
		return InitData{}, err
	}
	gotHash := fields.Get("hash")
	if gotHash == "" {
		return InitData{}, ErrMissingHash
	}
	got, err := hex.DecodeString(gotHash)
	if err != nil {
		return InitData{}, ErrSignatureMismatch
	}
	// Only hash is excluded: Telegram computes the HMAC over every other
	// field, including the newer Ed25519 signature.
	if !hmac.Equal(got, initDataHMAC(botToken, dataCheckString(fields, "hash"))) {
		return InitData{}, ErrSignatureMismatch
	}
	return decodeInitData(fields, maxAge, now)
}

func initDataHMAC(botToken, checkString string) []byte {
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(botToken))
	mac := hmac.New(sha256.New, secret.Sum(nil))
	mac.Write([]byte(checkString))
	return mac.Sum(nil)
}

// parseInitData decodes the query string. Repeated keys are rejected: the
// data-check-string has one line per key, so a duplicate would let an
// attacker smuggle a value that was not signed.
func parseInitData(raw string) (url.Values, error) {
	if raw == "" || len(raw) > maxInitDataBytes {
		return nil, fmt.Errorf("%w: empty or too long", ErrMalformed)
	}
	fields, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for k, v := range fields {
		if len(v) != 1 {
			return nil, fmt.Errorf("%w: repeated key %q", ErrMalformed, k)
		}
	}
	return fields, nil
}

// dataCheckString is the sorted "key=value" lines without the excluded keys.
func dataCheckString(fields url.Values, exclude ...string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !slices.Contains(exclude, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(fields.Get(k))
	}
	return b.String()
}

// decodeInitData interprets already-authenticated fields.
func decodeInitData(fields url.Values, maxAge time.Duration, now time.Time) (InitData, error) {
	if maxAge <= 0 {
		maxAge = DefaultInitDataMaxAge
	}
	sec, err := strconv.ParseInt(fields.Get("auth_date"), 10, 64)
	if err != nil || sec <= 0 {
		return InitData{}, fmt.Errorf("%w: auth_date", ErrMalformed)
	}
	authDate := time.Unix(sec, 0)
	if authDate.After(now.Add(clockSkew)) {
		return InitData{}, ErrFutureAuthDate
	}
	if now.Sub(authDate) > maxAge {
		return InitData{}, ErrExpired
	}
	var user User
	if err := json.Unmarshal([]byte(fields.Get("user")), &user); err != nil {
		return InitData{}, fmt.Errorf("%w: user: %v", ErrMalformed, err)
	}
	if user.ID <= 0 {
		return InitData{}, fmt.Errorf("%w: user id", ErrMalformed)
	}
	return InitData{
		User:         user,
		AuthDate:     authDate,
		QueryID:      fields.Get("query_id"),
		StartParam:   fields.Get("start_param"),
		ChatType:     fields.Get("chat_type"),
		ChatInstance: fields.Get("chat_instance"),
	}, nil
}
