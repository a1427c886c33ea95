// Package i18n holds every text the bot sends, one catalogue per language.
// A buyer whose Telegram language is Russian reads Russian; everyone else
// reads English.
package i18n

import (
	"fmt"
	"html"
	"reflect"
	"strings"
)

// Key names one message.
type Key string

// The message keys; every catalogue has a text for each.
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

// Markup is text that is already HTML (a fragment built with HTML), which
// HTML passes through unescaped.
type Markup string

// HTML formats the message key for a message Telegram parses as HTML (every
// message the bot sends). Each string argument is escaped first, so text
// from buyers, support staff or eSIM Go (a refund reason such as
// "speed <1 Mbps & no <b>signal", a plan name) reaches the buyer verbatim
// instead of making Telegram refuse the whole message. Use T for plain-text
// destinations (invoice titles, pre-checkout answers, the ledger).
func HTML(lang string, key Key, args ...any) string {
	escaped := make([]any, len(args))
	for i, arg := range args {
		switch v := arg.(type) {
		case Markup:
			escaped[i] = string(v)
		case string:
			escaped[i] = html.EscapeString(v)
		default:
			// Named string types (an id, a status) are text too.
			if rv := reflect.ValueOf(arg); rv.Kind() == reflect.String {
				escaped[i] = html.EscapeString(rv.String())
			} else {
				escaped[i] = arg
			}
		}
	}
	return T(lang, key, escaped...)
}
