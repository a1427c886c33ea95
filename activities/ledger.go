package activities

import (
	"context"
	"errors"
	"time"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
)

// StateInput records a state change and its timeline entry.
type StateInput struct {
	OrderID   string
	Status    contract.Status // empty: timeline entry only
	EventKey  string          // unique per event, so a retry writes it once
	Event     string
	Actor     string
	Detail    map[string]any
	LastError string
}

// RecordState mirrors the workflow's state into the read model.
func (a *Activities) RecordState(ctx context.Context, in StateInput) error {
	if in.Status != "" {
		if err := a.Store.SetOrderStatus(ctx, in.OrderID, in.Status, in.LastError); err != nil {
			return err
		}
		a.countStatus(in.Status)
	}
	if in.Event == "" {
		return nil
	}
	if in.Event == EventBundleRevokeFailed {
		a.countRevokeFailure() // a retried write may count twice; the timeline holds the truth
	}
	return a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":"+in.EventKey, in.Event, in.Actor, in.Detail)
}

// RecordPayment makes sure a charge is in the ledger. The webhook records
// it before signalling; reconciliation may not have, so the workflow
// records it again (a no-op when present).
func (a *Activities) RecordPayment(ctx context.Context, orderID string, p contract.Payment) error {
	_, err := a.Store.RecordPayment(ctx, store.PaymentFromSignal(p, orderID))
	return err
}

// Loaded is an order as the ledger knows it, for a resumed workflow.
type Loaded struct {
	Exists       bool
	Order        contract.Input
	Status       contract.Status
	PlanName     string
	PriceUSD     string
	Stars        int64
	InvoiceLink  string
	QuoteExpires time.Time
	// Charges already accepted, already refunded, and the eSIM if bought.
	PaidCharge *contract.Payment
	// PaidSince is the ledger's earliest record of PaidCharge (its payment
	// row or first purchase attempt): a resumed run looks for eSIM Go
	// orders from here, not from the moment it was resumed.
	PaidSince time.Time
	Refunded  []contract.Refund
	ESIM      *contract.ESIM
}

// LoadOrder reads an order back for a workflow that was started for a late
// payment or a support refund after the original run had closed.
func (a *Activities) LoadOrder(ctx context.Context, orderID string) (Loaded, error) {
	o, err := a.Store.GetOrder(ctx, orderID)
	if errors.Is(err, store.ErrNotFound) {
		return Loaded{}, nil
	}
	if err != nil {
		return Loaded{}, err
	}
	l := Loaded{
		Exists: true,
		Order: contract.Input{OrderID: o.ID, UserID: o.UserID, ChatID: o.ChatID, LanguageCode: o.LanguageCode,
			PlanID: o.PlanID, Source: o.Source, ICCID: o.TopUpICCID},
		Status: o.Status, PlanName: o.PlanName, PriceUSD: o.PriceUSD.StringFixed(2), Stars: o.PriceStars,
		InvoiceLink: o.InvoiceLink, QuoteExpires: o.QuoteExpiresAt,
	}
	refunds, err := a.Store.RefundsForOrder(ctx, orderID)
	if err != nil {
		return Loaded{}, err
	}
	for _, r := range refunds {
		if r.Status == "done" {
			l.Refunded = append(l.Refunded, contract.Refund{ChargeID: r.ChargeID, Reason: r.Reason, By: r.RequestedBy,
				At: derefTime(r.CompletedAt, r.RequestedAt)})
		}
	}
	esims, err := a.Store.ESIMOrdersForOrder(ctx, orderID)
	if err != nil {
		return Loaded{}, err
	}
	for _, e := range esims {
		p, err := a.Store.GetPayment(ctx, e.ChargeID)
		if err != nil {
			return Loaded{}, err
		}
		l.PaidCharge = &contract.Payment{ChargeID: p.ChargeID, UserID: p.UserID, Currency: p.Currency,
			TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload}
		if e.MatchingID != "" {
			l.ESIM = esimView(e)
		}
	}
	if l.PaidCharge == nil {
		// Accepted but no eSIM bought yet (or refunded before one was): the
		// workflow recorded the accepted charge with the "paid" event.
		charge, err := a.Store.AcceptedCharge(ctx, orderID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Loaded{}, err
		}
		if charge != "" {
			p, err := a.Store.GetPayment(ctx, charge)
			if err != nil {
				return Loaded{}, err
			}
			l.PaidCharge = &contract.Payment{ChargeID: p.ChargeID, UserID: p.UserID, Currency: p.Currency,
				TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload}
		}
	}
	if l.PaidCharge != nil {
		if l.PaidSince, err = a.Store.PaidSince(ctx, l.PaidCharge.ChargeID); err != nil {
			return Loaded{}, err
		}
	}
	return l, nil
}

func derefTime(t *time.Time, def time.Time) time.Time {
	if t != nil {
		return *t
	}
	return def
}

func esimView(e store.ESIMOrder) *contract.ESIM {
	return &contract.ESIM{Reference: e.Reference, ICCID: e.ICCID, SMDPAddress: e.SMDPAddress, MatchingID: e.MatchingID,
		LPA: lpa(e.SMDPAddress, e.MatchingID)}
}
