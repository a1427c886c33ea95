package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
)

const subID = "sub-1"

var subStart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type subHarness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	in  contract.SubscriptionInput

	mu                  sync.Mutex
	topups, refunds     []string // charge ids
	cancels, deliveries []string
	failTopUp, reassign map[string]bool
}

func newSubHarness(t *testing.T) *subHarness {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(nopLogger{})
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SubscriptionWorkflow)
	env.RegisterActivity(&activities.Activities{})
	env.SetStartTime(subStart)
	return &subHarness{t: t, env: env, failTopUp: map[string]bool{}, reassign: map[string]bool{}, in: contract.SubscriptionInput{
		SubscriptionID: subID, UserID: buyer, ChatID: buyer, LanguageCode: "ru", PlanID: "esim_1GB_7D_GB_V2",
		InvoiceTTL: 30 * time.Minute, FulfilmentDeadline: 30 * time.Minute,
	}}
}

func (h *subHarness) add(list *[]string, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	*list = append(*list, id)
}

func (h *subHarness) defaults() {
	e := h.env
	e.OnActivity(a.OpenSubscription, mock.Anything, mock.Anything).Return(activities.QuoteResult{PlanName: "UK 1 GB", PriceUSD: "1.77", Stars: stars}, nil).Maybe()
	e.OnActivity(a.CreateSubscriptionInvoice, mock.Anything, mock.Anything).Return("https://t.me/$sub", nil).Maybe()
	e.OnActivity(a.RecordState, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.RecordSubscription, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.RecordPayment, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlaceInput) (contract.ESIM, error) {
		if in.ICCID == "" { // the first period: a new eSIM
			return contract.ESIM{Reference: "ref-1"}, nil
		}
		if h.failTopUp[in.ChargeID] {
			return contract.ESIM{}, temporal.NewNonRetryableApplicationError("incompatible", contract.ErrTypeIncompatible, nil)
		}
		if in.ICCID != "8944" {
			h.t.Errorf("top-up of %s, want the first eSIM", in.ICCID)
		}
		h.add(&h.topups, in.ChargeID)
		if h.reassign[in.ChargeID] {
			return contract.ESIM{Reference: "ref-" + in.ChargeID, ICCID: "8945"}, nil
		}
		return contract.ESIM{Reference: "ref-" + in.ChargeID, ICCID: in.ICCID, SMDPAddress: "rsp.example.com", MatchingID: "M-1"}, nil
	}).Maybe()
	e.OnActivity(a.FetchInstallDetails, mock.Anything, mock.Anything).Return(contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1", LPA: "LPA:1$rsp.example.com$M-1"}, nil).Maybe()
	e.OnActivity(a.DeliverESIM, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeliverInput) (activities.DeliverResult, error) {
		h.add(&h.deliveries, in.ESIM.ICCID)
		return activities.DeliverResult{Delivered: true}, nil
	}).Maybe()
	e.OnActivity(a.RefundPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RefundInput) error {
		h.add(&h.refunds, in.ChargeID)
		return nil
	}).Maybe()
	e.OnActivity(a.CancelSubscription, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CancelInput) error {
		h.add(&h.cancels, in.ChargeID)
		return nil
	}).Maybe()
	e.OnActivity(a.NotifyBuyer, mock.Anything, mock.Anything).Return(nil).Maybe()
}

// charge is a subscription payment made at d after the start; Telegram sets
// the expiry 30 days after each charge.
func subCharge(id string, d time.Duration, first bool) contract.Payment {
	return contract.Payment{ChargeID: id, UserID: buyer, Currency: "XTR", TotalAmount: stars, InvoicePayload: subID,
		IsRecurring: true, IsFirstRecurring: first, SubscriptionExpirationDate: subStart.Add(d + 30*24*time.Hour).Unix()}
}

const month = 30 * 24 * time.Hour

func (h *subHarness) at(d time.Duration, f func()) { h.env.RegisterDelayedCallback(f, d) }

func (h *subHarness) pay(d time.Duration, id string, first bool) {
	h.at(d, func() { h.env.SignalWorkflow(contract.SignalPayment, subCharge(id, d, first)) })
}

func (h *subHarness) state(d time.Duration, st string) {
	h.at(d, func() {
		h.env.SignalWorkflow(contract.SignalSubscriptionState, contract.SubscriptionStateChange{UserID: buyer, State: st})
	})
}

func (h *subHarness) cancel(d time.Duration, user int64, result *error) {
	h.at(d, func() {
		h.env.UpdateWorkflow(contract.UpdateCancel, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { *result = err },
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { *result = err },
		}, contract.CancelRequest{UserID: user, By: "buyer:bot"})
	})
}

func (h *subHarness) run() (contract.SubscriptionView, error) {
	h.t.Helper()
	h.defaults()
	h.env.ExecuteWorkflow(SubscriptionWorkflow, h.in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		return contract.SubscriptionView{}, err
	}
	var v contract.SubscriptionView
	if err := h.env.GetWorkflowResult(&v); err != nil {
		h.t.Fatal(err)
	}
	return v, nil
}

func TestSubscriptionLife(t *testing.T) {
	tests := []struct {
		name   string
		script func(h *subHarness, cancelErr *error)
		// want: charges topped up, refunded, Telegram subscriptions cancelled, final state
		topups, refunds, cancels []string
		status                   contract.SubscriptionStatus
		periods                  int
		cancelErr                bool
	}{
		{
			name: "renewals top up the same eSIM until Telegram stops charging",
			script: func(h *subHarness, _ *error) {
				h.pay(time.Minute, "c1", true)
				h.pay(time.Minute+time.Second, "c1", true) // re-sent signal
				h.pay(month, "c2", false)
				h.pay(2*month, "c3", false)
			},
			// The store stops a subscription that stopped renewing at
			// Telegram too, so nothing can charge it afterwards.
			topups: []string{"c2", "c3"}, cancels: []string{"c1"}, status: contract.SubExpired, periods: 3,
		},
		{
			name: "a failed top-up is refunded and the subscription stays active",
			script: func(h *subHarness, _ *error) {
				h.failTopUp["c2"] = true
				h.pay(time.Minute, "c1", true)
				h.pay(month, "c2", false)
				h.pay(2*month, "c3", false)
			},
			topups: []string{"c3"}, refunds: []string{"c2"}, cancels: []string{"c1"}, status: contract.SubExpired, periods: 2,
		},
		{
			name: "a renewal eSIM Go put on another eSIM is refunded: a subscription renews one eSIM",
			script: func(h *subHarness, _ *error) {
				h.reassign["c2"] = true
				h.pay(time.Minute, "c1", true)
				h.pay(month, "c2", false)
				h.pay(2*month, "c3", false)
			},
			topups: []string{"c2", "c3"}, refunds: []string{"c2"}, cancels: []string{"c1"}, status: contract.SubExpired, periods: 2,
		},
		{
			name: "a renewal after the buyer cancelled in Telegram is refunded",
			script: func(h *subHarness, _ *error) {
				h.pay(time.Minute, "c1", true)
				h.state(10*24*time.Hour, "canceled")
				h.pay(month, "c2", false)
			},
			refunds: []string{"c2"}, status: contract.SubCanceled, periods: 1,
		},
		{
			name: "re-enabled in Telegram renews again; failed stops it",
			script: func(h *subHarness, _ *error) {
				h.pay(time.Minute, "c1", true)
				h.state(24*time.Hour, "canceled")
				h.state(48*time.Hour, "active")
				h.pay(month, "c2", false)
				h.state(month+time.Hour, "failed")
				h.pay(2*month, "c3", false)
			},
			topups: []string{"c2"}, refunds: []string{"c3"}, status: contract.SubFailed, periods: 2,
		},
		{
			name: "cancel stops renewals with the first charge",
			script: func(h *subHarness, cancelErr *error) {
				h.pay(time.Minute, "c1", true)
				h.cancel(time.Hour, buyer, cancelErr)
				h.pay(month, "c2", false)
			},
			cancels: []string{"c1"}, refunds: []string{"c2"}, status: contract.SubCanceled, periods: 1,
		},
		{
			name: "another user cannot cancel",
			script: func(h *subHarness, cancelErr *error) {
				h.pay(time.Minute, "c1", true)
				h.cancel(time.Hour, 999, cancelErr)
				h.pay(month, "c2", false)
			},
			topups: []string{"c2"}, cancels: []string{"c1"}, status: contract.SubExpired, periods: 2, cancelErr: true,
		},
		{
			name: "a second first payment is refunded and its subscription cancelled",
			script: func(h *subHarness, _ *error) {
				h.pay(time.Minute, "c1", true)
				h.pay(2*time.Minute, "c9", true)
			},
			refunds: []string{"c9"}, cancels: []string{"c9", "c1"}, status: contract.SubExpired, periods: 1,
		},
		{
			name:   "unpaid subscription expires with its quote",
			script: func(*subHarness, *error) {},
			status: contract.SubExpired,
		},
		{
			name: "an operator's cancel closes the run after settling what is owed",
			script: func(h *subHarness, _ *error) {
				h.failTopUp["c2"] = true
				h.pay(time.Minute, "c1", true)
				h.pay(month, "c2", false)
				h.at(month+time.Second, func() { h.env.CancelWorkflow() })
			},
			refunds: []string{"c2"}, status: contract.SubActive, periods: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSubHarness(t)
			var cancelErr error
			tt.script(h, &cancelErr)
			v, err := h.run()
			if err != nil {
				t.Fatalf("workflow failed: %v", err)
			}
			if v.Status != tt.status || v.Periods != tt.periods {
				t.Errorf("status %s with %d periods, want %s with %d (last error %q)", v.Status, v.Periods, tt.status, tt.periods, v.LastError)
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"top-ups", h.topups, tt.topups}, {"refunds", h.refunds, tt.refunds}, {"cancels", h.cancels, tt.cancels}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if (cancelErr != nil) != tt.cancelErr {
				t.Errorf("cancel error = %v, want error: %v", cancelErr, tt.cancelErr)
			}
			if tt.periods > 0 && (len(h.deliveries) != 1 || v.ESIM == nil || v.ESIM.ICCID != "8944") {
				t.Errorf("deliveries %v, eSIM %+v: want exactly one eSIM", h.deliveries, v.ESIM)
			}
		})
	}
}

func TestSubscriptionFirstPeriodFailureRefundsAndCancels(t *testing.T) {
	h := newSubHarness(t)
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{},
		temporal.NewNonRetryableApplicationError("no", contract.ErrTypePermanentESIM, nil))
	h.pay(time.Minute, "c1", true)
	v, err := h.run()
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != contract.SubRefunded || !slices.Equal(h.refunds, []string{"c1"}) || !slices.Equal(h.cancels, []string{"c1"}) {
		t.Errorf("status %s refunds %v cancels %v, want refunded/c1/c1", v.Status, h.refunds, h.cancels)
	}
}

// TestSubscriptionContinuesAsNew: after chargesPerRun charges the run hands
// its state to a fresh run, so a years-long subscription keeps a small history.
func TestSubscriptionContinuesAsNew(t *testing.T) {
	h := newSubHarness(t)
	h.pay(time.Minute, "c1", true)
	for i := 1; i < chargesPerRun; i++ {
		h.pay(time.Duration(i)*month, "r"+string(rune('0'+i)), false)
	}
	_, err := h.run()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next contract.SubscriptionInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Carry
	if c == nil || c.Status != contract.SubActive || c.FirstChargeID != "c1" || c.ESIM == nil || c.Periods != chargesPerRun ||
		len(c.Seen) != chargesPerRun || next.Resume || next.SubscriptionID != subID {
		t.Fatalf("carried = %+v (input %+v)", c, next)
	}

	// The next run serves the next renewal on the same eSIM and ignores a
	// re-sent signal of a charge the previous run already served.
	h2 := newSubHarness(t)
	h2.in = next
	last := time.Duration(chargesPerRun-1) * month
	h2.pay(time.Minute, "r1", false)
	h2.pay(month, "r9", false)
	h2.env.SetStartTime(subStart.Add(last))
	v, err := h2.run()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h2.topups, []string{"r9"}) || len(h2.refunds) != 0 || v.Periods != chargesPerRun+1 {
		t.Errorf("second run: top-ups %v refunds %v periods %d", h2.topups, h2.refunds, v.Periods)
	}
}

func TestSubscriptionCheckout(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*contract.PreCheckout)
		want   string
	}{
		{"valid", func(*contract.PreCheckout) {}, ""},
		{"other user", func(pc *contract.PreCheckout) { pc.UserID = 999 }, string(contract.RefuseNotOwner)},
		{"wrong amount", func(pc *contract.PreCheckout) { pc.TotalAmount = 1 }, string(contract.RefuseWrongAmount)},
		{"tampered payload", func(pc *contract.PreCheckout) { pc.Payload = "sub-2" }, string(contract.RefuseUnknown)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSubHarness(t)
			got := "pending"
			h.at(time.Second, func() {
				pc := contract.PreCheckout{QueryID: "q", UserID: buyer, Currency: "XTR", TotalAmount: stars, Payload: subID}
				tt.mutate(&pc)
				h.env.UpdateWorkflow(contract.UpdatePreCheckout, "pc", &testsuite.TestUpdateCallback{
					OnReject: func(err error) {
						var app *temporal.ApplicationError
						if errors.As(err, &app) {
							got = app.Message()
						}
					},
					OnAccept:   func() { got = "" },
					OnComplete: func(any, error) {},
				}, pc)
			})
			if _, err := h.run(); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("refusal = %q, want %q", got, tt.want)
			}
		})
	}
}

// The OrderStatus search attribute follows the subscription, so operators
// find subscriptions with the same searches as orders.
func TestSubscriptionStatusIsSearchable(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"bought then cancelled", []string{"active", "canceled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSubHarness(t)
			if err := h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
				contract.AttrStatus.ValueSet(string(contract.SubAwaitingPayment)))); err != nil {
				t.Fatal(err)
			}
			var published []string
			h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(contract.AttrStatus); ok {
					published = append(published, v)
				}
			}).Return(nil)
			var cancelErr error
			h.pay(time.Minute, "c1", true)
			h.cancel(time.Hour, buyer, &cancelErr)
			v, err := h.run()
			if err != nil || v.Status != contract.SubCanceled {
				t.Fatalf("status %s, err %v", v.Status, err)
			}
			if !slices.Equal(published, tc.want) {
				t.Errorf("OrderStatus written %v, want %v", published, tc.want)
			}
		})
	}
}

// Renewals that reach the store only through reconciliation carry no
// subscription_expiration_date. Each must still extend the paid period by
// Telegram's 30 days, or 72 hours after the first period the store would
// call the subscription lapsed and refund every later renewal while
// Telegram keeps charging.
func TestRenewalsWithoutExpiryDateKeepTheTerm(t *testing.T) {
	h := newSubHarness(t)
	h.pay(time.Minute, "c1", true)
	// Two renewals: the run continues as new after chargesPerRun charges.
	for i, id := range []string{"c2", "c3"} {
		at := time.Duration(i+1) * month
		h.at(at, func() {
			p := subCharge(id, at, false)
			p.SubscriptionExpirationDate = 0 // as reconciliation recovers it
			h.env.SignalWorkflow(contract.SignalPayment, p)
		})
	}
	var during contract.SubscriptionView
	h.at(2*month+time.Hour, func() {
		val, err := h.env.QueryWorkflow(contract.QueryStatus)
		if err != nil {
			t.Error(err)
			return
		}
		if err := val.Get(&during); err != nil {
			t.Error(err)
		}
	})
	v, err := h.run()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.topups, []string{"c2", "c3"}) || len(h.refunds) != 0 {
		t.Fatalf("top-ups %v, refunds %v: every recovered renewal must be served", h.topups, h.refunds)
	}
	// The first charge's date is subStart+1m+30d; each renewal adds 30 days.
	wantEnd := subStart.Add(time.Minute + 3*month)
	if during.Status != contract.SubActive || !during.ExpiresAt.Equal(wantEnd) {
		t.Fatalf("after the second renewal: %s until %v, want active until %v", during.Status, during.ExpiresAt, wantEnd)
	}
	// With no further charge the store ends it after the grace, and stops it
	// at Telegram.
	if v.Status != contract.SubExpired || !slices.Equal(h.cancels, []string{"c1"}) {
		t.Fatalf("end: %s, cancels %v", v.Status, h.cancels)
	}
}

// A subscription's first period resumed after its run ended looks for an
// eSIM bought by that run from the first charge's time in the ledger.
func TestResumedFirstPeriodLooksFromTheFirstCharge(t *testing.T) {
	h := newSubHarness(t)
	h.in.Resume = true
	paidSince := subStart.Add(-time.Hour)
	h.env.OnActivity(a.LoadSubscription, mock.Anything, mock.Anything).Return(activities.LoadedSubscription{Exists: true,
		Sub: contract.SubscriptionInput{SubscriptionID: subID, UserID: buyer, ChatID: buyer, PlanID: "esim_1GB_7D_GB_V2"},
		State: contract.SubscriptionState{Status: contract.SubActive, Stars: stars, FirstChargeID: "c1",
			ExpiresAt: subStart.Add(month)},
		FirstPaidSince: paidSince}, nil)
	var since []time.Time
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlaceInput) (contract.ESIM, error) {
		since = append(since, in.Since)
		return contract.ESIM{Reference: "ref-1"}, nil
	})
	h.at(time.Hour, func() { h.env.CancelWorkflow() })
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	if len(since) != 1 || !since[0].Equal(paidSince) {
		t.Fatalf("first period looked from %v, want %v", since, paidSince)
	}
}
