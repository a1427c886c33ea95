package i18n

var english = map[Key]string{
	InvoiceTitle:       "eSIM %s",
	InvoiceDescription: "%s. The eSIM QR code arrives in this chat right after payment.",
	DeliveryCaption: "<b>Your eSIM is ready: %s</b>\n\n" +
		"Scan this QR code in Settings → Mobile data → Add eSIM.\n\n" +
		"Manual installation:\nSM-DP+ address: <code>%s</code>\nActivation code: <code>%s</code>\n\n" +
		"<a href=\"%s\">Install on iPhone with one tap</a>\n<a href=\"%s\">Install on Android with one tap</a>\n\n" +
		"<b>When you arrive:</b> turn on data roaming for this eSIM and choose it for mobile data.",
	RefundNotice:        "We refunded %d ⭐ for order %s. Reason: %s",
	RefundReasonESIM:    "the eSIM could not be issued",
	RefundReasonDup:     "this order was already paid",
	RefundReasonLate:    "the order had expired before the payment arrived",
	RefundReasonAmount:  "the amount did not match the price",
	RefundReasonSupport: "refund by support: %s",
	RefundReasonUnknown: "the order was not found",
	CheckoutNotOwner:    "This invoice belongs to another Telegram account.",
	CheckoutNotAwaiting: "This order is no longer waiting for payment.",
	CheckoutExpired:     "This price has expired. Please place the order again.",
	CheckoutWrongAmount: "The price has changed. Please place the order again.",
	CheckoutUnknown:     "This order was not found. Please place the order again.",
	CheckoutBusy:        "We could not confirm your order right now. Please try again in a minute.",
	Start:               "Travel data for 190+ countries, paid in Telegram Stars. Pick a plan in the store and get your eSIM QR code here in seconds.",
	OpenStore:           "Open the eSIM store",
	OrdersEmpty:         "You have no orders yet.",
	OrdersHeader:        "Your orders:",
	PaySupport: "Payments and refunds: if your eSIM could not be issued, the Stars are refunded automatically. " +
		"For anything else, contact the store's support with your order number (see /orders); messages in this chat are not read by a person. " +
		"Refunds are made in Telegram Stars to the account that paid.",
	Terms: "Terms: eSIM plans are digital goods delivered as a QR code. A plan starts when the eSIM connects to a network in a covered country. " +
		"An unused plan can be refunded through /paysupport. Prices are in Telegram Stars.",
	Help:         "/start — open the store\n/orders — your orders\n/usage — data left and install state\n/cancel — cancel a monthly subscription\n/paysupport — payments and refunds\n/terms — terms of sale\n/help — this help",
	PlanNotFound: "This plan is not on sale any more. Open the store to pick another one.",

	// Bot chat and subscriptions (keys in keys_bot.go).
	CmdStartDesc:      "Open the eSIM store",
	CmdOrdersDesc:     "Your orders",
	CmdPaySupportDesc: "Payments and refunds",
	CmdTermsDesc:      "Terms of sale",
	CmdHelpDesc:       "Help",
	CmdCancelDesc:     "Cancel a monthly subscription",
	OrdersLine:        "• %s — %s, %d ⭐ (<code>%s</code>)",
	UnknownInput:      "I did not understand that. Here is what I can do:\n\n/start — open the store\n/orders — your orders\n/usage — data left on your eSIMs\n/help — all commands",

	SubscriptionInvoiceTitle:        "%s monthly",
	SubscriptionInvoiceDescription:  "%s, renewed every 30 days on the same eSIM. The QR code arrives in this chat after the first payment; cancel any time with /cancel.",
	SubscriptionRenewed:             "Your subscription %s was renewed: the plan was added to your eSIM <code>%s</code>. Paid until %s. Nothing to install.",
	RefundReasonTopUp:               "the plan could not be added to your eSIM",
	RefundReasonSubscriptionStopped: "the subscription had been cancelled",
	CancelNone:                      "You have no active subscriptions.",
	CancelDone:                      "Your subscription %s is cancelled. It will not renew; the current period stays yours.",
	CancelChoose:                    "You have several subscriptions. Send /cancel with the one to stop:",
	CancelLine:                      "<code>/cancel %s</code> — %s",
	CancelFailed:                    "We could not cancel the subscription right now. Please try again in a minute.",

	TooManyOpenOrders: "You have too many unpaid orders open. Pay for one of them, or wait until they expire (unpaid orders expire on their own), then try again.",
	RateLimited:       "That was a lot of requests in a short time. Please wait a moment and try again.",
	HelpWithOrder:     "Help with this order",
	PaySupportRelay: "Payments and refunds: if your eSIM could not be issued, the Stars are refunded automatically.\n\n" +
		"For anything else, just write here: text or screenshots, with your order number if you have it (or tap “Help with this order” under the QR code or in My eSIMs). " +
		"Your message goes to our support team, and a person answers right here in this chat, usually within a few hours and always within 24 hours.\n\n" +
		"Refunds are made in Telegram Stars to the account that paid.",
	PaySupportContact: "Payments and refunds: if your eSIM could not be issued, the Stars are refunded automatically.\n\n" +
		"For anything else, write to %s with your order number (see /orders); we answer within 24 hours. Messages in this chat are not read by a person.\n\n" +
		"Refunds are made in Telegram Stars to the account that paid.",
	SupportReceived:   "Thanks, your message is with our support team. A person will answer here in this chat, usually within a few hours and always within 24 hours. You can add more details or screenshots meanwhile.",
	HelpStarted:       "Write your question about order <code>%s</code> here: text or screenshots. It goes to our support team with the order attached, and they answer in this chat.",
	HelpOrderUnknown:  "I could not find that order among yours. Write your question here anyway, with the order number if you have it, and our support team will look it up.",
	NotRelayed:        "I can only answer commands and cannot pass messages on to a person. For payments and refunds see /paysupport; /help lists everything I can do.",
	NotRelayedContact: "I can only answer commands and cannot pass messages on to a person. For help, write to %s with your order number (see /orders). /help lists everything I can do.",

	"status_awaiting_payment": "awaiting payment",
	"status_paid":             "paid",
	"status_fulfilling":       "being issued",
	"status_fulfilled":        "delivered",
	"status_refunding":        "being refunded",
	"status_refunded":         "refunded",
	"status_expired":          "expired",
}
