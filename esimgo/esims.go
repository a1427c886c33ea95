package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Assignment is what a buyer needs to install an eSIM.
type Assignment struct {
	ICCID       string
	MatchingID  string // the activation code; treat as a secret
	SMDPAddress string // normalised: bare host, no scheme (see NormalizeSMDP)
	Bundle      string
	Reference   string // order or apply reference
	// The following come only from /esims/assignments.
	ProfileStatus    string
	PIN, PUK         string
	FirstInstalledAt time.Time
}

// LPA returns the activation string encoded in the QR code.
func (a Assignment) LPA() string { return LPA(a.SMDPAddress, a.MatchingID) }

type wireAssignment struct {
	ICCID                  flexString `json:"iccid"`
	MatchingID             string     `json:"matchingId"`
	SMDPAddress            string     `json:"smdpAddress"`
	Bundle                 string     `json:"bundle"`
	Reference              string     `json:"reference"`
	ProfileStatus          string     `json:"profileStatus"`
	PIN                    string     `json:"pin"`
	PUK                    string     `json:"puk"`
	FirstInstalledDateTime flexTime   `json:"firstInstalledDateTime"`
}

func (w wireAssignment) assignment() Assignment {
	return Assignment{
		ICCID:            string(w.ICCID),
		MatchingID:       w.MatchingID,
		SMDPAddress:      NormalizeSMDP(w.SMDPAddress),
		Bundle:           w.Bundle,
		Reference:        w.Reference,
		ProfileStatus:    w.ProfileStatus,
		PIN:              w.PIN,
		PUK:              w.PUK,
		FirstInstalledAt: time.Time(w.FirstInstalledDateTime),
	}
}

// Assignments returns the install details of the eSIMs of an order (or apply)
// reference. Right after an order eSIM Go may answer 503 "processing" with
// Retry-After; the Client waits and retries within its limits, then returns a
// KindServer error carrying RetryAfter so that the caller can poll later.
func (c *Client) Assignments(ctx context.Context, reference string) ([]Assignment, error) {
	const op = "get assignments"
	if strings.TrimSpace(reference) == "" {
		return nil, &Error{Op: op, Kind: KindInvalid, Message: "empty reference"}
	}
	// Without Accept: application/json eSIM Go answers CSV.
	cl := call{op: op, method: http.MethodGet, path: []string{"esims", "assignments"},
		query: url.Values{"reference": {reference}}, accept: "application/json"}
	r, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	// One eSIM may come back as a bare object, several as an array.
	body := bytes.TrimSpace(r.body)
	var list []wireAssignment
	if len(body) > 0 && body[0] == '{' {
		var one wireAssignment
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, decodeErr(cl, r, err)
		}
		list = []wireAssignment{one}
	} else if err := json.Unmarshal(body, &list); err != nil {
		return nil, decodeErr(cl, r, err)
	}
	out := make([]Assignment, 0, len(list))
	for _, w := range list {
		a := w.assignment()
		if a.Reference == "" && !strings.Contains(reference, ",") {
			a.Reference = reference
		}
		out = append(out, a)
	}
	return out, nil
}

// ESIM is the state of one eSIM.
type ESIM struct {
	ICCID             string
	MatchingID        string
	SMDPAddress       string // normalised
	ProfileStatus     string // Released, Downloaded, Installed, Unavailable, Deactivated
	State             string // active, suspended, deactivated (v2.5)
	PIN, PUK          string
	CustomerRef       string
	MSISDN            string
	FirstInstalledAt  time.Time
	AppleInstallURL   string
	AndroidInstallURL string
}

type wireESIM struct {
	ICCID                  flexString `json:"iccid"`
	PIN                    string     `json:"pin"`
	PUK                    string     `json:"puk"`
	MatchingID             string     `json:"matchingId"`
	SMDPAddress            string     `json:"smdpAddress"`
	ProfileStatus          string     `json:"profileStatus"`
	FirstInstalledDateTime flexTime   `json:"firstInstalledDateTime"`
	CustomerRef            string     `json:"customerRef"`
	MSISDN                 flexString `json:"msisdn"`
	AppleInstallURL        string     `json:"appleInstallUrl"`
	AndroidInstallURL      string     `json:"androidInstallUrl"`
	State                  string     `json:"state"`
}

// ESIM returns the details of one eSIM, including the one-tap install URLs.
func (c *Client) ESIM(ctx context.Context, iccid string) (ESIM, error) {
	const op = "get esim"
	if err := segment(op, "ICCID", iccid); err != nil {
		return ESIM{}, err
	}
	cl := call{op: op, method: http.MethodGet, path: []string{"esims", iccid}, query: url.Values{"additionalFields": {"installUrl"}}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return ESIM{}, err
	}
	var w wireESIM
	if err := decode(cl, r, &w); err != nil {
		return ESIM{}, err
	}
	return ESIM{
		ICCID:             string(w.ICCID),
		MatchingID:        w.MatchingID,
		SMDPAddress:       NormalizeSMDP(w.SMDPAddress),
		ProfileStatus:     w.ProfileStatus,
		State:             w.State,
		PIN:               w.PIN,
		PUK:               w.PUK,
		CustomerRef:       w.CustomerRef,
		MSISDN:            string(w.MSISDN),
		FirstInstalledAt:  time.Time(w.FirstInstalledDateTime),
		AppleInstallURL:   w.AppleInstallURL,
		AndroidInstallURL: w.AndroidInstallURL,
	}, nil
}

// SetCustomerRef stamps ref (e.g. our order id) on an eSIM, so that support and
// reconciliation can tie it back to the sale. Repeating it is harmless.
func (c *Client) SetCustomerRef(ctx context.Context, iccid, ref string) error {
	const op = "set customer ref"
	if strings.TrimSpace(iccid) == "" {
		return &Error{Op: op, Kind: KindInvalid, Message: "empty ICCID"}
	}
	// The spec documents both query parameters and a JSON body; send both.
	cl := call{op: op, method: http.MethodPut, path: []string{"esims"},
		query: url.Values{"iccid": {iccid}, "customerRef": {ref}},
		body:  map[string]string{"iccid": iccid, "customerRef": ref}}
	_, err := c.do(ctx, cl)
	return err
}

// Compatible reports whether bundle can be added to the eSIM iccid (top-up).
func (c *Client) Compatible(ctx context.Context, iccid, bundle string) (bool, error) {
	const op = "check compatibility"
	if err := segment(op, "ICCID", iccid); err != nil {
		return false, err
	}
	if err := segment(op, "bundle name", bundle); err != nil {
		return false, err
	}
	cl := call{op: op, method: http.MethodGet, path: []string{"esims", iccid, "compatible", bundle}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return false, err
	}
	var w struct {
		Compatible bool `json:"compatible"`
	}
	if err := decode(cl, r, &w); err != nil {
		return false, err
	}
	return w.Compatible, nil
}

// RevokeBundle revokes the oldest unused assignment of bundle on the eSIM and
// asks for a refund to the balance. Whether money comes back depends on
// eSIM Go enabling refunds for the account. Not retried
// automatically: a repeat would revoke a second assignment of the same bundle.
func (c *Client) RevokeBundle(ctx context.Context, iccid, bundle string) error {
	const op = "revoke bundle"
	if err := segment(op, "ICCID", iccid); err != nil {
		return err
	}
	if err := segment(op, "bundle name", bundle); err != nil {
		return err
	}
	cl := call{op: op, method: http.MethodDelete, path: []string{"esims", iccid, "bundles", bundle},
		query: url.Values{"type": {"transaction"}, "refundToBalance": {"true"}}}
	_, err := c.do(ctx, cl)
	return err
}
