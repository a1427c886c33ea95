package esimgo

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// eSIM Go's documentation and its real answers disagree on several types
// (prices as numbers or strings, ICCIDs as numbers, dates in several
// layouts). These decoders accept every form seen so far so that a quiet
// server-side change does not break order delivery.

// flexInt accepts 1000, 1000.0 and "1000".
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = flexInt(v)
	return nil
}

// flexStrings accepts ["a","b"], "a" and null.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexStrings{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*f = list
	return nil
}

// flexCountries accepts an array of countries, or a boolean (one third-party
// capture shows roamingEnabled:false).
type flexCountries []wireCountry

func (f *flexCountries) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		*f = nil
		return nil
	}
	var list []wireCountry
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*f = list
	return nil
}

// flexTime accepts RFC 3339 strings (any precision), milliseconds since the
// epoch as a number or string, and null/"".
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" || s == "0" {
		*f = flexTime{}
		return nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexTime(time.UnixMilli(ms).UTC())
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			*f = flexTime(t)
			return nil
		}
	}
	return &time.ParseError{Layout: time.RFC3339Nano, Value: s, Message: ": unrecognised time"}
}

// flexString accepts a string or a bare number (ICCIDs in some callbacks are
// JSON numbers; json.Number keeps every digit).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}
