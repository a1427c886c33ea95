package checkout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
)

func TestSalesPauseBelowTheFloorAndReopenAfterATopUp(t *testing.T) {
	st, _ := testenv.Store(t)
	fake, srv := esimgotest.NewServer(t, esimgotest.Options{Balance: decimal.NewFromInt(40)})
	c, err := esimgo.New(esimgo.Config{BaseURL: esimgotest.BaseURL(srv), APIKey: "test-api-key", RequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g := &SalesGate{Store: st, ESIM: c, Floor: decimal.NewFromInt(50), Recheck: time.Hour}
	// recheckDue plays the recheck interval passing.
	recheckDue := func() {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, `UPDATE esimgo_account SET claimed_at = now() - interval '2 hours'`); err != nil {
			t.Fatal(err)
		}
	}
	if err := (*SalesGate)(nil).Open(ctx); err != nil {
		t.Fatalf("no gate: %v", err)
	}
	// Balance unknown: read from eSIM Go (40 < 50).
	if err := g.Open(ctx); !errors.Is(err, ErrSalesPaused) {
		t.Fatalf("at 40 USD: %v, want paused", err)
	}
	// Paused: asking again within Recheck reads nothing more.
	for range 5 {
		if err := g.Open(ctx); !errors.Is(err, ErrSalesPaused) {
			t.Fatalf("still paused: %v", err)
		}
	}
	if n := len(fake.RequestsTo(esimgotest.EndpointOrganisation)); n != 1 {
		t.Fatalf("organisation reads = %d, want 1", n)
	}
	fake.SetBalance(decimal.NewFromInt(500)) // operators top up
	recheckDue()
	if err := g.Open(ctx); err != nil {
		t.Fatalf("after the top-up: %v", err)
	}
	// Above the floor, the ledger's balance answers without eSIM Go.
	for range 5 {
		if err := g.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.RequestsTo(esimgotest.EndpointOrganisation)); n != 2 {
		t.Fatalf("organisation reads = %d, want 2", n)
	}
	// A balance alert below the floor pauses at once.
	if err := st.SetESIMGoBalance(ctx, decimal.NewFromInt(10), store.BalanceFromCallback); err != nil {
		t.Fatal(err)
	}
	fake.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Status: 500})
	recheckDue()
	if err := g.Open(ctx); !errors.Is(err, ErrSalesPaused) {
		t.Fatalf("after the alert, eSIM Go down: %v", err)
	}
}

func TestTopUpOrderIDsDifferByESIM(t *testing.T) {
	s := &Service{BotID: 1, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	a := s.OrderID(CreateRequest{UserID: 5, PlanID: "p"})
	b := s.OrderID(CreateRequest{UserID: 5, PlanID: "p", ICCID: "8944"})
	c := s.OrderID(CreateRequest{UserID: 5, PlanID: "p", ICCID: "8945"})
	if a == b || b == c || b != s.OrderID(CreateRequest{UserID: 5, PlanID: "p", ICCID: "8944"}) {
		t.Fatalf("ids %s %s %s: a double tap is one order, different eSIMs are different orders", a, b, c)
	}
}
