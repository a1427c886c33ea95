package esimgo_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

// shared starts a fake and a client at rps on budget b.
func shared(t *testing.T, opts esimgotest.Options, rps float64, b budget.Limiter) (*esimgotest.Fake, *esimgo.Client, string) {
	t.Helper()
	opts.APIKey = testKey
	fake, srv := esimgotest.NewServer(t, opts)
	return fake, client(t, esimgotest.BaseURL(srv), rps, b), esimgotest.BaseURL(srv)
}

func client(t *testing.T, url string, rps float64, b budget.Limiter) *esimgo.Client {
	t.Helper()
	c, err := esimgo.New(esimgo.Config{BaseURL: url, APIKey: testKey, RequestsPerSecond: rps, Budget: b, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

// queued is how long the next request on the shared lane would wait; it
// books nothing (a zero gap, and only an idle lane is booked).
func queued(t *testing.T, b budget.Limiter) time.Duration {
	t.Helper()
	s, err := b.Book(context.Background(), budget.Request{Lanes: []budget.Lane{{Key: esimgo.LaneKey}}, MaxWait: time.Nanosecond})
	require.NoError(t, err)
	return s.Wait
}

// Two clients (two worker processes) on one shared budget stay inside eSIM
// Go's limit together: the fake, enforcing 10 per second, never says 429.
// They run at 7 a second, well clear of a busy test machine's scheduling
// delays; on their own budgets they would send 14.
func TestClientsSharingABudgetStayUnderTheLimit(t *testing.T) {
	t.Parallel()
	lanes := budget.NewLocal()
	fake, a, url := shared(t, esimgotest.Options{RateLimit: 10}, 7, lanes)
	b := client(t, url, 7, lanes)
	var wg sync.WaitGroup
	for i := range 24 {
		c := []*esimgo.Client{a, b}[i%2]
		wg.Go(func() {
			_, err := c.Organisation(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	reqs := fake.Requests()
	require.Len(t, reqs, 24)
	times := make([]time.Time, 0, len(reqs))
	for _, r := range reqs {
		assert.False(t, r.Limited)
		times = append(times, r.Time)
	}
	slices.SortFunc(times, time.Time.Compare)
	for i := range times {
		in := 0
		for _, tm := range times[i:] {
			if tm.Sub(times[i]) < time.Second {
				in++
			}
		}
		assert.LessOrEqual(t, in, 10, "requests in the second from %s", times[i].Format("15:04:05.000"))
	}
}

// eSIM Go's answers steer the shared lane: a 429 closes it for Retry-After,
// for every process; an answer that spent the window's last token closes it
// until the window resets; X-Ratelimit-Cost sets what the next call of that
// operation books.
func TestClientFollowsTheRateHeaders(t *testing.T) {
	t.Parallel()
	lanes := budget.NewLocal()
	fake, c, _ := shared(t, esimgotest.Options{}, 10, lanes)
	ctx := context.Background()

	fake.SetFault(esimgotest.EndpointOrganisation, esimgotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second, Times: 1})
	_, err := c.Organisation(ctx) // a read gives up on a wait longer than MaxRetryWait
	require.Equal(t, esimgo.KindRateLimited, esimgo.KindOf(err), "%v", err)
	assert.Greater(t, queued(t, lanes), 20*time.Second, "the 429's Retry-After holds the lane for everyone")

	// The fake's own limit: one token per window, so every answer spends the last.
	held := budget.NewLocal()
	limited, lc, _ := shared(t, esimgotest.Options{RateLimit: 1}, 10, held)
	// Just after a window opens, so it resets most of a second later.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	_, err = lc.Organisation(ctx)
	require.NoError(t, err)
	assert.Greater(t, queued(t, held), 500*time.Millisecond, "remaining 0 holds the lane until the window resets, beyond one gap")
	assert.Len(t, limited.Requests(), 1)

	costly := budget.NewLocal()
	_, cc, _ := shared(t, esimgotest.Options{RateLimit: 100, Costs: map[string]int{esimgotest.EndpointOrganisation: 4}}, 10, costly)
	_, err = cc.Organisation(ctx) // booked at 1 token: the cost is not known yet
	require.NoError(t, err)
	time.Sleep(150 * time.Millisecond) // that one gap passes
	_, err = cc.Organisation(ctx)
	require.NoError(t, err)
	assert.Greater(t, queued(t, costly), 3*108*time.Millisecond, "the second call booked the 4 tokens eSIM Go reported")
}

// A request that would queue longer than its context allows is not sent:
// the caller gets KindRateLimited with the wait, as after eSIM Go's own 429.
func TestClientDoesNotQueuePastItsMaxWait(t *testing.T) {
	t.Parallel()
	lanes := budget.NewLocal()
	fake, c, _ := shared(t, esimgotest.Options{}, 10, lanes)
	ctx := context.Background()
	require.NoError(t, lanes.Hold(ctx, esimgo.LaneKey, time.Minute))

	_, err := c.CreateOrder(budget.WithMaxWait(ctx, time.Second), order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	assert.Equal(t, esimgo.KindRateLimited, esimgo.KindOf(err), "%v", err)
	assert.Greater(t, esimgo.RetryAfterOf(err), 50*time.Second)
	assert.True(t, esimgo.IsRetryable(err))

	// A deadline that leaves no time for the call after the queue counts too.
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = c.CreateOrder(budget.WithPriority(dctx, budget.Background), order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	assert.Equal(t, esimgo.KindRateLimited, esimgo.KindOf(err), "a background call behind a held lane with little time: %v", err)
	assert.Empty(t, fake.Requests())
}

// ReserveOrder books the order's slot ahead; the CreateOrder that follows
// uses it instead of booking a second one.
func TestReserveOrderBooksOnce(t *testing.T) {
	t.Parallel()
	lanes := budget.NewLocal()
	// One request an hour: a second booking would show as an hour's queue.
	fake, c, _ := shared(t, esimgotest.Options{}, 1.0/3600, lanes)
	ctx, err := c.ReserveOrder(context.Background())
	require.NoError(t, err)
	_, err = c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	assert.Len(t, fake.Orders(), 1)
	q := queued(t, lanes)
	assert.Greater(t, q, 50*time.Minute)
	assert.Less(t, q, 2*time.Hour, "one slot booked, not two")
}

// A read under a short deadline (a buyer's listing) may queue for half of
// it; one that would wait longer is not sent.
func TestReadsUnderAShortDeadlineQueueForHalfOfIt(t *testing.T) {
	t.Parallel()
	lanes := budget.NewLocal()
	fake, c, _ := shared(t, esimgotest.Options{}, 10, lanes)
	ctx := context.Background()
	require.NoError(t, lanes.Hold(ctx, esimgo.LaneKey, time.Second))
	dctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	_, err := c.Organisation(dctx)
	require.NoError(t, err, "a second's queue fits in half of a 4 s deadline")

	require.NoError(t, lanes.Hold(ctx, esimgo.LaneKey, 3*time.Second))
	dctx, cancel = context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	_, err = c.Organisation(dctx)
	assert.Equal(t, esimgo.KindRateLimited, esimgo.KindOf(err), "3 s of queue under a 4 s deadline: %v", err)
	assert.Len(t, fake.Requests(), 1)
}
