package esimgotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

// Callbacks: eSIM Go posts V3 notifications to the account's callback URL,
// signed with X-Signature-SHA256 = base64(HMAC-SHA256(raw body, API key)).
// The fake sends them synchronously from the test hook that caused them, so
// a test knows they have arrived (or failed) when the hook returns. Bodies
// follow the documented examples, field order included; the FirstUse
// notification carries the ICCID as a bare JSON number, as eSIM Go's own
// example does.

// CallbackFaults make delivery misbehave the way a test needs.
type CallbackFaults struct {
	// BadSignature signs with a wrong key.
	BadSignature bool
	// NoSignature leaves the signature header out.
	NoSignature bool
	// HexSignature signs in hex (as eSIM Go's webhooks guide shows)
	// instead of base64.
	HexSignature bool
	// Duplicate delivers every callback twice.
	Duplicate bool
	// OutOfOrder holds each callback back and delivers it after the next
	// one (a held callback is sent by the next delivery, or by FlushCallbacks).
	OutOfOrder bool
}

// CallbackDelivery is one POST the fake made to the callback URL.
type CallbackDelivery struct {
	At        time.Time
	Body      []byte
	Signature string
	Status    int   // the receiver's answer; 0 when none came
	Err       error // transport error, if any
}

type callbackState struct {
	url        string
	faults     CallbackFaults
	held       [][]byte
	deliveries []CallbackDelivery
}

var callbackClient = &http.Client{Timeout: 15 * time.Second}

// SetCallbackURL points callbacks at url ("" stops them).
func (f *Fake) SetCallbackURL(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callbacks.url = url
}

// SetCallbackFaults replaces the delivery faults; the zero value clears them.
func (f *Fake) SetCallbackFaults(cf CallbackFaults) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callbacks.faults = cf
}

// Callbacks returns every delivery made so far, oldest first.
func (f *Fake) Callbacks() []CallbackDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.callbacks.deliveries)
}

// FlushCallbacks delivers callbacks held back by the OutOfOrder fault.
func (f *Fake) FlushCallbacks() error {
	f.mu.Lock()
	held := f.callbacks.held
	f.callbacks.held = nil
	f.mu.Unlock()
	return f.post(held)
}

// SendBalanceAlert posts a LowBalance or InsufficientBalance notification
// for the current balance against threshold (USD), as eSIM Go does when
// the balance falls under the account's threshold (default 100) and then at
// 75, 50 and 10 % of it.
func (f *Fake) SendBalanceAlert(alertType string, threshold decimal.Decimal) error {
	if alertType != esimgo.AlertLowBalance && alertType != esimgo.AlertInsufficientBalance {
		return fmt.Errorf("esimgotest: %q is not a balance alert", alertType)
	}
	f.mu.Lock()
	body := balanceBody(alertType, f.balance, threshold)
	f.mu.Unlock()
	return f.send(body)
}

// SendRawCallback posts body as eSIM Go would (signed, faults applied):
// for notification types the fake does not produce itself.
func (f *Fake) SendRawCallback(body []byte) error { return f.send(body) }

// send delivers bodies in order, applying the faults. Callers must not
// hold f.mu.
func (f *Fake) send(bodies ...[]byte) error {
	bodies = slices.DeleteFunc(bodies, func(b []byte) bool { return b == nil })
	f.mu.Lock()
	if f.callbacks.url == "" {
		f.mu.Unlock()
		return nil
	}
	if f.callbacks.faults.OutOfOrder {
		// Each body waits for the next one: send what was held after the new.
		var out [][]byte
		for _, b := range bodies {
			if len(f.callbacks.held) > 0 {
				out = append(out, b)
				out = append(out, f.callbacks.held...)
				f.callbacks.held = nil
			} else {
				f.callbacks.held = append(f.callbacks.held, b)
			}
		}
		bodies = out
	}
	f.mu.Unlock()
	return f.post(bodies)
}

func (f *Fake) post(bodies [][]byte) error {
	f.mu.Lock()
	url, faults, key := f.callbacks.url, f.callbacks.faults, f.opts.APIKey
	f.mu.Unlock()
	var firstErr error
	for _, body := range bodies {
		times := 1
		if faults.Duplicate {
			times = 2
		}
		for range times {
			d := f.postOne(url, key, body, faults)
			f.mu.Lock()
			f.callbacks.deliveries = append(f.callbacks.deliveries, d)
			f.mu.Unlock()
			if firstErr == nil {
				switch {
				case d.Err != nil:
					firstErr = fmt.Errorf("esimgotest: callback: %w", d.Err)
				case d.Status/100 != 2 && !faults.BadSignature && !faults.NoSignature:
					firstErr = fmt.Errorf("esimgotest: callback answered %d", d.Status)
				}
			}
		}
	}
	return firstErr
}

func (f *Fake) postOne(url, key string, body []byte, faults CallbackFaults) CallbackDelivery {
	d := CallbackDelivery{At: time.Now(), Body: body}
	switch {
	case faults.NoSignature:
	case faults.BadSignature:
		d.Signature = esimgo.Sign(key+"-wrong", body)
	case faults.HexSignature:
		d.Signature = esimgo.SignHex(key, body)
	default:
		d.Signature = esimgo.Sign(key, body)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "eSIMGo-Callbacks/3")
	if d.Signature != "" {
		req.Header.Set(esimgo.SignatureHeader, d.Signature)
	}
	resp, err := callbackClient.Do(req)
	if err != nil {
		d.Err = err
		return d
	}
	resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

// wireUsageBundle is the V3 "bundle" object, in the documented field order.
type wireUsageBundle struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Description       string `json:"description"`
	InitialQuantity   int64  `json:"initialQuantity"`
	RemainingQuantity int64  `json:"remainingQuantity"`
	StartTime         string `json:"startTime"`
	EndTime           string `json:"endTime"`
	Reference         string `json:"reference"`
	Unlimited         bool   `json:"unlimited"`
}

// usageBody is a Utilisation or FirstUse notification. Callers hold f.mu.
func usageBody(alertType string, e *esim, a *bundleAssignment, iccidAsNumber bool) []byte {
	var iccid any = e.iccid
	if iccidAsNumber {
		iccid = json.Number(e.iccid)
	}
	return mustJSON(struct {
		ICCID     any             `json:"iccid"`
		AlertType string          `json:"alertType"`
		Bundle    wireUsageBundle `json:"bundle"`
	}{iccid, alertType, wireUsageBundle{ID: a.id, Name: a.bundle, Description: a.description,
		InitialQuantity: a.initial, RemainingQuantity: a.remaining, StartTime: wireTime(a.start),
		EndTime: wireTime(a.end), Reference: a.reference, Unlimited: a.unlimited}})
}

// profileStatusBody is a ProfileStatusChange notification with the device
// it happened on (made-up but well-formed IMEI, EID and TAC). Callers hold f.mu.
func profileStatusBody(e *esim, at time.Time) []byte {
	type device struct {
		IMEI  string `json:"imei,omitempty"`
		EID   string `json:"eid,omitempty"`
		TAC   string `json:"tac,omitempty"`
		Make  string `json:"make,omitempty"`
		Model string `json:"model,omitempty"`
	}
	d := device{EID: "89049032021008881300304741158317"}
	if e.profileStatus != "Released" { // a removal usually carries only the EID
		d.IMEI, d.TAC, d.Make, d.Model = "350089571234565", "35008957", "Apple", "iPhone 15 <Pro> & Max"
	}
	return mustJSON(struct {
		AlertType     string `json:"alertType"`
		ICCID         string `json:"iccid"`
		ProfileStatus string `json:"profileStatus"`
		Timestamp     string `json:"timestamp"`
		Device        device `json:"device"`
	}{esimgo.AlertProfileStatusChange, e.iccid, e.profileStatus, at.UTC().Format(time.RFC3339Nano), d})
}

func balanceBody(alertType string, balance, threshold decimal.Decimal) []byte {
	pct := decimal.Zero
	if threshold.IsPositive() {
		pct = balance.Mul(decimal.NewFromInt(100)).Div(threshold).Round(3)
	}
	return mustJSON(struct {
		AlertType   string `json:"alertType"`
		BalanceInfo struct {
			Balance                   num `json:"balance"`
			Threshold                 num `json:"threshold"`
			ThresholdPercentRemaining num `json:"thresholdPercentRemaining"`
		} `json:"balanceInfo"`
	}{AlertType: alertType, BalanceInfo: struct {
		Balance                   num `json:"balance"`
		Threshold                 num `json:"threshold"`
		ThresholdPercentRemaining num `json:"thresholdPercentRemaining"`
	}{num(balance), num(threshold), num(pct)}})
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}
