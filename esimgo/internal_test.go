package esimgo

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 4, 13, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"2":                             2 * time.Second,
		"0.5":                           500 * time.Millisecond,
		"-1":                            0,
		"soon":                          0,
		"Sun, 04 Jan 2026 13:00:30 GMT": 30 * time.Second,
	} {
		assert.Equal(t, want, parseRetryAfter(in, now), "input %q", in)
	}
}

func TestClassify(t *testing.T) {
	get := call{method: http.MethodGet}
	post := call{method: http.MethodPost}
	buy := call{method: http.MethodPost, charges: true}
	for _, tc := range []struct {
		cl     call
		status int
		msg    string
		want   ErrorKind
	}{
		{get, 401, "Unauthorized", KindUnauthorized},
		{get, 403, "Unauthorised - api token invalid", KindUnauthorized},
		{get, 404, "", KindNotFound},
		{get, 410, "eSIM deactivated", KindNotFound},
		{get, 400, "Bundle esim_X does not exist", KindNotFound},
		{post, 400, "Bundle esim_X does not exist", KindInvalid},
		{buy, 400, "Insufficient Balance", KindInsufficientBalance},
		{buy, 403, "insufficient credit", KindInsufficientBalance},
		{buy, 429, "Rate limit exceeded", KindRateLimited},
		{get, 500, "", KindServer},
		{get, 503, "Processing", KindServer},
		{post, 502, "", KindServer},
		{buy, 502, "", KindOutcomeUnknown},
		{buy, 400, "Invalid order type", KindInvalid},
	} {
		assert.Equal(t, tc.want, classify(tc.cl, tc.status, tc.msg), "%s %d %q", tc.cl.method, tc.status, tc.msg)
	}
}

func TestErrorKindString(t *testing.T) {
	assert.Equal(t, "unauthorized", KindUnauthorized.String())
	assert.Equal(t, "not_found", KindNotFound.String())
	assert.Equal(t, "outcome_unknown", KindOutcomeUnknown.String())
	assert.Equal(t, "not_sent", KindNotSent.String())
	assert.Equal(t, "ErrorKind(99)", ErrorKind(99).String())
	e := &Error{Op: "create order", Kind: KindRateLimited, Status: 429, Message: "Rate limit exceeded", RetryAfter: time.Second}
	assert.Equal(t, "create order: rate_limited (HTTP 429): Rate limit exceeded (retry after 1s)", e.Error())
	assert.Equal(t, KindUnknown, KindOf(nil))
}

func TestDecodeShapes(t *testing.T) {
	p, err := decodeCataloguePage([]byte(` [{"name":"a","price":1.36}] `))
	require.NoError(t, err)
	assert.False(t, p.paged)
	assert.Equal(t, "1.36", p.bundles[0].Price.String())

	p, err = decodeCataloguePage([]byte(`{"bundles":[{"name":"a","price":"1.36"}],"pageCount":3,"rows":3,"pageSize":1}`))
	require.NoError(t, err)
	assert.True(t, p.paged)
	assert.Equal(t, 3, p.pageCount)

	for _, body := range []string{
		`[{"orderReference":"r1","total":1.36,"createdDate":"2026-01-04T13:15:43.785826016Z"}]`,
		`{"orders":[{"orderReference":"r1","total":1.36,"createdDate":"2026-01-04T13:15:43.785826016Z"}],"rows":1}`,
		`{"orderReference":"r1","total":1.36,"createDate":"2026-01-04T13:15:43.785826016Z","order":[]}`,
	} {
		o, err := decodeOrders([]byte(body))
		require.NoError(t, err, body)
		require.Len(t, o.orders, 1, body)
		assert.Equal(t, "r1", o.orders[0].Reference)
		assert.Equal(t, "1.36", o.orders[0].Total.String())
		assert.Equal(t, 785826016, o.orders[0].CreatedDate.Nanosecond())
	}
}

func TestFlexTime(t *testing.T) {
	var f flexTime
	require.NoError(t, f.UnmarshalJSON([]byte(`1723541877280`)))
	assert.Equal(t, int64(1723541877280), time.Time(f).UnixMilli())
	require.NoError(t, f.UnmarshalJSON([]byte(`"2023-06-15T14:30:00.000Z"`)))
	assert.Equal(t, 2023, time.Time(f).Year())
	require.NoError(t, f.UnmarshalJSON([]byte(`null`)))
	assert.True(t, time.Time(f).IsZero())
	var s flexString
	require.NoError(t, s.UnmarshalJSON([]byte(`8944538532008160000`)))
	assert.Equal(t, "8944538532008160000", string(s), "numeric ICCID keeps every digit")
}
