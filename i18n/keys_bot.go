package i18n

import "github.com/starsesim/esimstore/contract"

// Keys of the bot chat and of subscriptions. They live in their own file so
// the order texts and these can grow without touching each other.
const (
	CmdStartDesc      Key = "cmd_start"
	CmdOrdersDesc     Key = "cmd_orders"
	CmdPaySupportDesc Key = "cmd_paysupport"
	CmdTermsDesc      Key = "cmd_terms"
	CmdHelpDesc       Key = "cmd_help"
	CmdCancelDesc     Key = "cmd_cancel"

	OrdersLine   Key = "orders_line"   // plan name, status, Stars, order id
	UnknownInput Key = "unknown_input" // anything that is not a command

	SubscriptionInvoiceTitle        Key = "subscription_invoice_title"
	SubscriptionInvoiceDescription  Key = "subscription_invoice_description"
	SubscriptionRenewed             Key = "subscription_renewed" // plan, ICCID, paid until
	RefundReasonTopUp               Key = "refund_reason_top_up"
	RefundReasonSubscriptionStopped Key = "refund_reason_subscription_stopped"
	CancelNone                      Key = "cancel_none"
	CancelDone                      Key = "cancel_done"   // plan name
	CancelChoose                    Key = "cancel_choose" // list follows
	CancelLine                      Key = "cancel_line"   // one line of that list: subscription id, plan
	CancelFailed                    Key = "cancel_failed"

	// Support chat (support package).
	HelpWithOrder     Key = "help_with_order"     // button under the delivered QR and in the Mini App
	PaySupportRelay   Key = "paysupport_relay"    // /paysupport with a support chat
	PaySupportContact Key = "paysupport_contact"  // /paysupport without one: where to write (SUPPORT_CONTACT)
	SupportReceived   Key = "support_received"    // first message of a conversation reached the team
	HelpStarted       Key = "help_started"        // /start help_<order id>: order id
	HelpOrderUnknown  Key = "help_order_unknown"  // /start help_ with an order that is not the buyer's
	NotRelayed        Key = "not_relayed"         // a plain message without a support chat (no contact)
	NotRelayedContact Key = "not_relayed_contact" // the same, naming SUPPORT_CONTACT

	// Per-buyer limits (checkout/limits.go), instead of an invoice.
	TooManyOpenOrders Key = "too_many_open_orders"
	RateLimited       Key = "rate_limited"
)

// StatusKey names the buyer-facing label of an order status.
func StatusKey(s contract.Status) Key { return Key("status_" + string(s)) }
