package workflows

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/contract"
)

func TestCheckoutRefusal(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	open := sale{ID: "o-1", Buyer: 5_079_065_042, Stars: 137, QuoteExpires: now.Add(time.Minute),
		Ready: true, Exists: true, Awaiting: true}
	valid := contract.PreCheckout{QueryID: "q", UserID: 5_079_065_042, Currency: "XTR", TotalAmount: 137, Payload: "o-1"}
	tests := []struct {
		name string
		sale func(*sale)
		pc   func(*contract.PreCheckout)
		want contract.Refusal // "" approves
	}{
		{"approved", nil, nil, ""},
		{"not ready yet", func(s *sale) { s.Ready = false }, nil, contract.RefuseBusy},
		{"unknown sale", func(s *sale) { s.Exists = false }, nil, contract.RefuseBusy},
		{"tampered payload", nil, func(pc *contract.PreCheckout) { pc.Payload = "o-2" }, contract.RefuseUnknown},
		{"another buyer", nil, func(pc *contract.PreCheckout) { pc.UserID = 1 }, contract.RefuseNotOwner},
		{"already paid", func(s *sale) { s.Awaiting = false }, nil, contract.RefuseNotAwaiting},
		{"quote expired", func(s *sale) { s.QuoteExpires = now }, nil, contract.RefuseExpired},
		{"wrong currency", nil, func(pc *contract.PreCheckout) { pc.Currency = "USD" }, contract.RefuseWrongCurrency},
		{"wrong amount", nil, func(pc *contract.PreCheckout) { pc.TotalAmount = 136 }, contract.RefuseWrongAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, pc := open, valid
			if tt.sale != nil {
				tt.sale(&s)
			}
			if tt.pc != nil {
				tt.pc(&pc)
			}
			err := checkoutRefusal(now, s, pc)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != contract.ErrTypeCheckoutRefused || contract.Refusal(app.Message()) != tt.want {
				t.Fatalf("got %v, want refusal %q", err, tt.want)
			}
		})
	}
}

func TestPaymentRefusal(t *testing.T) {
	open := sale{ID: "o-1", Buyer: 5_079_065_042, Stars: 137, Ready: true, Exists: true, Awaiting: true}
	valid := contract.Payment{ChargeID: "c", UserID: 5_079_065_042, Currency: "XTR", TotalAmount: 137, InvoicePayload: "o-1"}
	tests := []struct {
		name        string
		sale        func(*sale)
		pay         func(*contract.Payment)
		alreadyPaid bool
		want        contract.RefundReason
	}{
		{"accepted", nil, nil, false, ""},
		{"unknown order", func(s *sale) { s.Exists = false }, nil, false, contract.RefundUnknownOrder},
		{"second payment", nil, nil, true, contract.RefundDuplicate},
		{"after expiry", func(s *sale) { s.Awaiting = false }, nil, false, contract.RefundLate},
		{"wrong amount", nil, func(p *contract.Payment) { p.TotalAmount = 1 }, false, contract.RefundWrongAmount},
		{"wrong currency", nil, func(p *contract.Payment) { p.Currency = "USD" }, false, contract.RefundWrongAmount},
		{"another payer", nil, func(p *contract.Payment) { p.UserID = 1 }, false, contract.RefundWrongAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := open, valid
			if tt.sale != nil {
				tt.sale(&s)
			}
			if tt.pay != nil {
				tt.pay(&p)
			}
			if got := paymentRefusal(s, tt.alreadyPaid, p); got != tt.want {
				t.Fatalf("paymentRefusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPaymentDeadline(t *testing.T) {
	quote := time.Date(2026, 12, 3, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		approved time.Time
		want     time.Time
	}{
		{"no approval", time.Time{}, quote},
		{"approved early: the grace ends before the quote", quote.Add(-2 * time.Hour), quote},
		{"approved late: the grace outlives the quote", quote.Add(-time.Minute), quote.Add(approvalGrace - time.Minute)},
	} {
		if got := paymentDeadline(quote, tc.approved); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
