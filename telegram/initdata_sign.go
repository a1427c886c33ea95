package telegram

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// SignInitData produces initData the way Telegram does for botToken, so tests
// and the sandbox's simulated Telegram client can call the Mini App API.
// extra adds fields such as query_id or start_param (a "hash" in extra is
// replaced).
func SignInitData(botToken string, user User, authDate time.Time, extra url.Values) string {
	fields := initDataFields(user, authDate, extra)
	fields.Del("hash")
	fields.Set("hash", hex.EncodeToString(initDataHMAC(botToken, dataCheckString(fields, "hash"))))
	return fields.Encode()
}

// SignInitDataEd25519 adds an Ed25519 signature made with priv (a test key
// standing in for Telegram's) and, when botToken is not empty, the HMAC hash
// over all fields including that signature, as Telegram sends both.
func SignInitDataEd25519(priv ed25519.PrivateKey, botID int64, botToken string, user User, authDate time.Time, extra url.Values) string {
	fields := initDataFields(user, authDate, extra)
	fields.Del("hash")
	fields.Del("signature")
	sig := ed25519.Sign(priv, ed25519Message(botID, fields))
	fields.Set("signature", base64.RawURLEncoding.EncodeToString(sig))
	if botToken != "" {
		fields.Set("hash", hex.EncodeToString(initDataHMAC(botToken, dataCheckString(fields, "hash"))))
	}
	return fields.Encode()
}

func initDataFields(user User, authDate time.Time, extra url.Values) url.Values {
	fields := url.Values{}
	for k, v := range extra {
		if len(v) > 0 {
			fields.Set(k, v[0])
		}
	}
	userJSON, _ := json.Marshal(user) //nolint:errcheck // a struct of strings and numbers cannot fail
	fields.Set("user", string(userJSON))
	fields.Set("auth_date", strconv.FormatInt(authDate.Unix(), 10))
	return fields
}
