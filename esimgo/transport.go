package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxBody bounds what we read from eSIM Go; the full catalogue page is the largest answer.
const maxBody = 32 << 20

// call describes one API operation.
type call struct {
	op     string
	method string
	path   []string // segments below the base URL, unescaped
	query  url.Values
	body   any
	accept string
	// charges marks requests that can spend money (order transactions): a 5xx
	// answer may come after the charge, so it is reported as outcome unknown.
	charges bool
}

// idempotent requests can be repeated without a second effect.
func (c call) idempotent() bool { return c.method == http.MethodGet || c.method == http.MethodPut }

type response struct {
	status int
	header http.Header
	body   []byte
}

// do runs cl, retrying reads after 429/503 as eSIM Go's Retry-After asks.
// Writes are never retried here: only the caller can decide whether a write
// that failed is safe to repeat.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	timeout := c.timeout
	if cl.charges {
		timeout = c.orderTO
	}
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, &Error{Op: cl.op, Kind: KindInvalid, Err: fmt.Errorf("encode request: %w", err)}
		}
	}
	// The call's own time starts once its slot comes: a request that queued
	// for the budget still gets all of it.
	if err := c.waitTurn(ctx, cl, timeout); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := c.waitTurn(ctx, cl, 0); err != nil {
				return nil, err
			}
		}
		resp, err := c.once(ctx, cl, payload)
		if err == nil {
			return resp, nil
		}
		if cl.method != http.MethodGet || attempt >= c.maxRetries {
			return nil, err
		}
		var e *Error
		if !errors.As(err, &e) || !e.asksToWait() {
			return nil, err
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Duration(500<<attempt) * time.Millisecond
		}
		if wait > c.maxWait {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, err
		}
		if sleep(ctx, wait) != nil {
			return nil, err
		}
	}
}

// asksToWait reports whether eSIM Go answered "not now" (429, or 503), which
// a read may simply repeat after a pause.
func (e *Error) asksToWait() bool {
	return e.Kind == KindRateLimited || e.Kind == KindServer && e.Status == http.StatusServiceUnavailable
}

// once sends one request and classifies the result.
func (c *Client) once(ctx context.Context, cl call, payload []byte) (*response, error) {
	fail := func(kind ErrorKind, err error) *Error { return &Error{Op: cl.op, Kind: kind, Err: err} }
	u := c.base.JoinPath(cl.path...)
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}

	// Whether the request may have reached eSIM Go decides between "not sent"
	// (safe to resend) and "outcome unknown" (look it up first). Any request
	// that got a connection counts as possibly sent, unless the transport
	// reported that writing it failed; this errs towards "unknown", which only
	// costs a lookup, never a second order.
	var gotConn, wroteOK, wroteErr atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wroteOK.Store(true)
			} else {
				wroteErr.Store(true)
			}
		},
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), cl.method, u.String(), body)
	if err != nil {
		return nil, fail(KindInvalid, fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("X-API-Key", c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	accept := cl.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	res, err := c.http.Do(req)
	if err != nil {
		maybeSent := wroteOK.Load() || gotConn.Load() && !wroteErr.Load()
		switch {
		case !maybeSent:
			return nil, fail(KindNotSent, err)
		case cl.idempotent():
			return nil, fail(KindNetwork, err)
		default:
			return nil, fail(KindOutcomeUnknown, err)
		}
	}
	defer res.Body.Close() //nolint:errcheck // read below; closing only frees the connection
	data, readErr := io.ReadAll(io.LimitReader(res.Body, maxBody))
	r := &response{status: res.StatusCode, header: res.Header, body: data}
	retryAfter := parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	c.observeLimit(ctx, cl.op, res.StatusCode, res.Header, retryAfter)
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if readErr != nil {
			// The answer started, so the request took effect; only its content is lost.
			kind := KindOutcomeUnknown
			if cl.idempotent() {
				kind = KindNetwork
			}
			return nil, &Error{Op: cl.op, Kind: kind, Status: res.StatusCode, Err: fmt.Errorf("read response: %w", readErr)}
		}
		return r, nil
	}
	msg := errorMessage(data)
	return nil, &Error{
		Op:         cl.op,
		Kind:       classify(cl, res.StatusCode, msg),
		Status:     res.StatusCode,
		Message:    msg,
		RetryAfter: retryAfter,
		Err:        readErr,
	}
}

// classify maps an error answer to a kind. eSIM Go documents few codes and no
// error identifiers, so the message is consulted for the
// cases the caller must treat differently.
func classify(cl call, status int, msg string) ErrorKind {
	lower := strings.ToLower(msg)
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 500:
		if cl.charges {
			return KindOutcomeUnknown
		}
		return KindServer
	case strings.Contains(lower, "insufficient") && (strings.Contains(lower, "balance") || strings.Contains(lower, "credit") || strings.Contains(lower, "fund")):
		return KindInsufficientBalance
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindUnauthorized
	case status == http.StatusNotFound || status == http.StatusGone:
		return KindNotFound
	case cl.method != http.MethodPost && (strings.Contains(lower, "not found") || strings.Contains(lower, "does not exist") || strings.Contains(lower, "no such")):
		// eSIM Go answers 400 rather than 404 for unknown ICCIDs and bundles on
		// reads; on POST /orders the same words mean the order is invalid.
		return KindNotFound
	default:
		return KindInvalid
	}
}

// errorMessage extracts {"message": "..."}; eSIM Go declares some errors as
// text/plain, so fall back to the trimmed body.
func errorMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// parseRetryAfter accepts delta-seconds (fractions tolerated) or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// decode unmarshals a 2xx body; a body we cannot read after a charging call
// means the charge happened but we lost its details.
func decode(cl call, r *response, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return decodeErr(cl, r, err)
	}
	return nil
}

// segment rejects path parameters that would change which resource is addressed.
func segment(op, what, v string) error {
	if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/?#") {
		return &Error{Op: op, Kind: KindInvalid, Message: fmt.Sprintf("invalid %s %q", what, v)}
	}
	return nil
}
