package i18n

var english = map[Key]string{
	InvoiceTitle:       "eSIM %s",
	InvoiceDescription: "%s. The eSIM QR code arrives in this chat right after payment.",
	DeliveryCaption: "<b>Your eSIM is ready: %s</b>\n\n" +
		"Scan this QR code in Settings → Mobile data → Add eSIM.\n\n" +
		"Manual installation:\nSM-DP+ address: <code>%s</code>\nActivation code: <code>%s</code>\n\n" +
		"<a href=\"%s\">Install on iPhone with one tap</a>\n<a href=\"%s\">Install on Android with one tap</a>",
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
		"For anything else, write to us here with your order number and we will answer within 24 hours. " +
		"Refunds are made in Telegram Stars to the account that paid.",
	Terms: "Terms: eSIM plans are digital goods delivered as a QR code. A plan starts when the eSIM connects to a network in a covered country. " +
		"An unused plan can be refunded through /paysupport. Prices are in Telegram Stars.",
	Help:         "/start — open the store\n/orders — your orders\n/paysupport — payments and refunds\n/terms — terms of sale\n/help — this help",
	PlanNotFound: "This plan is not on sale any more. Open the store to pick another one.",
}
