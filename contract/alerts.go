package contract

// AlertKind names one kind of alert the store posts to the support chat.
// The names are part of the configuration contract (ALERTS lists them), so
// they are only ever added to.
type AlertKind string

const (
	// AlertFulfilmentRefunded means a paid order (or renewal) was refunded
	// because its eSIM could not be issued.
	AlertFulfilmentRefunded AlertKind = "fulfilment_refunded"
	// AlertRefundFailing means a refund still fails after ALERT_REFUND_ATTEMPTS
	// attempts (it keeps retrying; someone should look).
	AlertRefundFailing AlertKind = "refund_failing"
	// AlertESIMGoBalance means eSIM Go refused an order for lack of balance, or
	// the balance fell below ESIMGO_BALANCE_LOW_USD.
	AlertESIMGoBalance AlertKind = "esimgo_balance"
	// AlertReconciliation means reconciliation found a payment or a refund the
	// ledger had missed.
	AlertReconciliation AlertKind = "reconciliation"
	// AlertPaymentUnresolved means a charge neither fulfilled nor refunded long
	// after it arrived.
	AlertPaymentUnresolved AlertKind = "payment_unresolved"
	// AlertSupportRefund means Telegram confirmed a support refund (the answer
	// to a staff member's /refund, and to refunds made elsewhere).
	AlertSupportRefund AlertKind = "support_refund"
)

// AlertKinds lists every kind, in the order the documentation gives them.
var AlertKinds = []AlertKind{AlertFulfilmentRefunded, AlertRefundFailing, AlertESIMGoBalance, AlertReconciliation,
	AlertPaymentUnresolved, AlertSupportRefund}
