package esimgo

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// SignatureHeader carries the V3 callback signature: HMAC-SHA256 of the raw
// request body keyed with the account's API key. eSIM Go's API reference
// encodes it in base64, its webhooks guide in hex (reference §5).
const SignatureHeader = "X-Signature-SHA256"

// Sign returns the base64 signature eSIM Go puts on a callback body.
func Sign(apiKey string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(apiKey, body))
}

// SignHex returns the same signature in hex.
func SignHex(apiKey string, body []byte) string { return hex.EncodeToString(mac(apiKey, body)) }

func mac(key string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature reports whether header is the signature of the raw body
// under apiKey, in base64 (padded or not) or hex (any case). It never parses
// the body, and compares in constant time.
func VerifySignature(apiKey string, body []byte, header string) bool {
	header = strings.TrimSpace(header)
	if apiKey == "" || header == "" {
		return false
	}
	want := mac(apiKey, body)
	var got []byte
	var err error
	switch {
	case len(header) == hex.EncodedLen(sha256.Size):
		got, err = hex.DecodeString(header)
	case strings.HasSuffix(header, "="):
		got, err = base64.StdEncoding.DecodeString(header)
	default:
		got, err = base64.RawStdEncoding.DecodeString(header)
	}
	// A header that does not decode is simply not the signature; hmac.Equal
	// is constant time for equal lengths.
	return err == nil && len(got) == sha256.Size && hmac.Equal(got, want)
}

// Callback alert types (V3) the store acts on. Others are kept and ignored.
const (
	AlertUtilisation         = "Utilisation"
	AlertFirstUse            = "FirstUse"
	AlertFirstAttachment     = "FirstAttachment"
	AlertProfileStatusChange = "ProfileStatusChange"
	AlertLowBalance          = "LowBalance"
	AlertInsufficientBalance = "InsufficientBalance"
	// EventESIMDeleted is a lifecycle notification: it names its kind in
	// "event" instead of "alertType".
	EventESIMDeleted = "esim.deleted"
)

// Callback is one notification eSIM Go posted to the callback URL.
type Callback struct {
	// Type is alertType, or event for lifecycle notifications.
	Type  string
	ICCID string
	// Bundle is set for Utilisation and FirstUse.
	Bundle *BundleAssignment
	// ProfileStatus and ChangedAt are set for ProfileStatusChange;
	// ChangedAt is when the change happened on the device (zero if absent).
	ProfileStatus string
	ChangedAt     time.Time
	Device        Device
	// Balance is set for LowBalance and InsufficientBalance.
	Balance *BalanceInfo
}

// Device is the device a profile status change happened on; eSIM Go only
// sends the fields it knows.
type Device struct {
	IMEI  string `json:"imei,omitempty"`
	EID   string `json:"eid,omitempty"`
	TAC   string `json:"tac,omitempty"`
	Make  string `json:"make,omitempty"`
	Model string `json:"model,omitempty"`
}

// BalanceInfo is the account balance a balance alert reports, in the
// organisation's currency.
type BalanceInfo struct {
	Balance                   decimal.Decimal
	Threshold                 decimal.Decimal
	ThresholdPercentRemaining decimal.Decimal
}

type wireCallback struct {
	AlertType string     `json:"alertType"`
	Event     string     `json:"event"`
	ICCID     flexString `json:"iccid"`
	Bundle    *struct {
		ID                flexString `json:"id"`
		Reference         string     `json:"reference"`
		Name              string     `json:"name"`
		Description       string     `json:"description"`
		InitialQuantity   flexInt    `json:"initialQuantity"`
		RemainingQuantity flexInt    `json:"remainingQuantity"`
		StartTime         flexTime   `json:"startTime"`
		EndTime           flexTime   `json:"endTime"`
		Unlimited         bool       `json:"unlimited"`
	} `json:"bundle"`
	ProfileStatus string `json:"profileStatus"`
	// The field naming the time of a status change is not spelt out in the
	// docs read; these are the names tried, in order.
	Timestamp flexTime `json:"timestamp"`
	ChangedAt flexTime `json:"statusChangedAt"`
	Date      flexTime `json:"date"`
	Device    *Device  `json:"device"`
	Balance   *struct {
		Balance                   decimal.Decimal `json:"balance"`
		Threshold                 decimal.Decimal `json:"threshold"`
		ThresholdPercentRemaining decimal.Decimal `json:"thresholdPercentRemaining"`
	} `json:"balanceInfo"`
}

// ErrNotCallback means the body is not a JSON object eSIM Go could have sent.
var ErrNotCallback = errors.New("esimgo: not a callback body")

// ParseCallback decodes a callback body. Verify its signature first. An
// ICCID sent as a JSON number keeps every digit (eSIM Go's own FirstUse
// example sends one).
func ParseCallback(body []byte) (Callback, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return Callback{}, ErrNotCallback
	}
	var w wireCallback
	if err := json.Unmarshal(body, &w); err != nil {
		return Callback{}, errors.Join(ErrNotCallback, err)
	}
	c := Callback{Type: w.AlertType, ICCID: strings.TrimSpace(string(w.ICCID)), ProfileStatus: w.ProfileStatus}
	if c.Type == "" {
		c.Type = w.Event
	}
	for _, t := range []flexTime{w.ChangedAt, w.Timestamp, w.Date} {
		if !time.Time(t).IsZero() {
			c.ChangedAt = time.Time(t)
			break
		}
	}
	if w.Device != nil {
		c.Device = *w.Device
	}
	if b := w.Bundle; b != nil {
		c.Bundle = &BundleAssignment{Name: b.Name, Description: b.Description, ID: string(b.ID), Reference: b.Reference,
			Initial: int64(b.InitialQuantity), Remaining: int64(b.RemainingQuantity), Unlimited: b.Unlimited,
			StartTime: time.Time(b.StartTime), EndTime: time.Time(b.EndTime)}
	}
	if b := w.Balance; b != nil {
		c.Balance = &BalanceInfo{Balance: b.Balance, Threshold: b.Threshold, ThresholdPercentRemaining: b.ThresholdPercentRemaining}
	}
	return c, nil
}
