package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/order"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// QuoteInput asks for the price of one order.
type QuoteInput struct {
	Order     order.Input
	ExpiresAt time.Time
}

// QuoteResult is the server's own price, fixed for the order's lifetime.
type QuoteResult struct {
	PlanName string
	PriceUSD string
	Stars    int64
}

// Quote prices the plan from the plan table and writes the order row. The
// row is inserted with ON CONFLICT DO NOTHING and the price re-read from it,
// so a retry after a crash returns the price that was first recorded.
func (a *Activities) Quote(ctx context.Context, in QuoteInput) (QuoteResult, error) {
	plan, err := a.Store.GetPlan(ctx, in.Order.PlanID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !plan.OnSale) {
		return QuoteResult{}, temporal.NewNonRetryableApplicationError("plan "+in.Order.PlanID+" is not on sale", ErrTypeUnknownPlan, err)
	}
	if err != nil {
		return QuoteResult{}, err
	}
	q, err := a.Pricing.Price(plan.WholesaleUSD)
	if err != nil {
		return QuoteResult{}, temporal.NewNonRetryableApplicationError("price plan "+plan.ID, ErrTypeUnpriceable, err)
	}
	err = a.Store.CreateOrder(ctx, store.Order{
		ID: in.Order.OrderID, UserID: in.Order.UserID, ChatID: in.Order.ChatID, PlanID: plan.ID, PlanName: plan.Name,
		Status: order.StatusAwaitingPayment, PriceUSD: q.PriceUSD, PriceStars: q.Stars, QuoteExpiresAt: in.ExpiresAt,
		LanguageCode: i18n.Lang(in.Order.LanguageCode), Source: in.Order.Source,
	})
	if err != nil {
		return QuoteResult{}, err
	}
	stored, err := a.Store.GetOrder(ctx, in.Order.OrderID)
	if err != nil {
		return QuoteResult{}, err
	}
	if err := a.Store.AddEvent(ctx, stored.ID, stored.ID+":created", "created", "buyer", map[string]any{
		"plan_id": plan.ID, "price_stars": stored.PriceStars, "price_usd": stored.PriceUSD.StringFixed(2),
		"user_id": stored.UserID, "source": stored.Source,
	}); err != nil {
		return QuoteResult{}, err
	}
	return QuoteResult{PlanName: stored.PlanName, PriceUSD: stored.PriceUSD.StringFixed(2), Stars: stored.PriceStars}, nil
}

// InvoiceInput describes the Stars invoice of one order.
type InvoiceInput struct {
	OrderID  string
	ChatID   int64
	Lang     string
	PlanName string
	Stars    int64
	InChat   bool // send the invoice as a chat message instead of returning a link
}

// CreateInvoice asks Telegram for the invoice. The payload is only the order
// id (money rule 5). Creating a second link for the same order is harmless:
// every link carries the same payload and price, and the workflow accepts
// one payment per order.
func (a *Activities) CreateInvoice(ctx context.Context, in InvoiceInput) (string, error) {
	inv := telegram.Invoice{
		Title:       truncate(i18n.T(in.Lang, i18n.InvoiceTitle, in.PlanName), 32),
		Description: truncate(i18n.T(in.Lang, i18n.InvoiceDescription, in.PlanName), 255),
		Payload:     in.OrderID,
		Stars:       in.Stars,
	}
	var link string
	var err error
	if in.InChat {
		err = a.Bot.SendInvoice(ctx, in.ChatID, inv)
	} else {
		link, err = a.Bot.CreateInvoiceLink(ctx, inv)
	}
	if errors.Is(err, telegram.ErrInvalidInvoice) {
		return "", temporal.NewNonRetryableApplicationError("create invoice: "+err.Error(), ErrTypePermanentTG, err)
	}
	if err != nil {
		return "", telegramError("create invoice", err)
	}
	if link != "" {
		if err := a.Store.SetInvoiceLink(ctx, in.OrderID, link); err != nil {
			return "", err
		}
	}
	if err := a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":invoiced", "invoiced", "system",
		map[string]any{"stars": in.Stars, "in_chat": in.InChat}); err != nil {
		return "", err
	}
	return link, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// StateInput records a state change and its timeline entry.
type StateInput struct {
	OrderID   string
	Status    order.Status // empty: timeline entry only
	EventKey  string       // unique per event, so a retry writes it once
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
	return a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":"+in.EventKey, in.Event, in.Actor, in.Detail)
}

// RecordPayment makes sure a charge is in the ledger. The webhook records
// it before signalling; reconciliation may not have, so the workflow
// records it again (a no-op when present).
func (a *Activities) RecordPayment(ctx context.Context, orderID string, p order.Payment) error {
	_, err := a.Store.RecordPayment(ctx, store.PaymentFromSignal(p, orderID))
	return err
}

// Loaded is an order as the ledger knows it, for a resumed workflow.
type Loaded struct {
	Exists       bool
	Order        order.Input
	Status       order.Status
	PlanName     string
	PriceUSD     string
	Stars        int64
	InvoiceLink  string
	QuoteExpires time.Time
	// Charges already accepted, already refunded, and the eSIM if bought.
	PaidCharge *order.Payment
	Refunded   []order.Refund
	ESIM       *order.ESIM
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
		Order: order.Input{OrderID: o.ID, UserID: o.UserID, ChatID: o.ChatID, LanguageCode: o.LanguageCode,
			PlanID: o.PlanID, Source: o.Source},
		Status: o.Status, PlanName: o.PlanName, PriceUSD: o.PriceUSD.StringFixed(2), Stars: o.PriceStars,
		InvoiceLink: o.InvoiceLink, QuoteExpires: o.QuoteExpiresAt,
	}
	refunds, err := a.Store.RefundsForOrder(ctx, orderID)
	if err != nil {
		return Loaded{}, err
	}
	for _, r := range refunds {
		if r.Status == "done" {
			l.Refunded = append(l.Refunded, order.Refund{ChargeID: r.ChargeID, Reason: r.Reason, By: r.RequestedBy,
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
		l.PaidCharge = &order.Payment{ChargeID: p.ChargeID, UserID: p.UserID, Currency: p.Currency,
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
			l.PaidCharge = &order.Payment{ChargeID: p.ChargeID, UserID: p.UserID, Currency: p.Currency,
				TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload}
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

func esimView(e store.ESIMOrder) *order.ESIM {
	return &order.ESIM{Reference: e.Reference, ICCID: e.ICCID, SMDPAddress: e.SMDPAddress, MatchingID: e.MatchingID,
		LPA: lpa(e.SMDPAddress, e.MatchingID)}
}
