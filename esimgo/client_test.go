package esimgo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

const testKey = "test-api-key"

// setup starts a fake and a client with a high rate limit so tests stay fast.
func setup(t *testing.T, opts esimgotest.Options, mod ...func(*esimgo.Config)) (*esimgotest.Fake, *esimgo.Client) {
	t.Helper()
	opts.APIKey = testKey
	fake, srv := esimgotest.NewServer(t, opts)
	cfg := esimgo.Config{BaseURL: esimgotest.BaseURL(srv), APIKey: testKey, RequestsPerSecond: 1000, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := esimgo.New(cfg)
	require.NoError(t, err)
	return fake, c
}

func order(typ, bundle string) esimgo.OrderRequest {
	return esimgo.OrderRequest{Type: typ, Assign: true, Order: []esimgo.OrderItem{{Item: bundle, Quantity: 1}}}
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bare bool
	}{{"object with pageCount", false}, {"bare array", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := setup(t, esimgotest.Options{BareCatalogue: tc.bare})
			got, err := c.CatalogueQuery(context.Background(), esimgo.CatalogueQuery{PerPage: 4})
			require.NoError(t, err)
			want := fake.Catalogue()
			require.Len(t, got, len(want))
			assert.GreaterOrEqual(t, len(want), 15)
			assert.GreaterOrEqual(t, len(fake.RequestsTo(esimgotest.EndpointCatalogue)), (len(want)+3)/4, "paged")

			byName := map[string]esimgo.Bundle{}
			for _, b := range got {
				byName[b.Name] = b
			}
			gb := byName["esim_1GB_7D_GB_V2"]
			assert.Equal(t, "1.36", gb.Price.String(), "price decoded exactly")
			assert.Equal(t, int64(1000), gb.DataMB)
			assert.Equal(t, 7, gb.DurationDays)
			assert.Equal(t, []string{"GB"}, gb.CountryISOs())
			assert.Equal(t, "Europe", gb.Region)
			assert.True(t, byName["esim_ULE_7D_GB_V2"].Unlimited)
			assert.Empty(t, byName["esim_1GB_7D_RGBS_V2"].Region, "global spans regions")
		})
	}
}

func TestCatalogueFilterAndAll(t *testing.T) {
	t.Parallel()
	_, c := setup(t, esimgotest.Options{})
	all, err := c.Catalogue(context.Background())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(all), 15)
	us, err := c.CatalogueQuery(context.Background(), esimgo.CatalogueQuery{Countries: []string{"US"}})
	require.NoError(t, err)
	require.NotEmpty(t, us)
	for _, b := range us {
		assert.Contains(t, b.CountryISOs(), "US")
	}
}

// A captured real answer: prices must survive exactly.
func TestCatalogueRealSample(t *testing.T) {
	t.Parallel()
	const body = `{"bundles":[{"name":"esim_1GB_7D_AD_V2","description":"eSIM, 1GB, 7 Days, Andorra, V2",
	"countries":[{"name":"Andorra","region":"Europe","iso":"AD"}],"dataAmount":1000,"duration":7,
	"speed":["2G","3G","4G","5G"],"autostart":true,"unlimited":false,"price":6.9,"groups":["Standard Fixed"],
	"billingType":"FixedCost","allowances":[{"type":"DATA","service":"ROAMING","description":"x","amount":1000,"unit":"MB","unlimited":false}]},
	{"name":"esim_1GB_7D_GB_V2","price":1.36,"roamingEnabled":false,"countries":[]}],"pageCount":1,"rows":2,"pageSize":2}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
	t.Cleanup(srv.Close)
	c, err := esimgo.New(esimgo.Config{BaseURL: srv.URL, APIKey: "k"})
	require.NoError(t, err)
	got, err := c.Catalogue(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "6.9", got[0].Price.String())
	assert.Equal(t, "1.36", got[1].Price.String())
	assert.True(t, got[1].Price.Equal(decimal.RequireFromString("1.36")))
	assert.Equal(t, []string{"Standard Fixed"}, got[0].Groups)
}

func TestBundle(t *testing.T) {
	t.Parallel()
	_, c := setup(t, esimgotest.Options{})
	b, err := c.Bundle(context.Background(), "esim_1GB_7D_GB_V2")
	require.NoError(t, err)
	assert.Equal(t, "1.36", b.Price.String())
	assert.Equal(t, []string{"Standard Fixed"}, b.Groups)

	_, err = c.Bundle(context.Background(), "esim_NOPE")
	assert.Equal(t, esimgo.KindNotFound, esimgo.KindOf(err), "%v", err)
	assert.False(t, esimgo.IsRetryable(err))
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake, c := setup(t, esimgotest.Options{SMDPAddress: "https://rsp-3104.idemia.io/"})

	v, err := c.CreateOrder(ctx, order(esimgo.OrderValidate, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	assert.True(t, v.Valid)
	assert.Equal(t, "1.36", v.Total.String())
	assert.Empty(t, fake.Orders(), "validate creates no order")
	assert.Equal(t, "1000", fake.Balance().String(), "validate does not charge")

	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	require.NoError(t, err)
	_, err = uuid.Parse(o.Reference)
	assert.NoError(t, err, "orderReference is a UUID")
	assert.Equal(t, "completed", o.Status)
	assert.Equal(t, "Order completed: 1 eSIMs assigned", o.StatusMessage)
	assert.Equal(t, "1.36", o.Total.String())
	assert.Equal(t, "998.64", o.RunningBalance.String())
	assert.Equal(t, "998.64", fake.Balance().String())
	as := o.Assignments()
	require.Len(t, as, 1)
	assert.Equal(t, "rsp-3104.idemia.io", as[0].SMDPAddress, "scheme and slash stripped")
	assert.Equal(t, "LPA:1$rsp-3104.idemia.io$"+as[0].MatchingID, as[0].LPA())
	assert.Equal(t, o.Reference, as[0].Reference)
	assert.Equal(t, "esim_1GB_7D_GB_V2", as[0].Bundle)
	require.Len(t, fake.Orders(), 1)
	assert.Equal(t, o.Reference, fake.Orders()[0].Reference)

	// Top-up: the bundle lands on the given ICCID, no new eSIM.
	top, err := c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: "esim_3GB_30D_GB_V2", ICCIDs: []string{as[0].ICCID}}}})
	require.NoError(t, err)
	require.Len(t, top.Items, 1)
	assert.Equal(t, []string{as[0].ICCID}, top.Items[0].ICCIDs)
	assert.Equal(t, []string{"esim_1GB_7D_GB_V2", "esim_3GB_30D_GB_V2"}, fake.BundlesOn(as[0].ICCID))
	assert.Len(t, fake.ESIMs(), 1)
	assert.Equal(t, "995.22", fake.Balance().String())

	// Bad requests are refused before anything is sent.
	_, err = c.CreateOrder(ctx, esimgo.OrderRequest{Type: "buy"})
	assert.Equal(t, esimgo.KindInvalid, esimgo.KindOf(err))
	_, err = c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Order: []esimgo.OrderItem{{Item: "x", ICCIDs: []string{"1"}}}})
	assert.Equal(t, esimgo.KindInvalid, esimgo.KindOf(err), "ICCIDs need Assign")
	assert.Len(t, fake.RequestsTo(esimgotest.EndpointCreateOrder), 3)
}

func TestOrdersListGetFind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 4, 13, 0, 0, 0, time.UTC)
	clock := now
	fake, c := setup(t, esimgotest.Options{Now: func() time.Time { return clock }})

	place := func(bundle string, at time.Time) esimgo.Order {
		clock = at // orders are placed sequentially, so no race on clock
		o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, bundle))
		require.NoError(t, err)
		return o
	}
	old := place("esim_1GB_7D_GB_V2", now.Add(-time.Hour))
	a := place("esim_1GB_7D_GB_V2", now)
	place("esim_1GB_7D_US_V2", now.Add(time.Minute))
	b := place("esim_1GB_7D_GB_V2", now.Add(2*time.Minute))

	all, err := c.ListOrders(ctx, esimgo.ListOrdersQuery{PerPage: 1})
	require.NoError(t, err)
	assert.Len(t, all, 4, "all pages")
	assert.Len(t, fake.RequestsTo(esimgotest.EndpointListOrders), 4)

	page, err := c.ListOrders(ctx, esimgo.ListOrdersQuery{Page: 2, PerPage: 2})
	require.NoError(t, err)
	assert.Len(t, page, 2)

	found, err := c.FindOrderSince(ctx, now, "esim_1GB_7D_GB_V2")
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.Equal(t, []string{b.Reference, a.Reference}, []string{found[0].Reference, found[1].Reference}, "newest first")
	assert.NotEqual(t, old.Reference, found[1].Reference)
	require.NotEmpty(t, found[0].Assignments(), "includes install details")
	last := fake.RequestsTo(esimgotest.EndpointListOrders)
	q := last[len(last)-1].Query
	assert.Equal(t, []string{"gte:2026-01-04T13:00:00.000Z"}, q["createdAt"])
	assert.Equal(t, "true", q.Get("includeIccids"))

	got, err := c.GetOrder(ctx, a.Reference)
	require.NoError(t, err)
	assert.Equal(t, a.Reference, got.Reference)
	assert.Equal(t, a.Assignments()[0].ICCID, got.Assignments()[0].ICCID)
	assert.True(t, got.CreatedDate.Equal(now))

	_, err = c.GetOrder(ctx, uuid.NewString())
	assert.Equal(t, esimgo.KindNotFound, esimgo.KindOf(err), "%v", err)
}

func TestESIMEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake, c := setup(t, esimgotest.Options{})
	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_FR_V2"))
	require.NoError(t, err)
	iccid := o.Assignments()[0].ICCID

	as, err := c.Assignments(ctx, o.Reference)
	require.NoError(t, err)
	require.Len(t, as, 1)
	assert.Equal(t, iccid, as[0].ICCID)
	assert.Equal(t, o.Assignments()[0].MatchingID, as[0].MatchingID)
	assert.Equal(t, "rsp-3104.idemia.io", as[0].SMDPAddress)
	assert.Equal(t, "Released", as[0].ProfileStatus)
	req := fake.RequestsTo(esimgotest.EndpointAssignments)[0]
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
	assert.Equal(t, o.Reference, req.Query.Get("reference"))

	// Several eSIMs come back as an array.
	multi, err := c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: "esim_1GB_7D_DE_V2", Quantity: 2}}})
	require.NoError(t, err)
	as, err = c.Assignments(ctx, multi.Reference)
	require.NoError(t, err)
	assert.Len(t, as, 2)

	require.NoError(t, c.SetCustomerRef(ctx, iccid, "order-42"))
	e, err := c.ESIM(ctx, iccid)
	require.NoError(t, err)
	assert.Equal(t, "order-42", e.CustomerRef)
	assert.Equal(t, iccid, e.ICCID)
	lpa := esimgo.LPA(e.SMDPAddress, e.MatchingID)
	assert.Equal(t, esimgo.IOSInstallURL(lpa), e.AppleInstallURL)
	assert.Equal(t, esimgo.AndroidInstallURL(lpa), e.AndroidInstallURL)

	_, err = c.ESIM(ctx, "8900000000000000000")
	assert.Equal(t, esimgo.KindNotFound, esimgo.KindOf(err), "%v", err)

	ok, err := c.Compatible(ctx, iccid, "esim_1GB_7D_GB_V2")
	require.NoError(t, err)
	assert.True(t, ok)
	fake.SetCompatible(iccid, "esim_1GB_7D_GB_V2", false)
	ok, err = c.Compatible(ctx, iccid, "esim_1GB_7D_GB_V2")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = c.Compatible(ctx, iccid, "esim_NOPE")
	assert.Equal(t, esimgo.KindNotFound, esimgo.KindOf(err))

	before := fake.Balance()
	require.NoError(t, c.RevokeBundle(ctx, iccid, "esim_1GB_7D_FR_V2"))
	assert.Equal(t, before.Add(decimal.RequireFromString("1.42")).String(), fake.Balance().String(), "revoke credits")
	assert.Empty(t, fake.BundlesOn(iccid))
	err = c.RevokeBundle(ctx, iccid, "esim_1GB_7D_FR_V2")
	assert.Error(t, err, "nothing left to revoke")

	org, err := c.Organisation(ctx)
	require.NoError(t, err)
	assert.Equal(t, fake.Balance().String(), org.Balance.String())
	assert.Equal(t, "USD", org.Currency)
}

func TestAssignmentsProcessing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake, c := setup(t, esimgotest.Options{})
	o, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_JP_V2"))
	require.NoError(t, err)

	// Two 503s with Retry-After: 1 are waited out within the call.
	fake.SetProcessing(2, time.Second)
	start := time.Now()
	as, err := c.Assignments(ctx, o.Reference)
	require.NoError(t, err)
	assert.Len(t, as, 1)
	assert.Len(t, fake.RequestsTo(esimgotest.EndpointAssignments), 3)
	assert.GreaterOrEqual(t, time.Since(start), 1800*time.Millisecond)

	// A Retry-After longer than the client will sleep is handed to the caller.
	fake.SetProcessing(1, 30*time.Second)
	_, err = c.Assignments(ctx, o.Reference)
	assert.Equal(t, esimgo.KindServer, esimgo.KindOf(err))
	assert.Equal(t, 30*time.Second, esimgo.RetryAfterOf(err))
	assert.True(t, esimgo.IsRetryable(err))
}

// A charging order gets less time than other calls (OrderTimeout), so the
// purchase activity keeps time to look a lost order up; reads keep the
// general Timeout.
func TestOrderTimeoutIsShorterThanReads(t *testing.T) {
	fake, c := setup(t, esimgotest.Options{}, func(cfg *esimgo.Config) { cfg.OrderTimeout = 200 * time.Millisecond })
	assert.Equal(t, 200*time.Millisecond, c.OrderTimeout())
	fake.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Latency: 600 * time.Millisecond})
	ctx := context.Background()
	_, err := c.CreateOrder(ctx, order(esimgo.OrderTransaction, "esim_1GB_7D_GB_V2"))
	assert.Equal(t, esimgo.KindOutcomeUnknown, esimgo.KindOf(err), "a slow charging order: %v", err)
	_, err = c.Bundle(ctx, "esim_1GB_7D_GB_V2")
	assert.NoError(t, err, "a read as slow as that is still answered")
	assert.Empty(t, fake.Orders(), "the fake does nothing for a client that gave up during its latency")

	_, d := setup(t, esimgotest.Options{}, func(cfg *esimgo.Config) { cfg.Timeout = time.Minute })
	assert.Equal(t, 20*time.Second, d.OrderTimeout(), "default")
}
