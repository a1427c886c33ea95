package activities

import (
	"context"
	"errors"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/activity"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
)

// Alerts raised by activities (docs/operations.md §17). Workflows never
// raise alerts themselves: the activity that learns the fact does, so no
// workflow command changes. Raising never fails the activity.

// defaultRefundAlertAttempts is ALERT_REFUND_ATTEMPTS' default.
const defaultRefundAlertAttempts = 5

// alertRefunded tells the support chat about a refund Telegram confirmed
// that someone should hear of: one made because the eSIM could not be
// issued, and a support refund (under the staff member's confirm button
// when it was asked for in the chat).
func (a *Activities) alertRefunded(ctx context.Context, in RefundInput) {
	switch contract.RefundReason(in.ReasonCode) {
	case contract.RefundESIMFailed, contract.RefundTopUpFailed:
		a.Alerts.Raise(ctx, alerts.FulfilmentRefunded(in.OrderID, in.ChargeID, in.Stars, in.Reason))
	case contract.RefundSupport:
		var replyTo int64
		if a.Alerts != nil && a.Alerts.ChatID != 0 {
			r, err := a.Store.AcceptedSupportRefund(ctx, in.OrderID)
			if err == nil && r.ChatID == a.Alerts.ChatID {
				replyTo = r.MessageID
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				a.log().Warn("look up the staff refund request", "order_id", in.OrderID, "err", err)
			}
		}
		a.Alerts.Raise(ctx, alerts.SupportRefundDone(in.OrderID, in.ChargeID, in.Stars, in.By, replyTo))
	}
}

// alertRefundFailing raises the alert once a refund has failed
// ALERT_REFUND_ATTEMPTS times; it keeps retrying regardless.
func (a *Activities) alertRefundFailing(ctx context.Context, in RefundInput, err error) {
	if !activity.IsActivity(ctx) {
		return
	}
	limit := a.AlertRefundAttempts
	if limit <= 0 {
		limit = defaultRefundAlertAttempts
	}
	if n := activity.GetInfo(ctx).Attempt; int(n) >= limit {
		a.Alerts.Raise(ctx, alerts.RefundFailing(in.OrderID, in.ChargeID, in.Stars, n, err.Error()))
	}
}

// checkRunningBalance raises the low-balance alert from the balance eSIM Go
// reports after an order.
func (a *Activities) checkRunningBalance(ctx context.Context, orderID string, o esimgo.Order) {
	if o.RunningBalance.IsZero() {
		// Absent from the answer (or truly zero, which the next refused
		// order and the hourly check report).
		return
	}
	a.checkBalance(ctx, orderID, o.RunningBalance, o.Currency)
}

func (a *Activities) checkBalance(ctx context.Context, orderID string, balance decimal.Decimal, currency string) {
	if !a.BalanceLowUSD.IsPositive() || !balance.LessThan(a.BalanceLowUSD) {
		return
	}
	if currency == "" {
		currency = "USD"
	}
	a.Alerts.Raise(ctx, alerts.ESIMGoLow(orderID, balance.StringFixed(2), a.BalanceLowUSD.StringFixed(2), currency, a.now()))
}

// checkESIMGoBalance reads the eSIM Go balance and raises the low-balance
// alert below ESIMGO_BALANCE_LOW_USD. The catalogue sync calls it every
// PLAN_SYNC_INTERVAL; failing to read the balance is only logged.
func (a *Activities) checkESIMGoBalance(ctx context.Context) {
	if !a.BalanceLowUSD.IsPositive() || a.ESIM == nil {
		return
	}
	org, err := a.ESIM.Organisation(ctx)
	if err != nil {
		a.log().Warn("read the eSIM Go balance", "err", err)
		return
	}
	a.checkBalance(ctx, "", org.Balance, org.Currency)
}
