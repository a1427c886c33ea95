package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// Stars invoice rules from the Bot API (createInvoiceLink / sendInvoice).
const (
	CurrencyStars         = "XTR"
	SubscriptionPeriod30d = 2592000 // the only period Telegram accepts
	MaxSubscriptionStars  = 10000
	maxTitleRunes         = 32
	maxDescriptionRunes   = 255
	maxPayloadBytes       = 128
)

// ErrInvalidInvoice is wrapped by every *InvoiceError so callers can use errors.Is.
var ErrInvalidInvoice = errors.New("invalid invoice")

// InvoiceError names the first rule an Invoice breaks. It is returned before
// any request is made: Telegram would reject the call anyway, and a clear
// local error beats STARS_INVOICE_INVALID.
type InvoiceError struct {
	Field  string
	Reason string
}

func (e *InvoiceError) Error() string {
	return fmt.Sprintf("invalid invoice: %s: %s", e.Field, e.Reason)
}

func (e *InvoiceError) Unwrap() error { return ErrInvalidInvoice }

// Invoice is a Stars invoice. Stars is the whole-Star price (never ×100).
type Invoice struct {
	Title       string
	Description string
	// Payload is the order id; Telegram echoes it in pre_checkout_query and
	// successful_payment. It is not a unique payment id.
	Payload string
	Stars   int64
	// SubscriptionPeriod is 0 or SubscriptionPeriod30d (links only).
	SubscriptionPeriod int
	PhotoURL           string
}

// Validate checks the invoice against Telegram's rules for Stars.
func (inv Invoice) Validate() error {
	if n := utf8.RuneCountInString(inv.Title); n < 1 || n > maxTitleRunes {
		return &InvoiceError{"title", fmt.Sprintf("must be 1-%d characters, got %d", maxTitleRunes, n)}
	}
	if n := utf8.RuneCountInString(inv.Description); n < 1 || n > maxDescriptionRunes {
		return &InvoiceError{"description", fmt.Sprintf("must be 1-%d characters, got %d", maxDescriptionRunes, n)}
	}
	if n := len(inv.Payload); n < 1 || n > maxPayloadBytes {
		return &InvoiceError{"payload", fmt.Sprintf("must be 1-%d bytes, got %d", maxPayloadBytes, n)}
	}
	if !utf8.ValidString(inv.Title) || !utf8.ValidString(inv.Description) || !utf8.ValidString(inv.Payload) {
		return &InvoiceError{"text", "must be valid UTF-8"}
	}
	if inv.Stars < 1 {
		return &InvoiceError{"stars", fmt.Sprintf("must be a positive whole number of Stars, got %d", inv.Stars)}
	}
	switch inv.SubscriptionPeriod {
	case 0:
	case SubscriptionPeriod30d:
		if inv.Stars > MaxSubscriptionStars {
			return &InvoiceError{"stars", fmt.Sprintf("subscription price must not exceed %d Stars, got %d", MaxSubscriptionStars, inv.Stars)}
		}
	default:
		return &InvoiceError{"subscription_period", fmt.Sprintf("must be 0 or %d seconds, got %d", SubscriptionPeriod30d, inv.SubscriptionPeriod)}
	}
	if inv.PhotoURL != "" {
		u, err := url.Parse(inv.PhotoURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &InvoiceError{"photo_url", "must be an absolute http(s) URL"}
		}
	}
	return nil
}
