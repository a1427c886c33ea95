package esimgotest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Fault changes how one endpoint answers. Fields combine: Latency is waited
// first, then Status/InsufficientBalance answer without doing anything, or the
// commit options do the work and then lose or delay the answer.
type Fault struct {
	// Status, when non-zero, is returned with {"message": Message} and nothing is done.
	Status  int
	Message string
	// RetryAfter is sent as Retry-After (whole seconds, rounded up). A 429
	// without it still gets "Retry-After: 1", as eSIM Go always sends one.
	RetryAfter time.Duration
	// Latency delays the request before it is handled. If the client gives up
	// meanwhile, nothing is done.
	Latency time.Duration
	// Times is how many requests the fault applies to; 0 means until cleared.
	Times int
	// CommitThenDrop does the work (an order is created and charged) and then
	// closes the connection without answering.
	CommitThenDrop bool
	// CommitThenDelay does the work and then holds the answer this long, so a
	// client with a shorter timeout gives up after the charge.
	CommitThenDelay time.Duration
	// CommitAfterGiveUp holds the request without answering until the client
	// gives up (times out or drops the connection), and only then, this long
	// after, does the work: the order appears in listings seconds after the
	// client stopped waiting, so a lookup made right away finds nothing.
	CommitAfterGiveUp time.Duration
	// InsufficientBalance answers 400 "Insufficient balance" without charging.
	InsufficientBalance bool
	// Bundle, when set, limits the fault to order requests (POST /orders)
	// for this bundle; other requests to the endpoint are served normally.
	Bundle string
}

type faultState struct {
	Fault
	left int // remaining uses when Times > 0
}

// SetFault installs fault for an endpoint key (see the Endpoint constants;
// AllEndpoints for every endpoint), replacing any previous fault there.
func (f *Fake) SetFault(endpoint string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[endpoint] = &faultState{Fault: fault, left: fault.Times}
}

// ClearFault removes the fault of one endpoint key.
func (f *Fake) ClearFault(endpoint string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.faults, endpoint)
}

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.faults)
}

// Faults returns the active faults by endpoint key, e.g. for a sandbox UI.
func (f *Fake) Faults() map[string]Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]Fault, len(f.faults))
	for k, v := range maps.All(f.faults) {
		fault := v.Fault
		if v.Times > 0 {
			fault.Times = v.left
		}
		out[k] = fault
	}
	return out
}

// SetProcessing makes GET /esims/assignments answer 503 with Retry-After for
// the next n calls, as eSIM Go does while an order is still being processed.
func (f *Fake) SetProcessing(n int, retryAfter time.Duration) {
	if n <= 0 {
		f.ClearFault(EndpointAssignments)
		return
	}
	f.SetFault(EndpointAssignments, Fault{
		Status:     http.StatusServiceUnavailable,
		Message:    "Processing - Please come back later or use the Retry-After (seconds) header",
		RetryAfter: retryAfter,
		Times:      n,
	})
}

// takeFault returns the fault for endpoint, consuming one use.
func (f *Fake) takeFault(endpoint string, body []byte) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := endpoint
	st, ok := f.faults[key]
	if !ok {
		key = AllEndpoints
		if st, ok = f.faults[key]; !ok {
			return Fault{}, false
		}
	}
	if st.Bundle != "" && !ordersBundle(body, st.Bundle) {
		return Fault{}, false
	}
	if st.Times > 0 {
		st.left--
		if st.left <= 0 {
			delete(f.faults, key)
		}
	}
	return st.Fault, true
}

var defaultMessages = map[int]string{
	http.StatusBadRequest:          "Bad Request",
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusForbidden:           "Unauthorised - api token invalid",
	http.StatusNotFound:            "Not Found",
	http.StatusTooManyRequests:     "Rate limit exceeded",
	http.StatusInternalServerError: "Internal Server Error",
	http.StatusBadGateway:          "Bad Gateway",
	http.StatusServiceUnavailable:  "Processing - Please come back later or use the Retry-After (seconds) header",
}

func (f *Fake) serveFault(w http.ResponseWriter, r *http.Request, h http.Handler, fault Fault) {
	if fault.Latency > 0 && !f.wait(r, fault.Latency) {
		return // the client gave up before anything was done
	}
	if fault.RetryAfter > 0 || fault.Status == http.StatusTooManyRequests {
		secs := max(int(math.Ceil(fault.RetryAfter.Seconds())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	switch {
	case fault.Status != 0:
		msg := fault.Message
		if msg == "" {
			msg = defaultMessages[fault.Status]
		}
		writeMessage(w, fault.Status, msg)
	case fault.InsufficientBalance:
		writeMessage(w, http.StatusBadRequest, insufficientBalance)
	case fault.CommitThenDrop:
		h.ServeHTTP(httptest.NewRecorder(), r)
		drop(w)
	case fault.CommitAfterGiveUp > 0:
		f.commitAfterGiveUp(r, h, fault.CommitAfterGiveUp)
	case fault.CommitThenDelay > 0:
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		f.wait(r, fault.CommitThenDelay)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes()) // the client is usually gone by now
	default:
		h.ServeHTTP(w, r)
	}
}

// commitAfterGiveUp waits for the client to give up, then commits the
// request's work d later, on a copy of the request (its body read first).
func (f *Fake) commitAfterGiveUp(r *http.Request, h http.Handler, d time.Duration) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	select {
	case <-r.Context().Done():
	case <-f.stop:
		return
	}
	late := r.Clone(context.WithoutCancel(r.Context()))
	time.AfterFunc(d, func() {
		late.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(httptest.NewRecorder(), late)
	})
}

// drop closes the connection without an answer, like a reset after eSIM Go committed.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: make net/http abort the stream instead.
	panic(http.ErrAbortHandler)
}

// wait sleeps d unless the client goes away or the Fake is closed; it reports
// whether the full time passed.
func (f *Fake) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-f.stop:
		return false
	}
}

// ordersBundle reports whether an order request's body orders bundle.
func ordersBundle(body []byte, bundle string) bool {
	var req wireOrderRequest
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	for _, it := range req.Order {
		if it.Item == bundle {
			return true
		}
	}
	return false
}
