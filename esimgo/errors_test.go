package esimgo_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

func TestErrorKinds(t *testing.T) {
	t.Parallel()
	org := func(c *esimgo.Client) error { _, err := c.Organisation(context.Background()); return err }
	buy := func(c *esimgo.Client) error {
		_, err := c.CreateOrder(context.Background(), order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
		return err
	}
	check := func(c *esimgo.Client) error {
		_, err := c.CreateOrder(context.Background(), order(esimgo.OrderValidate, "esim_1GB_7D_GB_V2"))
		return err
	}
	for _, tc := range []struct {
		name      string
		endpoint  string
		fault     esimgotest.Fault
		prepare   func(*esimgotest.Fake)
		key       string
		call      func(*esimgo.Client) error
		kind      esimgo.ErrorKind
		retryable bool
		requests  int // requests the endpoint should have seen
		orders    int
	}{
		{name: "wrong key", key: "wrong", call: org, kind: esimgo.KindUnauthorized, requests: 1},
		{name: "403", endpoint: esimgotest.EndpointOrganisation, fault: esimgotest.Fault{Status: 403}, call: org, kind: esimgo.KindUnauthorized, requests: 1},
		{name: "400 bad request", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{Status: 400, Message: "Bundle esim_X does not exist"}, call: buy, kind: esimgo.KindInvalid, requests: 1},
		{name: "unknown bundle on order", call: func(c *esimgo.Client) error {
			_, err := c.CreateOrder(context.Background(), order(esimgo.OrderTransaction, "esim_NOPE"))
			return err
		}, kind: esimgo.KindInvalid, requests: 1},
		{name: "insufficient balance", prepare: func(f *esimgotest.Fake) { f.SetBalance(decimal.RequireFromString("1.00")) }, call: buy, kind: esimgo.KindInsufficientBalance, retryable: true, requests: 1},
		{name: "insufficient balance on validate", prepare: func(f *esimgotest.Fake) { f.SetBalance(decimal.Zero) }, call: check, kind: esimgo.KindInsufficientBalance, retryable: true, requests: 1},
		{name: "insufficient balance fault", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{InsufficientBalance: true}, call: buy, kind: esimgo.KindInsufficientBalance, retryable: true, requests: 1},
		{name: "429 on POST is never retried", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{Status: 429, RetryAfter: time.Second}, call: buy, kind: esimgo.KindRateLimited, retryable: true, requests: 1},
		{name: "500 on GET", endpoint: esimgotest.EndpointOrganisation, fault: esimgotest.Fault{Status: 500}, call: org, kind: esimgo.KindServer, retryable: true, requests: 1},
		{name: "500 on validate", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{Status: 500}, call: check, kind: esimgo.KindServer, retryable: true, requests: 1},
		{name: "500 on transaction may have charged", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{Status: 500}, call: buy, kind: esimgo.KindOutcomeUnknown, requests: 1},
		{name: "503 on transaction may have charged", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{Status: 503, RetryAfter: time.Second}, call: buy, kind: esimgo.KindOutcomeUnknown, requests: 1},
		{name: "eSIM Go down", endpoint: esimgotest.AllEndpoints, fault: esimgotest.Fault{Status: 503, RetryAfter: time.Minute}, call: org, kind: esimgo.KindServer, retryable: true, requests: 1},
		{name: "commit then drop", endpoint: esimgotest.EndpointCreateOrder, fault: esimgotest.Fault{CommitThenDrop: true}, call: buy, kind: esimgo.KindOutcomeUnknown, requests: 1, orders: 1},
		{name: "N failures then success", endpoint: esimgotest.EndpointOrganisation, fault: esimgotest.Fault{Status: 503, Times: 2}, call: org, requests: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := setup(t, esimgotest.Options{}, func(cfg *esimgo.Config) {
				if tc.key != "" {
					cfg.APIKey = tc.key
				}
			})
			if tc.endpoint != "" {
				fake.SetFault(tc.endpoint, tc.fault)
			}
			if tc.prepare != nil {
				tc.prepare(fake)
			}
			err := tc.call(c)
			if tc.kind == esimgo.KindUnknown {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Equal(t, tc.kind, esimgo.KindOf(err), "%v", err)
				assert.Equal(t, tc.retryable, esimgo.IsRetryable(err))
				var e *esimgo.Error
				require.True(t, errors.As(err, &e))
				assert.NotContains(t, err.Error(), testKey, "never leak the key")
			}
			assert.Len(t, fake.Requests(), tc.requests)
			assert.Len(t, fake.Orders(), tc.orders)
		})
	}
}

// The money rule: a transaction whose answer is lost is reported as
// "outcome unknown", and the committed order can be found instead of buying again.
func TestOutcomeUnknownThenFind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   esimgotest.Fault
		orders  int
		timeout time.Duration
	}{
		{"commit then late answer", esimgotest.Fault{CommitThenDelay: 3 * time.Second}, 1, 300 * time.Millisecond},
		{"commit then reset", esimgotest.Fault{CommitThenDrop: true}, 1, 5 * time.Second},
		{"slow before commit", esimgotest.Fault{Latency: 3 * time.Second}, 0, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fake, c := setup(t, esimgotest.Options{}, func(cfg *esimgo.Config) { cfg.Timeout = tc.timeout })
			fake.SetFault(esimgotest.EndpointCreateOrder, tc.fault)

			start := time.Now().Add(-2 * time.Second) // margin for clock skew
			_, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
			require.Error(t, err)
			assert.Equal(t, esimgo.KindOutcomeUnknown, esimgo.KindOf(err), "%v", err)
			assert.False(t, esimgo.IsRetryable(err))

			found, err := c.FindOrderSince(ctx, start, "esim_1GB_7D_GB_V2")
			require.NoError(t, err)
			require.Len(t, found, tc.orders)
			if tc.orders == 1 {
				assert.Equal(t, fake.Orders()[0].Reference, found[0].Reference)
				require.Len(t, found[0].Assignments(), 1, "install details to deliver without reordering")
				assert.NotEmpty(t, found[0].Assignments()[0].MatchingID)
			}
			// The workflow claims the found order; nothing is ordered twice.
			assert.Len(t, fake.Orders(), tc.orders)
			assert.Len(t, fake.RequestsTo(esimgotest.EndpointCreateOrder), 1)
			assert.Equal(t, decimal.NewFromInt(1000).Sub(decimal.RequireFromString("1.36").Mul(decimal.NewFromInt(int64(tc.orders)))).String(), fake.Balance().String())
		})
	}
}

func TestDialFailureIsNotSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens here any more

	c, err := esimgo.New(esimgo.Config{BaseURL: "http://" + addr + "/v2.5", APIKey: testKey, Timeout: 2 * time.Second})
	require.NoError(t, err)
	_, err = c.CreateOrder(context.Background(), order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.Error(t, err)
	assert.Equal(t, esimgo.KindNotSent, esimgo.KindOf(err), "%v", err)
	assert.True(t, esimgo.IsRetryable(err))
	assert.NotContains(t, err.Error(), testKey)
}

func TestCancelledBeforeSendIsNotSent(t *testing.T) {
	t.Parallel()
	fake, c := setup(t, esimgotest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	assert.Equal(t, esimgo.KindNotSent, esimgo.KindOf(err), "%v", err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, fake.Requests())
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	fake, c := setup(t, esimgotest.Options{}, func(cfg *esimgo.Config) { cfg.RequestsPerSecond = 20 })
	const n = 11
	for range n {
		_, err := c.Organisation(context.Background())
		require.NoError(t, err)
	}
	reqs := fake.Requests()
	require.Len(t, reqs, n)
	// 20/s with a burst of 1 spaces 11 requests over ~500ms.
	span := reqs[n-1].Time.Sub(reqs[0].Time)
	assert.GreaterOrEqual(t, span, 400*time.Millisecond)
}

// With the defaults the client stays under eSIM Go's 10 requests per second,
// so a fake enforcing that limit never answers 429.
func TestDefaultRateStaysUnderServerLimit(t *testing.T) {
	t.Parallel()
	fake, c := setup(t, esimgotest.Options{RateLimit: 10}, func(cfg *esimgo.Config) { cfg.RequestsPerSecond = 0 })
	for range 12 {
		_, err := c.Organisation(context.Background())
		require.NoError(t, err)
	}
	reqs := fake.Requests()
	for i := range reqs {
		inWindow := 0
		for _, r := range reqs[i:] {
			if r.Time.Sub(reqs[i].Time) < time.Second {
				inWindow++
			}
		}
		assert.LessOrEqual(t, inWindow, 10)
	}
}

func TestRetryAfterHonouredForGET(t *testing.T) {
	t.Parallel()
	fake, c := setup(t, esimgotest.Options{})
	fake.SetFault(esimgotest.EndpointOrganisation, esimgotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	_, err := c.Organisation(context.Background())
	require.NoError(t, err)
	reqs := fake.Requests()
	require.Len(t, reqs, 2)
	assert.GreaterOrEqual(t, reqs[1].Time.Sub(reqs[0].Time), 900*time.Millisecond)

	// A GET that keeps failing gives up after MaxRetries and reports the wait.
	fake.SetFault(esimgotest.EndpointOrganisation, esimgotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	_, err = c.Organisation(context.Background())
	assert.Equal(t, esimgo.KindRateLimited, esimgo.KindOf(err))
	assert.Equal(t, time.Minute, esimgo.RetryAfterOf(err))
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := esimgo.New(esimgo.Config{})
	assert.Error(t, err, "API key required")
	_, err = esimgo.New(esimgo.Config{APIKey: "k", BaseURL: "api.esim-go.com"})
	assert.Error(t, err, "relative URL")
	_, err = esimgo.New(esimgo.Config{APIKey: "k"})
	assert.NoError(t, err)
}
