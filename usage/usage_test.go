package usage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/usage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const buyer = int64(5_079_065_042)

// world is a ledger with one eSIM sold to buyer, bought from the fake.
func world(t *testing.T) (*usage.Service, *esimgotest.Fake, string) {
	t.Helper()
	st, _ := testenv.Store(t)
	fake, srv := esimgotest.NewServer(t, esimgotest.Options{})
	c, err := esimgo.New(esimgo.Config{BaseURL: esimgotest.BaseURL(srv), APIKey: "test-api-key", RequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o, err := c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: "esim_1GB_7D_GB_V2"}}})
	if err != nil {
		t.Fatal(err)
	}
	iccid := o.Assignments()[0].ICCID
	if _, err := st.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('esim_1GB_7D_GB_V2', 'United Kingdom 1 GB', 1000, 7, 1.36, 1.77, 137)`); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateOrder(ctx, store.Order{ID: "o1", UserID: buyer, ChatID: buyer, PlanID: "esim_1GB_7D_GB_V2",
		Status: contract.StatusFulfilled, PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137,
		QuoteExpiresAt: time.Now(), Source: contract.SourceMiniApp}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordPayment(ctx, store.Payment{ChargeID: "ch1", OrderID: "o1", UserID: buyer, Currency: "XTR",
		TotalAmount: 137, InvoicePayload: "o1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordESIMOrder(ctx, store.ESIMOrder{Reference: o.Reference, OrderID: "o1", ChargeID: "ch1",
		Bundle: "esim_1GB_7D_GB_V2", ICCID: iccid, SMDPAddress: "rsp", MatchingID: "m"}); err != nil {
		t.Fatal(err)
	}
	fake.ResetRequests()
	return &usage.Service{Store: st, ESIM: c}, fake, iccid
}

func TestListReadsEachESIMOnceWhateverBuyersDo(t *testing.T) {
	svc, fake, iccid := world(t)
	ctx := context.Background()
	if _, err := fake.UseData(iccid, 30); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := svc.List(ctx, buyer)
			if err != nil || len(list) != 1 {
				t.Errorf("list = %+v, %v", list, err)
			}
		}()
	}
	wg.Wait()
	if n := len(fake.RequestsTo(esimgotest.EndpointBundles)); n != 1 {
		t.Fatalf("25 concurrent listings made %d bundle reads, want 1", n)
	}
	if n := len(fake.RequestsTo(esimgotest.EndpointESIM)); n != 1 {
		t.Fatalf("profile reads = %d, want 1", n)
	}
	list, err := svc.List(ctx, buyer)
	if err != nil {
		t.Fatal(err)
	}
	e := list[0]
	if e.InstallState != store.InstallNotInstalled || len(e.Bundles) != 1 {
		t.Fatalf("eSIM = %+v", e)
	}
	b := e.Bundles[0]
	if b.Initial != 1_000_000_000 || b.Remaining != 700_000_000 || b.State != esimgo.BundleActive || b.EndsAt == nil {
		t.Fatalf("bundle = %+v", b)
	}
	if n := len(fake.RequestsTo(esimgotest.EndpointBundles)); n != 1 {
		t.Fatalf("a fresh cache was read again: %d reads", n)
	}
}

func TestInstalledESIMSkipsTheProfileRead(t *testing.T) {
	svc, fake, iccid := world(t)
	ctx := context.Background()
	if err := fake.Install(iccid); err != nil {
		t.Fatal(err)
	}
	svc.Every = time.Millisecond
	state, err := svc.InstallState(ctx, iccid)
	if err != nil || state != store.InstallInstalled {
		t.Fatalf("state = %q %v", state, err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := svc.Refresh(ctx, iccid); err != nil {
		t.Fatal(err)
	}
	if n, m := len(fake.RequestsTo(esimgotest.EndpointESIM)), len(fake.RequestsTo(esimgotest.EndpointBundles)); n != 1 || m != 2 {
		t.Fatalf("profile reads %d (want 1), bundle reads %d (want 2)", n, m)
	}
}

func TestListServesTheCacheWhenESIMGoFails(t *testing.T) {
	svc, fake, _ := world(t)
	fake.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Status: 500})
	list, err := svc.List(context.Background(), buyer)
	if err != nil || len(list) != 1 || list[0].InstallState != store.InstallNotInstalled {
		t.Fatalf("list during an outage = %+v, %v", list, err)
	}
}

func TestCompatibilityIsCachedPerFamily(t *testing.T) {
	svc, fake, iccid := world(t)
	ctx := context.Background()
	fake.SetCompatible(iccid, "esim_3GB_30D_GB_V2", false)
	ok, err := svc.Compatible(ctx, iccid, "esim_3GB_30D_GB_V2")
	if err != nil || ok {
		t.Fatalf("3 GB: %v %v", ok, err)
	}
	// Same family (esim_GB_V2): answered from the cache.
	if ok, err = svc.Compatible(ctx, iccid, "esim_10GB_30D_GB_V2"); err != nil || ok {
		t.Fatalf("10 GB: %v %v", ok, err)
	}
	if ok, err = svc.Compatible(ctx, iccid, "esim_ULE_7D_GB_V2"); err != nil || !ok {
		t.Fatalf("unlimited family: %v %v", ok, err)
	}
	if n := len(fake.RequestsTo(esimgotest.EndpointCompatible)); n != 2 {
		t.Fatalf("compatibility calls = %d, want 2 (one per family)", n)
	}
	if err := svc.Forget(ctx, iccid, "esim_1GB_7D_GB_V2"); err != nil {
		t.Fatal(err)
	}
	fake.SetCompatible(iccid, "esim_1GB_7D_GB_V2", true)
	if ok, err = svc.Compatible(ctx, iccid, "esim_1GB_7D_GB_V2"); err != nil || !ok {
		t.Fatalf("after forgetting: %v %v", ok, err)
	}
}
