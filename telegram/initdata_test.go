package telegram

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testToken = "7000000001:AAFakeTokenForTestsOnly_0123456789a"

var testNow = time.Date(2026, 7, 20, 12, 0, 0, 0, time.UTC)

func testUser() User {
	return User{ID: 5_079_065_042, FirstName: "Ada", LastName: "L", Username: "ada", LanguageCode: "en", IsPremium: true, PhotoURL: "https://t.me/i/userpic/320/ada.jpg"}
}

func TestValidateInitData(t *testing.T) {
	extra := url.Values{"query_id": {"AAH1"}, "start_param": {"plan_de"}, "chat_type": {"sender"}, "chat_instance": {"-3788475317572404878"}}
	good := SignInitData(testToken, testUser(), testNow.Add(-time.Hour), extra)

	tamper := func(raw, key, val string) string {
		v, _ := url.ParseQuery(raw)
		v.Set(key, val)
		return v.Encode()
	}
	drop := func(raw, key string) string {
		v, _ := url.ParseQuery(raw)
		v.Del(key)
		return v.Encode()
	}

	tests := []struct {
		name  string
		raw   string
		token string
		now   time.Time
		want  error
	}{
		{"valid", good, testToken, testNow, nil},
		{"tampered user", tamper(good, "user", `{"id":43,"first_name":"Eve"}`), testToken, testNow, ErrSignatureMismatch},
		{"tampered start_param", tamper(good, "start_param", "plan_free"), testToken, testNow, ErrSignatureMismatch},
		{"added field", tamper(good, "receiver", "x"), testToken, testNow, ErrSignatureMismatch},
		{"wrong token", good, "7000000001:AAOtherTokenxxxxxxxxxxxxxxxxxxxxxxxx", testNow, ErrSignatureMismatch},
		{"stale", good, testToken, testNow.Add(24 * time.Hour), ErrExpired},
		{"future beyond skew", SignInitData(testToken, testUser(), testNow.Add(2*time.Minute), nil), testToken, testNow, ErrFutureAuthDate},
		{"future within skew", SignInitData(testToken, testUser(), testNow.Add(30*time.Second), nil), testToken, testNow, nil},
		{"missing hash", drop(good, "hash"), testToken, testNow, ErrMissingHash},
		{"non-hex hash", tamper(good, "hash", "zz"), testToken, testNow, ErrSignatureMismatch},
		{"repeated key", good + "&user=%7B%22id%22%3A1%7D", testToken, testNow, ErrMalformed},
		{"empty", "", testToken, testNow, ErrMalformed},
		{"bad escape", "a=%zz", testToken, testNow, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateInitData(tt.raw, tt.token, 24*time.Hour, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && got.User.ID == 0 {
				t.Fatal("no user parsed")
			}
		})
	}

	got, err := ValidateInitData(good, testToken, 24*time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := InitData{User: testUser(), AuthDate: testNow.Add(-time.Hour), QueryID: "AAH1", StartParam: "plan_de", ChatType: "sender", ChatInstance: "-3788475317572404878"}
	if got.User != want.User || !got.AuthDate.Equal(want.AuthDate) || got.QueryID != want.QueryID ||
		got.StartParam != want.StartParam || got.ChatType != want.ChatType || got.ChatInstance != want.ChatInstance {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// TestValidateInitDataTelegramShape checks a payload shaped like a real
// client's: escaped slashes in the user JSON and a signature field, which
// stays inside the HMAC input.
func TestValidateInitDataTelegramShape(t *testing.T) {
	fields := url.Values{
		"user":      {`{"id":4503599627370495,"first_name":"Ada","photo_url":"https:\/\/t.me\/i\/userpic\/320\/a.svg"}`},
		"auth_date": {"1784548800"},
		"signature": {"abc-_"},
	}
	fields.Set("hash", hexHMAC(testToken, dataCheckString(fields, "hash")))
	got, err := ValidateInitData(fields.Encode(), testToken, time.Hour, time.Unix(1784548800, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got.User.PhotoURL != "https://t.me/i/userpic/320/a.svg" || got.User.ID != 1<<52-1 {
		t.Fatalf("user = %+v", got.User)
	}
	// Excluding signature from the HMAC would be a different string.
	if dataCheckString(fields, "hash") == dataCheckString(fields, "hash", "signature") {
		t.Fatal("signature not part of the data-check-string")
	}
}

// Telegram user ids use up to 52 bits; both signature schemes must hand
// every one back exactly.
func TestInitDataCarries52BitIDs(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const botID = 7000000001
	for _, id := range []int64{1, 1<<31 - 1, 1 << 31, 5_079_065_042, 1<<52 - 1} {
		u := testUser()
		u.ID = id
		at := testNow.Add(-time.Minute)
		got, err := ValidateInitData(SignInitData(testToken, u, at, nil), testToken, time.Hour, testNow)
		if err != nil || got.User.ID != id {
			t.Errorf("HMAC %d: got %d, %v", id, got.User.ID, err)
		}
		got, err = ValidateInitDataEd25519(SignInitDataEd25519(priv, botID, testToken, u, at, nil), botID, pub, time.Hour, testNow)
		if err != nil || got.User.ID != id {
			t.Errorf("Ed25519 %d: got %d, %v", id, got.User.ID, err)
		}
	}
}

func hexHMAC(token, s string) string {
	const hexdigits = "0123456789abcdef"
	sum := initDataHMAC(token, s)
	var b strings.Builder
	for _, c := range sum {
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func TestValidateInitDataEd25519(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const botID = 7000000001
	raw := SignInitDataEd25519(priv, botID, testToken, testUser(), testNow.Add(-time.Minute), url.Values{"query_id": {"Q"}})

	got, err := ValidateInitDataEd25519(raw, botID, pub, time.Hour, testNow)
	if err != nil {
		t.Fatalf("valid: %v", err)
	}
	if got.User.ID != testUser().ID || got.QueryID != "Q" {
		t.Fatalf("got %+v", got)
	}
	// Telegram sends hash and signature together; the HMAC must accept it too.
	if _, err := ValidateInitData(raw, testToken, time.Hour, testNow); err != nil {
		t.Fatalf("hmac of signed data: %v", err)
	}

	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	v, _ := url.ParseQuery(raw)
	v.Set("user", `{"id":43,"first_name":"Eve"}`)
	noSig, _ := url.ParseQuery(raw)
	noSig.Del("signature")
	badSig, _ := url.ParseQuery(raw)
	badSig.Set("signature", "not base64 !!")

	for name, tc := range map[string]struct {
		raw   string
		botID int64
		key   ed25519.PublicKey
		want  error
	}{
		"other key":         {raw, botID, otherPub, ErrSignatureMismatch},
		"other bot":         {raw, botID + 1, pub, ErrSignatureMismatch},
		"tampered":          {v.Encode(), botID, pub, ErrSignatureMismatch},
		"missing signature": {noSig.Encode(), botID, pub, ErrMissingSignature},
		"garbage signature": {badSig.Encode(), botID, pub, ErrSignatureMismatch},
		"production key":    {raw, botID, ProductionPublicKey, ErrSignatureMismatch},
		"short key":         {raw, botID, ed25519.PublicKey{1, 2}, ErrSignatureMismatch},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ValidateInitDataEd25519(tc.raw, tc.botID, tc.key, time.Hour, testNow); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := ValidateInitDataEd25519(raw, botID, pub, time.Hour, testNow.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("stale: %v", err)
	}
}

func TestPublishedKeys(t *testing.T) {
	for name, k := range map[string]ed25519.PublicKey{"production": ProductionPublicKey, "test": TestPublicKey} {
		if len(k) != ed25519.PublicKeySize {
			t.Errorf("%s key has %d bytes", name, len(k))
		}
	}
	if ProductionPublicKey.Equal(TestPublicKey) {
		t.Error("production and test keys are equal")
	}
}

// FuzzParseInitData checks that no input makes the validators panic and that
// nothing unsigned is ever accepted.
func FuzzParseInitData(f *testing.F) {
	f.Add(SignInitData(testToken, testUser(), testNow, url.Values{"query_id": {"x"}}))
	f.Add("user=%7B%22id%22%3A1%7D&auth_date=1&hash=00")
	f.Add("hash=&&&=&%")
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := ValidateInitData(raw, testToken, 0, testNow)
		if err == nil {
			// Only inputs we signed can pass; re-signing must reproduce them.
			if d.User.ID <= 0 || d.AuthDate.After(testNow.Add(time.Minute)) {
				t.Fatalf("accepted invalid data %+v", d)
			}
		}
		_, _ = ValidateInitDataEd25519(raw, 1, TestPublicKey, time.Hour, testNow)
		if fields, err := parseInitData(raw); err == nil {
			_ = dataCheckString(fields, "hash")
		}
	})
}
