package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	ta "github.com/mymmrac/telego/telegoapi"
)

// maxResponseBytes bounds what we read from Telegram; real answers are tiny
// (getStarTransactions with 100 entries is a few tens of KiB).
const maxResponseBytes = 8 << 20

// httpCaller replaces telego's HTTPCaller for two reasons: telego drops the
// body of 5xx answers (so the error class and description are lost), and
// net/http errors quote the request URL, which contains the bot token.
type httpCaller struct {
	client *http.Client
	token  string
}

var _ ta.Caller = httpCaller{}

func (c httpCaller) Call(ctx context.Context, rawURL string, data *ta.RequestData) (*ta.Response, error) {
	var body io.Reader
	switch {
	case data.BodyRaw != nil:
		body = bytes.NewReader(data.BodyRaw)
	case data.BodyStream != nil:
		body = data.BodyStream
	default:
		return nil, errors.New("request body is not provided")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, body)
	if err != nil {
		return nil, c.redact(err)
	}
	req.Header.Set("Content-Type", data.ContentType)

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.redact(err)
	}
	defer resp.Body.Close() //nolint:errcheck // read below; closing only frees the connection

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, c.redact(fmt.Errorf("read response: %w", err))
	}

	var out ta.Response
	if jsonErr := json.Unmarshal(raw, &out); jsonErr != nil || (!out.Ok && out.Error == nil) {
		if resp.StatusCode >= http.StatusInternalServerError || resp.StatusCode == http.StatusTooManyRequests {
			// Proxies in front of Telegram answer 502/504 with HTML; keep the
			// status so the error is still classified as retryable.
			return &ta.Response{Ok: false, Error: &ta.Error{
				ErrorCode:   resp.StatusCode,
				Description: http.StatusText(resp.StatusCode),
			}}, nil
		}
		return nil, fmt.Errorf("decode response (HTTP %d): %w", resp.StatusCode, errors.Join(jsonErr, errors.New("not a Bot API answer")))
	}
	if !out.Ok && out.ErrorCode == 0 {
		out.ErrorCode = resp.StatusCode
	}
	return &out, nil
}

// redact removes the token from transport errors while keeping the chain
// (so errors.Is(err, context.DeadlineExceeded) still works).
func (c httpCaller) redact(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, c.token, "<token>"), Err: ue.Err}
	}
	if c.token != "" && strings.Contains(err.Error(), c.token) {
		return redactedError{msg: strings.ReplaceAll(err.Error(), c.token, "<token>"), err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
