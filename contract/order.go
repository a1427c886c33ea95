// Package contract is the vocabulary every part of the store shares: order
// and subscription statuses, the Temporal names operators rely on (workflow
// ids and types, updates, signals, queries, search attributes) and the
// payloads that cross between the API, the workflows and the activities.
// Its names are part of the operator contract: they are only ever added,
// never renamed (docs/architecture.md#temporal-names).
package contract

import (
	"go.temporal.io/sdk/temporal"
)

// Status of an order as buyers, support and operators see it.
type Status string

// The statuses of an order (docs/architecture.md#order-state-machine).
const (
	StatusAwaitingPayment Status = "awaiting_payment"
	StatusPaid            Status = "paid"
	StatusFulfilling      Status = "fulfilling"
	StatusFulfilled       Status = "fulfilled"
	StatusRefunding       Status = "refunding"
	StatusRefunded        Status = "refunded"
	StatusExpired         Status = "expired"
)

// Valid reports whether s is one of the contract's statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusAwaitingPayment, StatusPaid, StatusFulfilling, StatusFulfilled,
		StatusRefunding, StatusRefunded, StatusExpired:
		return true
	}
	return false
}

// Final reports whether no further change is expected without a support action.
func (s Status) Final() bool {
	return s == StatusFulfilled || s == StatusRefunded || s == StatusExpired
}

// Temporal names (contract).
const (
	TaskQueue    = "esim-orders"
	WorkflowType = "OrderWorkflow"

	UpdateInvoice     = "invoice"
	UpdatePreCheckout = "preCheckout"
	UpdateRefund      = "refund"
	SignalPayment     = "payment"
	SignalRetry       = "retryDelivery"
	QueryStatus       = "status"
)

// WorkflowID is the id of the workflow that owns one order.
func WorkflowID(orderID string) string { return "order-" + orderID }

// Search attributes (contract), typed so a misspelt name fails to compile.
var (
	AttrStatus      = temporal.NewSearchAttributeKeyKeyword("OrderStatus")
	AttrUserID      = temporal.NewSearchAttributeKeyInt64("TelegramUserId")
	AttrPlanID      = temporal.NewSearchAttributeKeyKeyword("PlanId")
	AttrStarsAmount = temporal.NewSearchAttributeKeyInt64("StarsAmount")
)

// SearchAttributeTypes is what a Temporal namespace must have registered,
// as `--search-attribute NAME=TYPE` flags expect them.
var SearchAttributeTypes = map[string]string{
	"OrderStatus":    "Keyword",
	"TelegramUserId": "Int",
	"PlanId":         "Keyword",
	"StarsAmount":    "Int",
}
