package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// APIError is an answer from the Bot API with ok=false (or an HTTP 5xx).
// The workflow decides what to do from its class, not from the text, so the
// helpers below are the supported way to inspect it.
type APIError struct {
	Method      string
	Code        int
	Description string
	// RetryAfter is Telegram's flood-control wait (parameters.retry_after).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
	if e.RetryAfter > 0 && !strings.Contains(e.Description, "retry after") {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// TransportError means the request may or may not have reached Telegram
// (connection refused, reset, timeout, unreadable answer).
type TransportError struct {
	Method string
	Err    error
}

func (e *TransportError) Error() string { return fmt.Sprintf("telegram %s: %v", e.Method, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// IsRetryable reports whether the same call may succeed later: flood control,
// Telegram-side 5xx, and transport failures. A cancelled context is not
// retryable because the caller gave up on purpose. 4xx other than 429 are
// permanent: repeating an invalid request cannot fix it.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.As(err, new(*budget.BusyError)) {
		return true
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.Code == http.StatusTooManyRequests || apiErr.Code >= http.StatusInternalServerError
	}
	_, ok := errors.AsType[*TransportError](err)
	return ok
}

// RetryAfter returns how long Telegram asked to wait before retrying (or
// the store's own message budget, for a message it held back), or 0.
func RetryAfter(err error) time.Duration {
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.RetryAfter
	}
	if busy, ok := isBusy(err); ok {
		return busy.RetryAfter
	}
	return 0
}

// IsBlocked reports a 403: the user blocked the bot, deleted their account or
// never started it. Retrying is pointless; the buyer still sees the order in
// the Mini App.
func IsBlocked(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && apiErr.Code == http.StatusForbidden
}

// IsAlreadyRefunded reports CHARGE_ALREADY_REFUNDED, which the store treats
// as a refund that has been done (money rule 6, docs/architecture.md#rule-6-charge_already_refunded-counts-as-done).
func IsAlreadyRefunded(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && apiErr.Code == http.StatusBadRequest &&
		strings.Contains(apiErr.Description, "CHARGE_ALREADY_REFUNDED")
}
