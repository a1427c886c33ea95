// Package activities holds every side effect of an order: PostgreSQL writes,
// eSIM Go purchases and Telegram calls. Each activity is safe to run twice;
// the comments on each say how.
package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/metrics"
	"github.com/starsesim/esimstore/pricing"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/usage"
)

// Activities holds the dependencies; the worker registers one value of it.
type Activities struct {
	Store   *store.Store
	ESIM    *esimgo.Client
	Bot     *telegram.Bot
	Pricing pricing.Rules
	Logger  *slog.Logger
	// OutcomeSettle is how long to wait after an eSIM Go order whose outcome
	// is unknown before looking it up, so a slow commit has landed.
	OutcomeSettle time.Duration
	// CommitGrace is how long after an order request ended (answered, timed
	// out or dropped) its order may still appear in eSIM Go's listings. A
	// retried purchase waits out an earlier attempt's request plus this
	// before it looks, or the lookup could miss a late commit and buy twice.
	CommitGrace time.Duration
	// FirstTryWait is the longest a local first try (the purchase and the
	// QR inside the payment's workflow task) waits for its slot in a
	// provider's budget; a longer queue goes to the regular activity, so
	// workflow tasks (and the pre-checkout answers they carry) are never
	// held behind a burst. Default 1 s.
	FirstTryWait time.Duration
	// Metrics counts business events; nil counts nothing.
	Metrics *metrics.Metrics

	// After the sale (aftersale.go). Usage reads install states and
	// compatibility through the cache; nil skips those checks.
	Usage *usage.Service
	// InstallReminderAfter is how long after its QR went out an eSIM still
	// not installed gets its one reminder (INSTALL_REMINDER_AFTER; 0 means
	// DefaultInstallReminder). The sweep (RemindDueInstalls) finds them.
	InstallReminderAfter time.Duration
	// MiniAppURL opens the Mini App from a Top up button; "" sends alerts
	// without one.
	MiniAppURL string
	// Alerts tells the support chat what operators must hear about
	// (activities/alerts.go); nil only logs.
	Alerts *alerts.Alerter
	// AlertRefundAttempts: a refund that has failed this often is an alert
	// (ALERT_REFUND_ATTEMPTS; 0 means 5).
	AlertRefundAttempts int
	// BalanceLowUSD: an eSIM Go balance below it is an alert
	// (ESIMGO_BALANCE_LOW_USD; zero means none).
	BalanceLowUSD decimal.Decimal
	// HelpLink is the link that opens the bot chat to ask support about an
	// order; the delivered QR gets a "Help with this order" button with it.
	// nil, or "", means no button.
	HelpLink func(ctx context.Context, orderID string) string
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// DefaultFirstTryWait is FirstTryWait's default.
const DefaultFirstTryWait = time.Second

// queueBound bounds a local first try's wait for a provider slot. A
// regular activity waits as long as its timeout leaves room for the call.
func (a *Activities) queueBound(ctx context.Context) context.Context {
	if !activity.IsActivity(ctx) || !activity.GetInfo(ctx).IsLocalActivity {
		return ctx
	}
	wait := a.FirstTryWait
	if wait <= 0 {
		wait = DefaultFirstTryWait
	}
	return budget.WithMaxWait(ctx, wait)
}

func (a *Activities) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// esimError turns an eSIM Go failure into an activity error that tells
// Temporal whether and when to retry.
func esimError(op string, err error) error {
	var e *esimgo.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case esimgo.KindUnauthorized, esimgo.KindNotFound, esimgo.KindInvalid:
		return temporal.NewNonRetryableApplicationError(op+": "+e.Error(), contract.ErrTypePermanentESIM, err)
	case esimgo.KindRateLimited:
		return temporal.NewApplicationErrorWithOptions(op+": "+e.Error(), contract.ErrTypeESIMRateLimited,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: e.RetryAfter})
	case esimgo.KindOutcomeUnknown:
		return temporal.NewApplicationErrorWithCause(op+": "+e.Error(), contract.ErrTypeOutcomeESIM, err)
	case esimgo.KindInsufficientBalance:
		return temporal.NewApplicationErrorWithCause(op+": "+e.Error(), contract.ErrTypeESIMInsufficientBalance, err)
	}
	if e.RetryAfter > 0 {
		return temporal.NewApplicationErrorWithOptions(op+": "+e.Error(), contract.ErrTypeESIMPrefix+e.Kind.String(),
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: e.RetryAfter})
	}
	return temporal.NewApplicationErrorWithCause(op+": "+e.Error(), contract.ErrTypeESIMPrefix+e.Kind.String(), err)
}

// telegramError does the same for the Bot API.
func telegramError(op string, err error) error {
	switch {
	case telegram.IsBlocked(err):
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), contract.ErrTypeBotBlocked, err)
	case telegram.RetryAfter(err) > 0:
		return temporal.NewApplicationErrorWithOptions(op+": "+err.Error(), contract.ErrTypeTelegramRateLimited,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: telegram.RetryAfter(err)})
	case telegram.IsRetryable(err):
		return temporal.NewApplicationErrorWithCause(op+": "+err.Error(), contract.ErrTypeTelegramUnavailable, err)
	}
	return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), contract.ErrTypePermanentTG, err)
}
