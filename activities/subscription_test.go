package activities_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/usage"
)

const bundle = "esim_1GB_7D_GB_V2"

// topUpRig is a subscription in the ledger with its first eSIM bought on the
// eSIM Go fake, ready for renewals.
type topUpRig struct {
	acts  *activities.Activities
	fake  *esimgotest.Fake
	store *store.Store
	esim  contract.ESIM
}

func newTopUpRig(t *testing.T) topUpRig {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	fake := esimgotest.New(esimgotest.Options{Balance: decimal.NewFromInt(1000)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Close)
	client, err := esimgo.New(esimgo.Config{BaseURL: srv.URL + "/v2.5", APIKey: "test-api-key", RequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	one := decimal.RequireFromString("1.36")
	must(st.ReplacePlans(ctx, []store.Plan{{ID: bundle, Name: "UK 1 GB", Countries: []string{"GB"}, DataMB: 1024, DurationDays: 7, WholesaleUSD: one,
		PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137, OnSale: true}}))
	must(st.CreateOrder(ctx, store.Order{ID: "sub-1", UserID: 1, ChatID: 1, PlanID: bundle, Status: contract.StatusFulfilled,
		PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137, QuoteExpiresAt: time.Now(), Source: contract.SourceSubscription}))
	for _, ch := range []string{"c1", "c2", "c3"} {
		_, err := st.RecordPayment(ctx, store.Payment{ChargeID: ch, OrderID: "sub-1", UserID: 1, Currency: "XTR", TotalAmount: 137,
			InvoicePayload: "sub-1", IsRecurring: true})
		must(err)
	}
	acts := &activities.Activities{Store: st, ESIM: client, Usage: &usage.Service{Store: st, ESIM: client}}
	first, err := client.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: bundle, Quantity: 1}}})
	must(err)
	as := first.Assignments()
	must(st.RecordESIMOrder(ctx, store.ESIMOrder{Reference: first.Reference, OrderID: "sub-1", ChargeID: "c1", Bundle: bundle,
		ICCID: as[0].ICCID, SMDPAddress: as[0].SMDPAddress, MatchingID: as[0].MatchingID}))
	return topUpRig{acts: acts, fake: fake, store: st,
		esim: contract.ESIM{Reference: first.Reference, ICCID: as[0].ICCID, SMDPAddress: as[0].SMDPAddress, MatchingID: as[0].MatchingID}}
}

func (r topUpRig) topUp(t *testing.T, charge string) (contract.ESIM, error) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(r.acts)
	val, err := env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "sub-1", ChargeID: charge,
		Bundle: bundle, ICCID: r.esim.ICCID, Since: time.Now()})
	if err != nil {
		return contract.ESIM{}, err
	}
	var out contract.ESIM
	return out, val.Get(&out)
}

func TestTopUpAddsTheBundleToTheSameESIMOnce(t *testing.T) {
	r := newTopUpRig(t)
	for _, charge := range []string{"c2", "c2", "c3"} { // c2 twice: a retried activity
		got, err := r.topUp(t, charge)
		if err != nil {
			t.Fatalf("top-up %s: %v", charge, err)
		}
		if got.ICCID != r.esim.ICCID || got.MatchingID != r.esim.MatchingID {
			t.Errorf("top-up %s answered %+v, want the first eSIM", charge, got)
		}
	}
	if got := r.fake.BundlesOn(r.esim.ICCID); len(got) != 3 {
		t.Errorf("bundles = %v, want 3 (first + two renewals, the retry bought nothing)", got)
	}
	if n := len(r.fake.ESIMs()); n != 1 {
		t.Errorf("eSIMs = %d, want 1", n)
	}
	if n := len(r.fake.RequestsTo(esimgotest.EndpointCompatible)); n != 1 {
		t.Errorf("compatibility checks = %d, want 1 (cached for the bundle's family)", n)
	}
	if reqs := r.fake.RequestsTo(esimgotest.EndpointCreateOrder); len(reqs) != 3 ||
		!strings.Contains(string(reqs[2].Body), `"iccids":["`+r.esim.ICCID+`"]`) ||
		!strings.Contains(string(reqs[2].Body), `"allowReassign":false`) {
		t.Errorf("the top-up was not ordered onto the eSIM with allowReassign:false: %s", reqs[len(reqs)-1].Body)
	}
}

func TestIncompatibleTopUpFailsForGood(t *testing.T) {
	r := newTopUpRig(t)
	r.fake.SetCompatible(r.esim.ICCID, bundle, false)
	_, err := r.topUp(t, "c2")
	var app *temporal.ApplicationError
	if err == nil || !asApp(err, &app) || app.Type() != contract.ErrTypeIncompatible || !app.NonRetryable() {
		t.Fatalf("err = %v, want a non-retryable %s", err, contract.ErrTypeIncompatible)
	}
	if n := len(r.fake.ESIMs()); n != 1 || len(r.fake.BundlesOn(r.esim.ICCID)) != 1 {
		t.Errorf("an incompatible top-up bought something: %d eSIMs, bundles %v", n, r.fake.BundlesOn(r.esim.ICCID))
	}
	if _, err := r.store.ESIMOrderByCharge(context.Background(), "c2"); err == nil {
		t.Error("a failed top-up is in the ledger")
	}
}

func asApp(err error, target **temporal.ApplicationError) bool {
	return errors.As(err, target)
}
