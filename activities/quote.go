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

// QuoteInput asks for the price of one order.
type QuoteInput struct {
	Order     contract.Input
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
		return QuoteResult{}, temporal.NewNonRetryableApplicationError("plan "+in.Order.PlanID+" is not on sale", contract.ErrTypeUnknownPlan, err)
	}
	if err != nil {
		return QuoteResult{}, err
	}
	q, err := a.Pricing.Price(plan.WholesaleUSD)
	if err != nil {
		return QuoteResult{}, temporal.NewNonRetryableApplicationError("price plan "+plan.ID, contract.ErrTypeUnpriceable, err)
	}
	err = a.Store.CreateOrder(ctx, store.Order{
		ID: in.Order.OrderID, UserID: in.Order.UserID, ChatID: in.Order.ChatID, PlanID: plan.ID, PlanName: plan.Name,
		Status: contract.StatusAwaitingPayment, PriceUSD: q.PriceUSD, PriceStars: q.Stars, QuoteExpiresAt: in.ExpiresAt,
		LanguageCode: i18n.Lang(in.Order.LanguageCode), Source: in.Order.Source, TopUpICCID: in.Order.ICCID,
	})
	if err != nil {
		return QuoteResult{}, err
	}
	stored, err := a.Store.GetOrder(ctx, in.Order.OrderID)
	if err != nil {
		return QuoteResult{}, err
	}
	detail := map[string]any{"plan_id": plan.ID, "price_stars": stored.PriceStars, "price_usd": stored.PriceUSD.StringFixed(2),
		"user_id": stored.UserID, "source": stored.Source}
	if stored.TopUpICCID != "" {
		detail["top_up_of"] = stored.TopUpICCID
	}
	if err := a.Store.AddEvent(ctx, stored.ID, stored.ID+":created", "created", "buyer", detail); err != nil {
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
// id (money rule 5: docs/architecture.md#rule-5-the-invoice-payload-is-only-the-order-id). Creating a second link for the same order is harmless:
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
		return "", temporal.NewNonRetryableApplicationError("create invoice: "+err.Error(), contract.ErrTypePermanentTG, err)
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
