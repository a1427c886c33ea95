// Package reconcile compares Telegram's Star ledger (getStarTransactions)
// with the store's payments and refunds, so a payment whose webhook never
// arrived still ends fulfilled or refunded (money rule 1: docs/architecture.md#rule-1-every-charge-ends-fulfilled-or-refunded), a refund made
// outside the store is recorded, and a charge left unresolved for too long
// raises an alert. It runs as a Temporal Schedule (RECONCILE_INTERVAL).
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/metrics"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// PageSize is getStarTransactions' maximum page.
const PageSize = 100

// DefaultUnresolvedAfter is how long a charge may stay neither fulfilled
// nor refunded before it is an alert. The fulfilment deadline (30 min by
// default) plus refund retries fit well inside it.
const DefaultUnresolvedAfter = time.Hour

// StarLedger is the part of the Bot API reconciliation reads.
type StarLedger interface {
	StarTransactions(ctx context.Context, offset, limit int) ([]telegram.StarTransaction, error)
}

// PaymentSink takes a payment the way the webhook hands it over:
// checkout.Service.Payment records it and signal-with-starts the order's
// workflow, which fulfils or refunds it.
type PaymentSink interface {
	Payment(ctx context.Context, p contract.Payment) error
}

// Activities holds reconciliation's dependencies; the worker registers it.
type Activities struct {
	Store   *store.Store
	Ledger  StarLedger
	Orders  PaymentSink
	BotID   int64
	Metrics *metrics.Metrics // nil counts nothing
	// Alerts posts new findings to the support chat; nil only logs.
	Alerts *alerts.Alerter
	Logger *slog.Logger
	// UnresolvedAfter: 0 means DefaultUnresolvedAfter.
	UnresolvedAfter time.Duration
	Now             func() time.Time
}

// Result summarises one run.
type Result struct {
	FromOffset        int64 `json:"from_offset"`
	ToOffset          int64 `json:"to_offset"`
	Scanned           int   `json:"scanned"`
	PaymentsRecovered int   `json:"payments_recovered"`
	RefundsRecorded   int   `json:"refunds_recorded"`
	Unresolved        int   `json:"unresolved"`
	NewAlerts         int   `json:"new_alerts"`
	Resolved          int64 `json:"resolved"`
}

// Source names the checkpoint: each bot has its own Star ledger.
func (a *Activities) source() string { return fmt.Sprintf("telegram_stars:%d", a.BotID) }

// ReconcileStars pages through the Star ledger from the checkpoint and
// compares every entry, then looks for charges left unresolved. Every step
// is idempotent (payments and refunds are keyed by charge id, findings by
// kind and charge), and the checkpoint moves only after a page is done, so
// a retry or an overlapping run repeats work but never skips or doubles it.
func (a *Activities) ReconcileStars(ctx context.Context) (Result, error) {
	var res Result
	off, err := a.Store.Checkpoint(ctx, a.source())
	if err != nil {
		return res, err
	}
	res.FromOffset = off
	for {
		page, err := a.Ledger.StarTransactions(ctx, int(off), PageSize)
		if err != nil {
			return res, fmt.Errorf("star transactions from %d: %w", off, err)
		}
		for _, tx := range page {
			if err := a.compare(ctx, tx, &res); err != nil {
				return res, err
			}
		}
		res.Scanned += len(page)
		off += int64(len(page))
		if err := a.Store.AdvanceCheckpoint(ctx, a.source(), off); err != nil {
			return res, err
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, off)
		}
		if len(page) < PageSize {
			break
		}
	}
	res.ToOffset = off
	if err := a.unresolved(ctx, &res); err != nil {
		return res, err
	}
	a.log().Info("reconciliation done", "from", res.FromOffset, "to", res.ToOffset,
		"payments_recovered", res.PaymentsRecovered, "refunds_recorded", res.RefundsRecorded,
		"unresolved", res.Unresolved, "resolved", res.Resolved)
	return res, nil
}

func (a *Activities) compare(ctx context.Context, tx telegram.StarTransaction, res *Result) error {
	switch {
	case tx.Source != nil && isInvoicePayment(tx.Source):
		return a.incoming(ctx, tx, res)
	case tx.Receiver != nil && isInvoicePayment(tx.Receiver):
		return a.refunded(ctx, tx, res)
	}
	return nil // withdrawals, ads, other bots' business: not ours to match
}

// isInvoicePayment: only user invoice payments are store charges.
func isInvoicePayment(p *telegram.TransactionPartner) bool {
	return p.Type == "user" && p.User != nil &&
		(p.TransactionType == "" || p.TransactionType == "invoice_payment")
}

// incoming recovers a payment Telegram took but the store never recorded
// (the webhook was down past Telegram's re-delivery, or the update was lost).
func (a *Activities) incoming(ctx context.Context, tx telegram.StarTransaction, res *Result) error {
	_, err := a.Store.GetPayment(ctx, tx.ID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	src := tx.Source
	p := contract.Payment{ChargeID: tx.ID, UserID: src.User.ID, Currency: telegram.CurrencyStars,
		TotalAmount: tx.Amount, InvoicePayload: src.InvoicePayload, IsRecurring: src.SubscriptionPeriod > 0}
	// The sink records it exactly as the webhook would (orders and
	// subscriptions alike); afterwards the row is marked with its true
	// source, so support can tell it came from reconciliation.
	if err := a.Orders.Payment(ctx, p); err != nil {
		return fmt.Errorf("hand over recovered payment %s: %w", tx.ID, err)
	}
	if err := a.Store.MarkPaymentReconciled(ctx, tx.ID); err != nil {
		return err
	}
	res.PaymentsRecovered++
	a.log().Warn("reconciliation recovered an unrecorded payment", "charge_id", tx.ID, "order_id", p.InvoicePayload,
		"stars", tx.Amount, "user_id", p.UserID)
	return a.found(ctx, store.Finding{Kind: store.FindingPaymentNotRecorded, ChargeID: tx.ID, OrderID: p.InvoicePayload,
		Stars: tx.Amount, Detail: detail(map[string]any{"date": tx.Date, "action": actionRecovered})}, true, actionRecovered)
}

// refunded records a refund Telegram made that the ledger does not show as
// done: one made outside the store, or one whose confirmation was lost.
func (a *Activities) refunded(ctx context.Context, tx telegram.StarTransaction, res *Result) error {
	done, err := a.Store.RefundDone(ctx, tx.ID)
	if err != nil || done {
		return err
	}
	p, err := a.Store.GetPayment(ctx, tx.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Cannot happen in chronological order (the payment came first and
		// was recovered above); kept open for a human if it ever does.
		return a.found(ctx, store.Finding{Kind: store.FindingRefundNotRecorded, ChargeID: tx.ID, Stars: tx.Amount,
			Detail: detail(map[string]any{"date": tx.Date, "action": actionUnknownRefund})}, false, actionUnknownRefund)
	}
	if err != nil {
		return err
	}
	if err := a.Store.RecordTelegramRefund(ctx, tx.ID); err != nil {
		return fmt.Errorf("record refund %s: %w", tx.ID, err)
	}
	res.RefundsRecorded++
	a.log().Warn("reconciliation recorded a refund", "charge_id", tx.ID, "order_id", p.OrderID, "stars", tx.Amount)
	return a.found(ctx, store.Finding{Kind: store.FindingRefundNotRecorded, ChargeID: tx.ID, OrderID: p.OrderID,
		Stars: tx.Amount, Detail: detail(map[string]any{"date": tx.Date, "action": actionRefundRecorded})}, true, actionRefundRecorded)
}

// unresolved alerts on charges neither fulfilled nor refunded for too long
// and hands each to the order workflow again: a running workflow ignores a
// charge it has seen, a closed one is resumed to settle it.
func (a *Activities) unresolved(ctx context.Context, res *Result) error {
	after := a.UnresolvedAfter
	if after <= 0 {
		after = DefaultUnresolvedAfter
	}
	list, err := a.Store.UnresolvedPayments(ctx, a.now().Add(-after), 500)
	if err != nil {
		return err
	}
	res.Unresolved = len(list)
	for _, p := range list {
		f := store.Finding{Kind: store.FindingPaymentUnresolved, ChargeID: p.ChargeID, OrderID: p.OrderID,
			Stars: p.TotalAmount, Detail: detail(map[string]any{"received_at": p.ReceivedAt, "source": p.Source})}
		isNew, err := a.Store.AddFinding(ctx, f, false)
		if err != nil {
			return err
		}
		if isNew {
			res.NewAlerts++
			a.count(f.Kind)
			a.log().Error("ALERT payment neither fulfilled nor refunded", "charge_id", p.ChargeID, "order_id", p.OrderID,
				"stars", p.TotalAmount, "received_at", p.ReceivedAt)
			a.Alerts.Raise(ctx, alerts.PaymentUnresolved(p.OrderID, p.ChargeID, p.TotalAmount, p.ReceivedAt))
		}
		err = a.Orders.Payment(ctx, contract.Payment{ChargeID: p.ChargeID, ProviderChargeID: p.ProviderChargeID,
			UserID: p.UserID, Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload,
			IsRecurring: p.IsRecurring, IsFirstRecurring: p.IsFirstRecurring})
		if err != nil {
			a.log().Error("re-signal unresolved payment", "charge_id", p.ChargeID, "err", err)
		}
	}
	n, err := a.Store.ResolveSettledFindings(ctx)
	res.Resolved = n
	return err
}

// What reconciliation did about a finding, as shown to operators.
const (
	actionRecovered      = "recorded and handed to the order workflow"
	actionUnknownRefund  = "none: the refunded payment is unknown"
	actionRefundRecorded = "recorded as refunded"
)

func (a *Activities) found(ctx context.Context, f store.Finding, resolved bool, action string) error {
	isNew, err := a.Store.AddFinding(ctx, f, resolved)
	if err == nil && isNew {
		a.count(f.Kind)
		a.Alerts.Raise(ctx, alerts.Reconciliation(f.Kind, f.OrderID, f.ChargeID, f.Stars, action))
	}
	return err
}

func (a *Activities) count(kind string) {
	if a.Metrics != nil {
		a.Metrics.ReconciliationFindings.WithLabelValues(kind).Inc()
	}
}

func detail(m map[string]any) json.RawMessage {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil // the callers' maps hold strings and numbers only
	}
	return raw
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
