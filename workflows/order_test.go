package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
)

const (
	orderID = "o-1"
	buyer   = int64(1001)
	stars   = int64(137)
)

type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	in  contract.Input

	placed, refunds, delivered, revoked atomic.Int32
}

func newHarness(t *testing.T) *harness {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(nopLogger{})
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(OrderWorkflow)
	env.RegisterActivity(&activities.Activities{})
	env.SetStartTime(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	return &harness{t: t, env: env, in: contract.Input{
		OrderID: orderID, UserID: buyer, ChatID: buyer, LanguageCode: "en", PlanID: "esim_1GB_7D_GB_V2",
		Source: contract.SourceMiniApp, InvoiceTTL: 30 * time.Minute, FulfilmentDeadline: 30 * time.Minute,
		SupportWindow: time.Hour,
	}}
}

// defaults mocks every activity with its happy behaviour; tests register
// their own expectations first, which testify matches before these.
func (h *harness) defaults() {
	e := h.env
	e.OnActivity(a.Quote, mock.Anything, mock.Anything).Return(activities.QuoteResult{PlanName: "UK 1 GB 7 days", PriceUSD: "1.77", Stars: stars}, nil).Maybe()
	e.OnActivity(a.CreateInvoice, mock.Anything, mock.Anything).Return("https://t.me/$inv", nil).Maybe()
	e.OnActivity(a.RecordState, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.RecordPayment, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.PlaceInput) (contract.ESIM, error) {
		h.placed.Add(1)
		return contract.ESIM{Reference: "ref-1"}, nil
	}).Maybe()
	e.OnActivity(a.FetchInstallDetails, mock.Anything, mock.Anything).Return(contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1", LPA: "LPA:1$rsp.example.com$M-1"}, nil).Maybe()
	e.OnActivity(a.DeliverESIM, mock.Anything, mock.Anything).Return(func(context.Context, activities.DeliverInput) (activities.DeliverResult, error) {
		h.delivered.Add(1)
		return activities.DeliverResult{Delivered: true}, nil
	}).Maybe()
	e.OnActivity(a.RefundPayment, mock.Anything, mock.Anything).Return(func(context.Context, activities.RefundInput) error {
		h.refunds.Add(1)
		return nil
	}).Maybe()
	e.OnActivity(a.NotifyBuyer, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnActivity(a.RevokeBundle, mock.Anything, mock.Anything).Return(func(context.Context, activities.RevokeInput) error {
		h.revoked.Add(1)
		return nil
	}).Maybe()
	e.OnActivity(a.LookupESIM, mock.Anything, mock.Anything).Return(nil, nil).Maybe()
}

func (h *harness) at(d time.Duration, f func()) { h.env.RegisterDelayedCallback(f, d) }

func payment(charge string) contract.Payment {
	return contract.Payment{ChargeID: charge, UserID: buyer, Currency: "XTR", TotalAmount: stars, InvoicePayload: orderID}
}

func (h *harness) pay(d time.Duration, p contract.Payment) {
	h.at(d, func() { h.env.SignalWorkflow(contract.SignalPayment, p) })
}

// checkout sends a preCheckout update; the result holds the refusal code,
// or "" once accepted.
func (h *harness) checkout(pc contract.PreCheckout) *string {
	refusal := new(string)
	*refusal = "pending"
	h.env.UpdateWorkflow(contract.UpdatePreCheckout, "pc-"+pc.QueryID, &testsuite.TestUpdateCallback{
		OnReject: func(err error) {
			var app *temporal.ApplicationError
			if errors.As(err, &app) {
				*refusal = app.Message()
			} else {
				*refusal = err.Error()
			}
		},
		OnAccept:   func() { *refusal = "" },
		OnComplete: func(any, error) {},
	}, pc)
	return refusal
}

func validCheckout() contract.PreCheckout {
	return contract.PreCheckout{QueryID: "q1", UserID: buyer, Currency: "XTR", TotalAmount: stars, Payload: orderID}
}

func (h *harness) run() contract.View {
	h.t.Helper()
	h.defaults()
	h.env.ExecuteWorkflow(OrderWorkflow, h.in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var v contract.View
	if err := h.env.GetWorkflowResult(&v); err != nil {
		h.t.Fatal(err)
	}
	return v
}

func TestPaidOrderIsFulfilledOnce(t *testing.T) {
	h := newHarness(t)
	var link string
	h.at(0, func() {
		h.env.UpdateWorkflow(contract.UpdateInvoice, "inv", &testsuite.TestUpdateCallback{
			OnComplete: func(r any, err error) {
				if err != nil {
					t.Errorf("invoice update: %v", err)
					return
				}
				link = r.(contract.Invoice).InvoiceLink
			},
		})
	})
	var refusal *string
	h.at(time.Second, func() { refusal = h.checkout(validCheckout()) })
	h.pay(2*time.Second, payment("ch-1"))
	h.pay(3*time.Second, payment("ch-1")) // Telegram re-delivery: same charge
	v := h.run()

	if link != "https://t.me/$inv" {
		t.Errorf("invoice link = %q", link)
	}
	if *refusal != "" {
		t.Errorf("valid pre-checkout refused: %q", *refusal)
	}
	if v.Status != contract.StatusFulfilled {
		t.Fatalf("status = %s, want fulfilled (last error %q)", v.Status, v.LastError)
	}
	if h.placed.Load() != 1 || h.delivered.Load() != 1 || h.refunds.Load() != 0 {
		t.Errorf("placed=%d delivered=%d refunds=%d, want 1/1/0", h.placed.Load(), h.delivered.Load(), h.refunds.Load())
	}
	if v.ESIM == nil || v.ESIM.LPA != "LPA:1$rsp.example.com$M-1" || v.ChargeID != "ch-1" {
		t.Errorf("view = %+v", v)
	}
}

func TestUnpaidOrderExpires(t *testing.T) {
	h := newHarness(t)
	v := h.run()
	if v.Status != contract.StatusExpired {
		t.Fatalf("status = %s, want expired", v.Status)
	}
	if h.placed.Load() != 0 || h.refunds.Load() != 0 {
		t.Error("an expired order bought or refunded something")
	}
}

func TestPreCheckoutRefusals(t *testing.T) {
	tests := []struct {
		name   string
		at     time.Duration
		mutate func(*contract.PreCheckout)
		paid   bool
		want   string
	}{
		{"other user", time.Second, func(pc *contract.PreCheckout) { pc.UserID = 999 }, false, string(contract.RefuseNotOwner)},
		{"wrong amount", time.Second, func(pc *contract.PreCheckout) { pc.TotalAmount = 1 }, false, string(contract.RefuseWrongAmount)},
		{"wrong currency", time.Second, func(pc *contract.PreCheckout) { pc.Currency = "USD" }, false, string(contract.RefuseWrongCurrency)},
		{"tampered payload", time.Second, func(pc *contract.PreCheckout) { pc.Payload = "o-2" }, false, string(contract.RefuseUnknown)},
		{"quote expired", 30*time.Minute + time.Second, func(*contract.PreCheckout) {}, false, string(contract.RefuseExpired)},
		{"already paid", 5 * time.Second, func(*contract.PreCheckout) {}, true, string(contract.RefuseNotAwaiting)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.paid {
				h.pay(time.Second, payment("ch-1"))
			}
			// Expiry fires at 30m; probe just before the deadline timer for the expired case.
			h.in.InvoiceTTL = 30 * time.Minute
			got := new(string)
			when := tt.at
			if tt.want == string(contract.RefuseExpired) {
				// Approvals extend the order; keep it alive by an approval, then probe after the quote expired.
				h.at(time.Second, func() { h.checkout(validCheckout()) })
			}
			h.at(when, func() {
				pc := validCheckout()
				pc.QueryID = "q2"
				tt.mutate(&pc)
				got = h.checkout(pc)
			})
			h.run()
			if *got != tt.want {
				t.Errorf("refusal = %q, want %q", *got, tt.want)
			}
		})
	}
}

func TestApprovedCheckoutOutlivesQuote(t *testing.T) {
	h := newHarness(t)
	h.at(29*time.Minute, func() { h.checkout(validCheckout()) })
	h.pay(45*time.Minute, payment("ch-late")) // after the quote, inside the approval grace
	v := h.run()
	if v.Status != contract.StatusFulfilled || h.refunds.Load() != 0 {
		t.Fatalf("status = %s refunds = %d: an approved payment was not honoured", v.Status, h.refunds.Load())
	}
}

func TestPermanentESIMErrorRefundsAtOnce(t *testing.T) {
	h := newHarness(t)
	var attempts atomic.Int32
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.PlaceInput) (contract.ESIM, error) {
		attempts.Add(1)
		return contract.ESIM{}, temporal.NewNonRetryableApplicationError("bundle invalid", contract.ErrTypePermanentESIM, nil)
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || attempts.Load() != 1 {
		t.Fatalf("status=%s refunds=%d attempts=%d, want refunded/1/1", v.Status, h.refunds.Load(), attempts.Load())
	}
	if len(v.Refunds) != 1 || v.Refunds[0].ChargeID != "ch-1" {
		t.Errorf("refunds = %+v", v.Refunds)
	}
}

func TestTransientESIMErrorsRetryToFulfilment(t *testing.T) {
	h := newHarness(t)
	var attempts atomic.Int32
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.PlaceInput) (contract.ESIM, error) {
		if attempts.Add(1) < 3 {
			return contract.ESIM{}, temporal.NewApplicationError("503", "ESIMserver")
		}
		return contract.ESIM{Reference: "ref-1"}, nil
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || attempts.Load() != 3 || h.refunds.Load() != 0 {
		t.Fatalf("status=%s attempts=%d refunds=%d", v.Status, attempts.Load(), h.refunds.Load())
	}
}

func TestFulfilmentDeadlineRefunds(t *testing.T) {
	h := newHarness(t)
	h.in.FulfilmentDeadline = 5 * time.Minute
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{}, temporal.NewApplicationError("balance", "ESIMInsufficientBalance"))
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 {
		t.Fatalf("status=%s refunds=%d, want refunded after the deadline", v.Status, h.refunds.Load())
	}
}

func TestSecondPaymentIsRefunded(t *testing.T) {
	h := newHarness(t)
	var refunded []string
	h.env.OnActivity(a.RefundPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RefundInput) error {
		refunded = append(refunded, in.ChargeID)
		return nil
	})
	h.pay(time.Second, payment("ch-1"))
	h.pay(2*time.Second, payment("ch-2"))
	wrong := payment("ch-3")
	wrong.TotalAmount = 1
	h.pay(3*time.Second, wrong)
	v := h.run()
	if v.Status != contract.StatusFulfilled || h.placed.Load() != 1 {
		t.Fatalf("status=%s placed=%d", v.Status, h.placed.Load())
	}
	if len(refunded) != 2 || refunded[0] != "ch-2" || refunded[1] != "ch-3" {
		t.Fatalf("refunded %v, want [ch-2 ch-3]", refunded)
	}
}

func TestWrongAmountPaymentIsRefundedAndOrderStaysOpen(t *testing.T) {
	h := newHarness(t)
	wrong := payment("ch-bad")
	wrong.TotalAmount = stars - 1
	h.pay(time.Second, wrong)
	h.pay(2*time.Second, payment("ch-good"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || v.ChargeID != "ch-good" || h.refunds.Load() != 1 {
		t.Fatalf("status=%s charge=%s refunds=%d", v.Status, v.ChargeID, h.refunds.Load())
	}
}

func refundUpdate(h *harness, reason string) *string {
	result := new(string)
	*result = "not called"
	h.env.UpdateWorkflow(contract.UpdateRefund, "r-"+reason, &testsuite.TestUpdateCallback{
		OnReject: func(err error) { *result = "rejected: " + err.Error() },
		OnAccept: func() {},
		OnComplete: func(_ any, err error) {
			if err != nil {
				*result = "failed: " + err.Error()
			} else {
				*result = "ok"
			}
		},
	}, contract.RefundRequest{Reason: reason, By: "alice"})
	return result
}

func TestSupportRefundBeforeFulfilment(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{}, temporal.NewApplicationError("down", "ESIMserver"))
	h.pay(time.Second, payment("ch-1"))
	var res *string
	h.at(time.Minute, func() { res = refundUpdate(h, "buyer changed plans") })
	v := h.run()
	if *res != "ok" {
		t.Fatalf("refund update: %s", *res)
	}
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.revoked.Load() != 0 {
		t.Fatalf("status=%s refunds=%d revoked=%d", v.Status, h.refunds.Load(), h.revoked.Load())
	}
	if v.Refunds[0].By != "alice" {
		t.Errorf("refund by %q", v.Refunds[0].By)
	}
}

func TestSupportRefundAfterFulfilmentRevokesAndRefusesTwice(t *testing.T) {
	h := newHarness(t)
	h.pay(time.Second, payment("ch-1"))
	var first, second *string
	h.at(10*time.Minute, func() {
		first = refundUpdate(h, "not used")
		second = refundUpdate(h, "again")
	})
	v := h.run()
	if *first != "ok" {
		t.Fatalf("first refund: %s", *first)
	}
	if *second == "ok" || *second == "not called" {
		t.Fatalf("second refund: %s, want already refunded", *second)
	}
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.revoked.Load() != 1 {
		t.Fatalf("status=%s refunds=%d revoked=%d", v.Status, h.refunds.Load(), h.revoked.Load())
	}
}

func TestSupportRefundOfUnpaidOrderIsRejected(t *testing.T) {
	h := newHarness(t)
	var res *string
	h.at(time.Minute, func() { res = refundUpdate(h, "why") })
	h.run()
	if *res == "ok" || *res == "not called" {
		t.Fatalf("refund of an unpaid order: %s", *res)
	}
}

func TestRefundRetriesUntilTelegramConfirms(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int32
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{}, temporal.NewNonRetryableApplicationError("x", contract.ErrTypePermanentESIM, nil))
	h.env.OnActivity(a.RefundPayment, mock.Anything, mock.Anything).Return(func(context.Context, activities.RefundInput) error {
		if calls.Add(1) < 4 {
			return temporal.NewApplicationError("telegram 502", "TelegramUnavailable")
		}
		return nil
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusRefunded || calls.Load() != 4 {
		t.Fatalf("status=%s refund calls=%d, want refunded after 4", v.Status, calls.Load())
	}
}

func TestBlockedBotStillFulfilled(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.DeliverESIM, mock.Anything, mock.Anything).Return(activities.DeliverResult{Blocked: true}, nil)
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || h.refunds.Load() != 0 {
		t.Fatalf("status=%s refunds=%d", v.Status, h.refunds.Load())
	}
}

func TestRetryDeliverySignalResendsQR(t *testing.T) {
	h := newHarness(t)
	h.pay(time.Second, payment("ch-1"))
	h.at(10*time.Minute, func() { h.env.SignalWorkflow(contract.SignalRetry, nil) })
	h.run()
	if h.delivered.Load() != 2 {
		t.Fatalf("delivered %d times, want 2", h.delivered.Load())
	}
}

func TestLatePaymentForUnknownOrderIsRefunded(t *testing.T) {
	h := newHarness(t)
	h.in = contract.Input{OrderID: "nope", Resume: true, Source: contract.SourcePayment}
	h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: false}, nil)
	p := payment("ch-x")
	p.InvoicePayload = "nope"
	h.at(0, func() { h.env.SignalWorkflow(contract.SignalPayment, p) })
	v := h.run()
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.placed.Load() != 0 {
		t.Fatalf("status=%s refunds=%d placed=%d", v.Status, h.refunds.Load(), h.placed.Load())
	}
}

func TestLatePaymentForExpiredOrderIsRefunded(t *testing.T) {
	h := newHarness(t)
	h.in = contract.Input{OrderID: orderID, Resume: true, Source: contract.SourcePayment}
	h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: true,
		Order:  contract.Input{OrderID: orderID, UserID: buyer, ChatID: buyer, PlanID: "p", LanguageCode: "ru"},
		Status: contract.StatusExpired, Stars: stars}, nil)
	var notice string
	h.env.OnActivity(a.NotifyBuyer, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.NotifyInput) error {
		notice = in.Text
		return nil
	})
	h.at(0, func() { h.env.SignalWorkflow(contract.SignalPayment, payment("ch-late")) })
	v := h.run()
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.placed.Load() != 0 {
		t.Fatalf("status=%s refunds=%d placed=%d", v.Status, h.refunds.Load(), h.placed.Load())
	}
	if !strings.HasPrefix(notice, "Мы вернули") {
		t.Errorf("buyer notice %q is not in the buyer's language", notice)
	}
}

func TestResumedSupportRefundAfterWindow(t *testing.T) {
	h := newHarness(t)
	h.in = contract.Input{OrderID: orderID, Resume: true}
	esim := &contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp", MatchingID: "M"}
	h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: true,
		Order:  contract.Input{OrderID: orderID, UserID: buyer, ChatID: buyer, PlanID: "p"},
		Status: contract.StatusFulfilled, Stars: stars, PaidCharge: &contract.Payment{ChargeID: "ch-1", UserID: buyer, TotalAmount: stars},
		ESIM: esim}, nil)
	var res *string
	h.at(0, func() { res = refundUpdate(h, "unused") })
	v := h.run()
	if *res != "ok" || v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.revoked.Load() != 1 {
		t.Fatalf("update=%s status=%s refunds=%d revoked=%d", *res, v.Status, h.refunds.Load(), h.revoked.Load())
	}
}

func TestResumedRefundOfRefundedOrderIsRejected(t *testing.T) {
	h := newHarness(t)
	h.in = contract.Input{OrderID: orderID, Resume: true}
	h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: true,
		Order:  contract.Input{OrderID: orderID, UserID: buyer, ChatID: buyer, PlanID: "p"},
		Status: contract.StatusRefunded, Stars: stars, PaidCharge: &contract.Payment{ChargeID: "ch-1", UserID: buyer, TotalAmount: stars},
		Refunded: []contract.Refund{{ChargeID: "ch-1", Reason: "x"}}}, nil)
	var res *string
	h.at(0, func() { res = refundUpdate(h, "again") })
	h.run()
	if !strings.Contains(*res, "already refunded") {
		t.Fatalf("refund of refunded order: %s", *res)
	}
	if h.refunds.Load() != 0 {
		t.Fatal("refunded twice")
	}
}

type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}

func TestCancelledWhileAwaitingPaymentExpires(t *testing.T) {
	h := newHarness(t)
	h.at(time.Minute, func() { h.env.CancelWorkflow() })
	v := h.run()
	if v.Status != contract.StatusExpired {
		t.Fatalf("status = %s", v.Status)
	}
}

func TestCancelledDuringFulfilmentStillRefunds(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{}, temporal.NewApplicationError("down", "ESIMserver"))
	h.pay(time.Second, payment("ch-1"))
	h.at(2*time.Minute, func() { h.env.CancelWorkflow() })
	v := h.run()
	if v.Status != contract.StatusRefunded || h.refunds.Load() != 1 {
		t.Fatalf("status=%s refunds=%d: a cancelled workflow left a charge unresolved", v.Status, h.refunds.Load())
	}
}

func TestCancelledAfterPurchaseKeepsTheESIM(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.FetchInstallDetails, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.FetchInput) (contract.ESIM, error) {
		return contract.ESIM{}, temporal.NewApplicationError("assigning", "ESIMserver")
	}).Times(3)
	h.env.OnActivity(a.LookupESIM, mock.Anything, mock.Anything).Return(&contract.ESIM{Reference: "ref-1"}, nil)
	h.pay(time.Second, payment("ch-1"))
	h.at(5*time.Second, func() { h.env.CancelWorkflow() })
	v := h.run()
	if v.Status != contract.StatusFulfilled || h.refunds.Load() != 0 || h.placed.Load() != 1 {
		t.Fatalf("status=%s refunds=%d placed=%d", v.Status, h.refunds.Load(), h.placed.Load())
	}
}

func TestCancelledDuringSupportWindowCompletes(t *testing.T) {
	h := newHarness(t)
	h.in.SupportWindow = 72 * time.Hour
	h.pay(time.Second, payment("ch-1"))
	h.at(time.Hour, func() { h.env.CancelWorkflow() })
	v := h.run()
	if v.Status != contract.StatusFulfilled {
		t.Fatalf("status = %s", v.Status)
	}
}

func TestInstallDetailsFromTheOrderAnswerSkipTheLookup(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(
		contract.ESIM{Reference: "ref-9", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-9", LPA: "LPA:1$rsp.example.com$M-9"}, nil)
	var fetched atomic.Int32
	h.env.OnActivity(a.FetchInstallDetails, mock.Anything, mock.Anything).Return(func(context.Context, activities.FetchInput) (contract.ESIM, error) {
		fetched.Add(1)
		return contract.ESIM{}, nil
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || v.ESIM.MatchingID != "M-9" || fetched.Load() != 0 {
		t.Fatalf("status=%s esim=%+v fetched=%d", v.Status, v.ESIM, fetched.Load())
	}
}

// A run resumed long after the payment (a re-delivered payment, or
// reconciliation an hour later) must look for what an earlier run bought
// from the payment's time in the ledger, not from its own start.
func TestResumedRunLooksForPurchasesFromThePayment(t *testing.T) {
	h := newHarness(t)
	h.in = contract.Input{OrderID: orderID, Resume: true, FulfilmentDeadline: 30 * time.Minute}
	paidSince := time.Date(2026, 11, 23, 10, 55, 0, 0, time.UTC) // an hour before the run
	h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: true,
		Order:  contract.Input{OrderID: orderID, UserID: buyer, ChatID: buyer, PlanID: "p"},
		Status: contract.StatusFulfilling, Stars: stars, PaidCharge: &contract.Payment{ChargeID: "ch-1", UserID: buyer, TotalAmount: stars},
		PaidSince: paidSince}, nil)
	var since []time.Time
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlaceInput) (contract.ESIM, error) {
		since = append(since, in.Since)
		return contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1"}, nil
	})
	v := h.run()
	if v.Status != contract.StatusFulfilled || len(since) != 1 || !since[0].Equal(paidSince) {
		t.Fatalf("status %s, purchase looked from %v, want %v", v.Status, since, paidSince)
	}
}

// A support refund of a bought eSIM revokes its bundle, or puts on the
// timeline why it could not, with eSIM Go's answer.
func TestSupportRefundRecordsTheRevokeOutcome(t *testing.T) {
	for _, tc := range []struct {
		name       string
		esim       *contract.ESIM // what the resumed run loads
		ledger     *contract.ESIM // what LookupESIM finds
		revokeErr  error
		wantRevoke string // the ICCID revoked, "" for none
		wantFailed string // part of the bundle_revoke_failed error, "" for no such event
	}{
		{"revoked", &contract.ESIM{Reference: "ref-1", ICCID: "8944", MatchingID: "M"}, nil, nil, "8944", ""},
		{"eSIM Go refuses: the bundle has started", &contract.ESIM{Reference: "ref-1", ICCID: "8944", MatchingID: "M"}, nil,
			temporal.NewNonRetryableApplicationError("bundle in use", contract.ErrTypePermanentESIM, nil), "8944", "bundle in use"},
		{"the ICCID is fetched first when the ledger lacks it", nil, &contract.ESIM{Reference: "ref-1"}, nil, "8944", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.in = contract.Input{OrderID: orderID, Resume: true}
			h.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(activities.Loaded{Exists: true,
				Order:  contract.Input{OrderID: orderID, UserID: buyer, ChatID: buyer, PlanID: "p"},
				Status: contract.StatusFulfilled, Stars: stars, PaidCharge: &contract.Payment{ChargeID: "ch-1", UserID: buyer, TotalAmount: stars},
				ESIM: tc.esim}, nil)
			h.env.OnActivity(a.LookupESIM, mock.Anything, mock.Anything).Return(tc.ledger, nil)
			var revoked []string
			h.env.OnActivity(a.RevokeBundle, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RevokeInput) error {
				revoked = append(revoked, in.ICCID)
				return tc.revokeErr
			})
			var failed []string
			h.env.OnActivity(a.RecordState, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StateInput) error {
				if in.Event == activities.EventBundleRevokeFailed {
					failed = append(failed, fmt.Sprint(in.Detail["error"]))
				}
				return nil
			})
			var res *string
			h.at(0, func() { res = refundUpdate(h, "unused") })
			v := h.run()
			if *res != "ok" || v.Status != contract.StatusRefunded || h.refunds.Load() != 1 {
				t.Fatalf("update=%s status=%s refunds=%d", *res, v.Status, h.refunds.Load())
			}
			if tc.wantRevoke != "" && (len(revoked) != 1 || revoked[0] != tc.wantRevoke) {
				t.Errorf("revoked %v, want %s", revoked, tc.wantRevoke)
			}
			switch {
			case tc.wantFailed == "" && len(failed) != 0:
				t.Errorf("bundle_revoke_failed recorded: %v", failed)
			case tc.wantFailed != "" && (len(failed) != 1 || !strings.Contains(failed[0], tc.wantFailed)):
				t.Errorf("bundle_revoke_failed = %v, want one with %q", failed, tc.wantFailed)
			}
		})
	}
}
