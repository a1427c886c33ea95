package activities

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
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

// TopUpInput adds one period's bundle to the subscription's eSIM.
type TopUpInput struct {
	SubscriptionID string
	ChargeID       string
	Bundle         string
	ESIM           contract.ESIM // the eSIM of the first period
	// Since is when the renewal was accepted; a top-up for it was placed after.
	Since time.Time
}

// TopUpESIM buys the plan's bundle onto the existing eSIM. It follows the
// same money rule 2 discipline (docs/architecture.md#rule-2-a-paid-order-never-causes-two-esim-go-orders) as PlaceESIMOrder (ledger first, look up
// before re-ordering after an unknown outcome), and it never lets eSIM Go
// hand out a new eSIM instead: compatibility is checked first and
// allowReassign is false, so an incompatible bundle fails the renewal (and
// the workflow refunds it) rather than silently delivering a different eSIM.
func (a *Activities) TopUpESIM(ctx context.Context, in TopUpInput) (contract.ESIM, error) {
	defer keepAlive(ctx)()
	if e, err := a.Store.ESIMOrderByCharge(ctx, in.ChargeID); err == nil {
		return a.toppedUp(in, e)
	} else if !errors.Is(err, store.ErrNotFound) {
		return contract.ESIM{}, err
	}
	if activity.GetInfo(ctx).Attempt > 1 {
		if e, ok, err := a.claimTopUp(ctx, in); err != nil || ok {
			return e, err
		}
	}
	ok, err := a.ESIM.Compatible(ctx, in.ESIM.ICCID, in.Bundle)
	if err != nil {
		return contract.ESIM{}, esimError("check top-up compatibility of "+in.SubscriptionID, err)
	}
	if !ok {
		return contract.ESIM{}, temporal.NewNonRetryableApplicationError("bundle "+in.Bundle+" is not compatible with eSIM "+in.ESIM.ICCID,
			contract.ErrTypeIncompatible, nil)
	}
	placed, err := a.ESIM.CreateOrder(ctx, esimgo.OrderRequest{
		Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Type: "bundle", Item: in.Bundle, Quantity: 1, ICCIDs: []string{in.ESIM.ICCID}}},
	})
	if esimgo.KindOf(err) == esimgo.KindOutcomeUnknown {
		a.log().Warn("top-up outcome unknown; looking it up", "subscription_id", in.SubscriptionID, "charge_id", in.ChargeID, "err", err)
		select {
		case <-ctx.Done():
			return contract.ESIM{}, ctx.Err()
		case <-time.After(a.OutcomeSettle):
		}
		if e, ok, cerr := a.claimTopUp(ctx, in); cerr != nil || ok {
			return e, cerr
		}
		return contract.ESIM{}, esimError("top up "+in.SubscriptionID, err)
	}
	if err != nil {
		if esimgo.KindOf(err) == esimgo.KindInsufficientBalance {
			a.Alerts.Raise(ctx, alerts.ESIMGoInsufficient(in.SubscriptionID, in.Bundle, a.now()))
		}
		return contract.ESIM{}, esimError("top up "+in.SubscriptionID, err)
	}
	a.checkRunningBalance(ctx, in.SubscriptionID, placed)
	return a.recordTopUp(ctx, in, placed, false)
}

// toppedUp turns the ledger row of a top-up into the activity's answer.
func (a *Activities) toppedUp(in TopUpInput, e store.ESIMOrder) (contract.ESIM, error) {
	if e.ICCID != in.ESIM.ICCID {
		a.log().Error("ALERT top-up landed on another eSIM", "subscription_id", in.SubscriptionID, "charge_id", in.ChargeID,
			"want_iccid", in.ESIM.ICCID, "got_iccid", e.ICCID, "esim_reference", e.Reference)
		return contract.ESIM{}, temporal.NewNonRetryableApplicationError("top-up "+e.Reference+" went to eSIM "+e.ICCID,
			contract.ErrTypeTopUpReassigned, nil)
	}
	out := in.ESIM
	out.Reference = e.Reference
	return out, nil
}

// lineICCID returns the eSIM the order's line for bundle went to.
func lineICCID(o esimgo.Order, bundle string) string {
	for _, l := range o.Items {
		if l.Item == bundle && len(l.ICCIDs) > 0 {
			return l.ICCIDs[0]
		}
	}
	return ""
}

// claimTopUp adopts a top-up of in.Bundle onto in.ESIM placed since the
// renewal that no charge owns yet.
func (a *Activities) claimTopUp(ctx context.Context, in TopUpInput) (contract.ESIM, bool, error) {
	candidates, err := a.ESIM.FindOrderSince(ctx, in.Since.Add(-lookupSkew), in.Bundle)
	if err != nil {
		return contract.ESIM{}, false, esimError("look up top-ups for "+in.SubscriptionID, err)
	}
	candidates = slices.DeleteFunc(candidates, func(o esimgo.Order) bool {
		return o.Reference == "" || lineICCID(o, in.Bundle) != in.ESIM.ICCID
	})
	refs := make([]string, 0, len(candidates))
	for _, c := range candidates {
		refs = append(refs, c.Reference)
	}
	known, err := a.Store.KnownESIMReferences(ctx, refs)
	if err != nil {
		return contract.ESIM{}, false, err
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].CreatedDate.Before(candidates[j].CreatedDate) })
	for _, c := range candidates {
		if known[c.Reference] {
			continue
		}
		e, err := a.recordTopUp(ctx, in, c, true)
		if errors.Is(err, store.ErrAlreadyClaimed) {
			continue
		}
		return e, err == nil, err
	}
	return contract.ESIM{}, false, nil
}

func (a *Activities) recordTopUp(ctx context.Context, in TopUpInput, o esimgo.Order, claimed bool) (contract.ESIM, error) {
	row := store.ESIMOrder{Reference: o.Reference, OrderID: in.SubscriptionID, ChargeID: in.ChargeID, Bundle: in.Bundle,
		ICCID: lineICCID(o, in.Bundle), SMDPAddress: in.ESIM.SMDPAddress, MatchingID: in.ESIM.MatchingID,
		TotalUSD: o.Total, Claimed: claimed}
	if row.ICCID == "" {
		row.ICCID = in.ESIM.ICCID // eSIM Go echoes the ICCIDs since v2.3; older answers lack them
	}
	if err := a.Store.RecordESIMOrder(ctx, row); err != nil {
		if errors.Is(err, store.ErrAlreadyClaimed) && !claimed {
			if e, lerr := a.Store.ESIMOrderByCharge(ctx, in.ChargeID); lerr == nil {
				return a.toppedUp(in, e)
			}
		}
		return contract.ESIM{}, err
	}
	if err := a.Store.AddEvent(ctx, in.SubscriptionID, in.SubscriptionID+":topped_up:"+in.ChargeID, "topped_up", "system",
		map[string]any{"reference": o.Reference, "bundle": in.Bundle, "iccid": row.ICCID, "charge_id": in.ChargeID,
			"claimed_after_unknown_outcome": claimed}); err != nil {
		return contract.ESIM{}, err
	}
	return a.toppedUp(in, row)
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
