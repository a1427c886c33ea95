package contract

import (
	"strings"
	"time"
)

// Subscriptions: a plan sold as a monthly Telegram Stars subscription. The
// first payment buys a new eSIM; every renewal tops the same eSIM up with
// the plan's bundle. One SubscriptionWorkflow owns one subscription for its
// whole life (see workflows/subscription_workflow.go for why).

// SourceSubscription marks the ledger's order row of a subscription (the
// orders.source CHECK allows it since the first migration).
const SourceSubscription Source = "subscription"

// SubscriptionPrefix starts every subscription id. The id is also the
// invoice payload (money rule 5, docs/architecture.md#rule-5-the-invoice-payload-is-only-the-order-id) and the id of
// the subscription's row in orders, so payments can be routed on the
// payload alone, without a database read, before anything else happens.
const SubscriptionPrefix = "sub-"

// IsSubscriptionID reports whether an invoice payload names a subscription.
func IsSubscriptionID(payload string) bool { return strings.HasPrefix(payload, SubscriptionPrefix) }

// Temporal names of the subscription workflow (operator contract, additive).
const (
	SubscriptionWorkflowType = "SubscriptionWorkflow"
	UpdateCancel             = "cancel"
	SignalSubscriptionState  = "subscriptionState"
)

// SubscriptionWorkflowID is the id of the workflow that owns one subscription.
func SubscriptionWorkflowID(subscriptionID string) string { return "subscription-" + subscriptionID }

// SubscriptionStatus is the state of a subscription as buyers and support see it.
type SubscriptionStatus string

// The statuses of a subscription (docs/architecture.md#subscription-state-machine).
const (
	SubAwaitingPayment SubscriptionStatus = "awaiting_payment"
	SubActive          SubscriptionStatus = "active"
	SubCanceled        SubscriptionStatus = "canceled" // by the buyer (bot, Mini App or Telegram): no more renewals
	SubFailed          SubscriptionStatus = "failed"   // Telegram could not charge a renewal
	SubExpired         SubscriptionStatus = "expired"  // never paid, or no renewal came
	SubRefunded        SubscriptionStatus = "refunded" // the first period could not be delivered
)

// Renews reports whether a renewal payment in this state is served; any
// other state refunds it.
func (s SubscriptionStatus) Renews() bool { return s == SubActive }

// SubscriptionInput starts (or continues) a SubscriptionWorkflow.
type SubscriptionInput struct {
	SubscriptionID string
	UserID         int64
	ChatID         int64
	LanguageCode   string
	PlanID         string

	InvoiceTTL         time.Duration
	FulfilmentDeadline time.Duration

	// Resume: started by a payment or a cancellation after the previous
	// run closed; the run loads the subscription from the ledger.
	Resume bool
	// Carry is the state handed over by continue-as-new.
	Carry *SubscriptionState
}

// SubscriptionState is everything a run needs to go on after
// continue-as-new or after being resumed from the ledger.
type SubscriptionState struct {
	Status        SubscriptionStatus `json:"status"`
	PlanName      string             `json:"plan_name"`
	Stars         int64              `json:"price_stars"`
	PriceUSD      string             `json:"price_usd"`
	InvoiceLink   string             `json:"invoice_link,omitempty"`
	QuoteExpires  time.Time          `json:"quote_expires_at"`
	FirstChargeID string             `json:"first_charge_id,omitempty"`
	ESIM          *ESIM              `json:"esim,omitempty"`
	ExpiresAt     time.Time          `json:"expires_at,omitempty"`
	Periods       int                `json:"periods"` // paid periods delivered (first + renewals)
	// Seen holds the most recent charge ids, so a re-sent signal is not
	// served twice; it is bounded to keep continue-as-new input small.
	Seen []string `json:"seen,omitempty"`
}

// SubscriptionView is the answer of the `status` query and of `cancel`.
type SubscriptionView struct {
	SubscriptionID string `json:"subscription_id"`
	UserID         int64  `json:"user_id"`
	PlanID         string `json:"plan_id"`
	SubscriptionState
	LastError string `json:"last_error,omitempty"`
}

// CancelRequest is the `cancel` update: the buyer (or support) stops renewals.
type CancelRequest struct {
	UserID int64  `json:"user_id"` // must be the subscriber
	By     string `json:"by"`      // "buyer:bot", "buyer:miniapp", or a support name
}

// SubscriptionStateChange is the `subscriptionState` signal, from Telegram's
// `subscription` update (Bot API 10.2).
type SubscriptionStateChange struct {
	UserID int64  `json:"user_id"`
	State  string `json:"state"` // "canceled", "active" or "failed"
}
