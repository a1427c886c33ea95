// Package i18n holds every text the bot sends, one catalogue per language.
// A buyer whose Telegram language is Russian reads Russian; everyone else
// reads English.
package i18n

import (
	"fmt"
	"strings"
)

// Key names one message.
type Key string

const (
	InvoiceTitle        Key = "invoice_title"
	InvoiceDescription  Key = "invoice_description"
	DeliveryCaption     Key = "delivery_caption"
	RefundNotice        Key = "refund_notice"
	RefundReasonESIM    Key = "refund_reason_esim"
	RefundReasonDup     Key = "refund_reason_duplicate"
	RefundReasonLate    Key = "refund_reason_late"
	RefundReasonAmount  Key = "refund_reason_amount"
	RefundReasonSupport Key = "refund_reason_support"
	RefundReasonUnknown Key = "refund_reason_unknown"
	CheckoutNotOwner    Key = "checkout_not_owner"
	CheckoutNotAwaiting Key = "checkout_not_awaiting"
	CheckoutExpired     Key = "checkout_expired"
	CheckoutWrongAmount Key = "checkout_wrong_amount"
	CheckoutUnknown     Key = "checkout_unknown"
	CheckoutBusy        Key = "checkout_busy"
	Start               Key = "start"
	OpenStore           Key = "open_store"
	OrdersEmpty         Key = "orders_empty"
	OrdersHeader        Key = "orders_header"
	PaySupport          Key = "paysupport"
	Terms               Key = "terms"
	Help                Key = "help"
	PlanNotFound        Key = "plan_not_found"
)

var catalogues = map[string]map[Key]string{"en": english, "ru": russian}

// Lang picks the catalogue for a Telegram language_code such as "ru" or "en-GB".
func Lang(code string) string {
	code = strings.ToLower(code)
	if strings.HasPrefix(code, "ru") {
		return "ru"
	}
	return "en"
}

// T formats the message key in the buyer's language.
func T(lang string, key Key, args ...any) string {
	msg, ok := catalogues[Lang(lang)][key]
	if !ok {
		msg = english[key]
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}
