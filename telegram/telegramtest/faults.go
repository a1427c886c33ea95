package telegramtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault makes calls of one method misbehave. Latency is applied first; then
// the call is answered with Code (if set), dropped (Disconnect), or handled
// normally. Times limits how many calls are affected (0 = until cleared).
type Fault struct {
	Code        int
	Description string // default: Telegram's text for Code
	RetryAfter  int    // seconds, for 429
	Latency     time.Duration
	Disconnect  bool
	Times       int
}

// TooManyRequests is Telegram's flood control answer.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Code: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// BotBlocked is what Telegram answers when the user blocked the bot.
func BotBlocked() Fault {
	return Fault{Code: http.StatusForbidden, Description: "Forbidden: bot was blocked by the user"}
}

// ServerError is a Telegram-side 5xx (default 500).
func ServerError() Fault { return Fault{Code: http.StatusInternalServerError} }

type faultState struct {
	fault Fault
	left  int // remaining hits; <0 = unlimited
}

// SetFault installs a fault for method (case-insensitive; "*" = every method),
// replacing any earlier one for that method.
func (f *Fake) SetFault(method string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := fault.Times
	if left <= 0 {
		left = -1
	}
	f.faults[strings.ToLower(method)] = &faultState{fault: fault, left: left}
}

// ClearFaults removes all faults.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = map[string]*faultState{}
}

// takeFault consumes one hit of the fault for method, if any.
func (f *Fake) takeFault(method string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, key := range []string{strings.ToLower(method), "*"} {
		st, ok := f.faults[key]
		if !ok {
			continue
		}
		if st.left > 0 {
			st.left--
			if st.left == 0 {
				delete(f.faults, key)
			}
		}
		return st.fault, true
	}
	return Fault{}, false
}

func (fl Fault) apiError() *apiError {
	e := &apiError{Code: fl.Code, Description: fl.Description, RetryAfter: fl.RetryAfter}
	if e.Description == "" {
		switch fl.Code {
		case http.StatusTooManyRequests:
			e.Description = fmt.Sprintf("Too Many Requests: retry after %d", fl.RetryAfter)
		case http.StatusForbidden:
			e.Description = "Forbidden: bot was blocked by the user"
		case http.StatusBadRequest:
			e.Description = "Bad Request"
		default:
			e.Description = http.StatusText(fl.Code)
		}
	}
	return e
}
