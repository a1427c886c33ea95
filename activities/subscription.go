package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// OpenSubscriptionInput prices a subscription and writes its rows.
type OpenSubscriptionInput struct {
	Sub       contract.SubscriptionInput
	ExpiresAt time.Time
}

// OpenSubscription quotes the plan (the same Quote that orders use, so the
// subscription has an orders row whose price is fixed at the first write)
// and records the subscription. Both inserts are no-ops on retry.
func (a *Activities) OpenSubscription(ctx context.Context, in OpenSubscriptionInput) (QuoteResult, error) {
	q, err := a.Quote(ctx, QuoteInput{ExpiresAt: in.ExpiresAt, Order: contract.Input{
		OrderID: in.Sub.SubscriptionID, UserID: in.Sub.UserID, ChatID: in.Sub.ChatID, LanguageCode: in.Sub.LanguageCode,
		PlanID: in.Sub.PlanID, Source: contract.SourceSubscription,
	}})
	if err != nil {
		return QuoteResult{}, err
	}
	if q.Stars > telegram.MaxSubscriptionStars {
		return QuoteResult{}, temporal.NewNonRetryableApplicationError("plan "+in.Sub.PlanID+" costs more than a subscription may",
			contract.ErrTypeNotSubscribable, nil)
	}
	err = a.Store.CreateSubscription(ctx, store.Subscription{ID: in.Sub.SubscriptionID, UserID: in.Sub.UserID,
		ChatID: in.Sub.ChatID, PlanID: in.Sub.PlanID, Status: contract.SubAwaitingPayment})
	return q, err
}

// CreateSubscriptionInvoice asks Telegram for a 30-day subscription link.
// Subscriptions can only be sold through links (never sendInvoice), and a
// second link for the same subscription is harmless: the workflow accepts
// one first payment and refunds (and cancels) any other.
func (a *Activities) CreateSubscriptionInvoice(ctx context.Context, in InvoiceInput) (string, error) {
	inv := telegram.Invoice{
		Title:              truncate(i18n.T(in.Lang, i18n.SubscriptionInvoiceTitle, in.PlanName), 32),
		Description:        truncate(i18n.T(in.Lang, i18n.SubscriptionInvoiceDescription, in.PlanName), 255),
		Payload:            in.OrderID,
		Stars:              in.Stars,
		SubscriptionPeriod: telegram.SubscriptionPeriod30d,
	}
	link, err := a.Bot.CreateInvoiceLink(ctx, inv)
	if errors.Is(err, telegram.ErrInvalidInvoice) {
		return "", temporal.NewNonRetryableApplicationError("create subscription invoice: "+err.Error(), contract.ErrTypePermanentTG, err)
	}
	if err != nil {
		return "", telegramError("create subscription invoice", err)
	}
	if err := a.Store.SetInvoiceLink(ctx, in.OrderID, link); err != nil {
		return "", err
	}
	if err := a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":invoiced", "invoiced", "system",
		map[string]any{"stars": in.Stars, "subscription_period": telegram.SubscriptionPeriod30d}); err != nil {
		return "", err
	}
	return link, nil
}

// RecordSubscription mirrors the workflow's subscription state into the
// read model (an idempotent UPDATE).
func (a *Activities) RecordSubscription(ctx context.Context, u store.SubscriptionUpdate) error {
	return a.Store.UpdateSubscription(ctx, u)
}

// LoadedSubscription is a subscription as the ledger knows it.
type LoadedSubscription struct {
	Exists bool
	Sub    contract.SubscriptionInput
	State  contract.SubscriptionState
	// FirstPaidSince is the ledger's earliest record of the first charge:
	// a resumed first period looks for eSIM Go orders from here.
	FirstPaidSince time.Time
}

// LoadSubscription reads a subscription back for a run started after the
// previous one closed (a late payment, a cancellation, a state update).
func (a *Activities) LoadSubscription(ctx context.Context, id string) (LoadedSubscription, error) {
	sub, err := a.Store.GetSubscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return LoadedSubscription{}, nil
	}
	if err != nil {
		return LoadedSubscription{}, err
	}
	o, err := a.Store.GetOrder(ctx, id)
	if err != nil {
		return LoadedSubscription{}, err
	}
	l := LoadedSubscription{
		Exists: true,
		Sub: contract.SubscriptionInput{SubscriptionID: id, UserID: sub.UserID, ChatID: sub.ChatID,
			LanguageCode: o.LanguageCode, PlanID: sub.PlanID},
		State: contract.SubscriptionState{Status: sub.Status, PlanName: o.PlanName, Stars: o.PriceStars,
			PriceUSD: o.PriceUSD.StringFixed(2), InvoiceLink: o.InvoiceLink, QuoteExpires: o.QuoteExpiresAt,
			FirstChargeID: sub.FirstChargeID, Periods: sub.Periods},
	}
	if sub.ExpiresAt != nil {
		l.State.ExpiresAt = *sub.ExpiresAt
	}
	if sub.FirstChargeID != "" {
		if l.FirstPaidSince, err = a.Store.PaidSince(ctx, sub.FirstChargeID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return LoadedSubscription{}, err
		}
		e, err := a.Store.ESIMOrderByCharge(ctx, sub.FirstChargeID)
		switch {
		case err == nil && e.MatchingID != "":
			l.State.ESIM = esimView(e)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return LoadedSubscription{}, err
		}
	}
	// Charges with an outcome (an eSIM, a top-up, a refund) must not be
	// served again when a re-sent signal repeats them. Charges without one
	// are left out on purpose: the payment that started this run is
	// already in the ledger and must still be decided.
	esims, err := a.Store.ESIMOrdersForOrder(ctx, id)
	if err != nil {
		return LoadedSubscription{}, err
	}
	for _, e := range esims {
		l.State.Seen = append(l.State.Seen, e.ChargeID)
	}
	refunds, err := a.Store.RefundsForOrder(ctx, id)
	if err != nil {
		return LoadedSubscription{}, err
	}
	for _, r := range refunds {
		if r.Status == "done" {
			l.State.Seen = append(l.State.Seen, r.ChargeID)
		}
	}
	return l, nil
}

// CancelInput stops the renewals of one Telegram subscription.
type CancelInput struct {
	SubscriptionID string
	UserID         int64
	ChargeID       string // the subscription's first charge
	By             string
}

// CancelSubscription calls editUserStarSubscription(is_canceled=true).
// Cancelling an already cancelled subscription is accepted by Telegram, so
// a retry is harmless.
func (a *Activities) CancelSubscription(ctx context.Context, in CancelInput) error {
	if err := a.Bot.EditUserStarSubscription(ctx, in.UserID, in.ChargeID, true); err != nil {
		return telegramError("cancel subscription "+in.SubscriptionID, err)
	}
	return a.Store.AddEvent(ctx, in.SubscriptionID, in.SubscriptionID+":renewal_canceled:"+in.ChargeID, "renewal_canceled",
		in.By, map[string]any{"charge_id": in.ChargeID})
}
