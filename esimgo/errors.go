package esimgo

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorKind tells the caller what it may safely do next. Callers switch on the
// kind instead of on status codes because eSIM Go's codes are not fully
// documented and differ between endpoints.
type ErrorKind int

const (
	// KindUnknown is returned by KindOf for nil and for errors not produced by this package.
	KindUnknown ErrorKind = iota
	// KindUnauthorized means the API key is missing, wrong, or not allowed (401/403). Do not retry.
	KindUnauthorized
	// KindNotFound means the bundle, order or eSIM does not exist (404/410, or a 400 on a read
	// whose message says so). Do not retry.
	KindNotFound
	// KindInvalid means the request was rejected as malformed or the bundle is not orderable. Do not retry.
	KindInvalid
	// KindInsufficientBalance means the prepaid balance cannot cover the order. Nothing was charged;
	// retry later, after an operator has topped up.
	KindInsufficientBalance
	// KindRateLimited means eSIM Go answered 429; nothing was done. Retry after Error.RetryAfter.
	KindRateLimited
	// KindServer means eSIM Go failed in a way that is safe to retry (5xx on a read or on a
	// request that cannot charge).
	KindServer
	// KindOutcomeUnknown means the request may have reached eSIM Go and may have taken effect
	// (timeout or reset after the request was written, or a 5xx on an order transaction).
	// Never re-send blindly: look the result up first (FindOrderSince).
	KindOutcomeUnknown
	// KindNotSent means the request certainly never reached eSIM Go (dial failure, refused
	// connection, context over before writing). Safe to retry.
	KindNotSent
	// KindNetwork is a transport failure after an idempotent request (GET/PUT) was written.
	// Repeating it cannot cause a second effect, so it is retryable.
	KindNetwork
)

var kindNames = [...]string{
	KindUnknown:             "unknown",
	KindUnauthorized:        "unauthorized",
	KindNotFound:            "not_found",
	KindInvalid:             "invalid",
	KindInsufficientBalance: "insufficient_balance",
	KindRateLimited:         "rate_limited",
	KindServer:              "server",
	KindOutcomeUnknown:      "outcome_unknown",
	KindNotSent:             "not_sent",
	KindNetwork:             "network",
}

func (k ErrorKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is returned by every Client method that fails.
type Error struct {
	Op         string        // operation, e.g. "create order"
	Kind       ErrorKind     // what the caller may do next
	Status     int           // HTTP status; 0 when no response was received
	Message    string        // eSIM Go's "message", verbatim
	RetryAfter time.Duration // from Retry-After, when eSIM Go sent one
	Err        error         // underlying transport or decode error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the first *Error in err's chain, or KindUnknown.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// RetryAfterOf returns the Retry-After eSIM Go asked for, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// IsRetryable reports whether repeating the same call cannot cause a second
// effect and may succeed later. KindOutcomeUnknown is deliberately false: the
// first attempt may already have charged the balance.
func IsRetryable(err error) bool {
	switch KindOf(err) {
	case KindRateLimited, KindServer, KindNotSent, KindInsufficientBalance, KindNetwork:
		return true
	default:
		return false
	}
}
