package telegramtest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/starsesim/esimstore/telegram"
)

// Invoice is what the fake remembers about each invoice it issued.
type Invoice struct {
	Link               string
	Title, Description string
	Payload            string
	Currency           string
	Amount             int64
	SubscriptionPeriod int
	PhotoURL           string
	// ChatID is set for invoices sent as messages (sendInvoice).
	ChatID    int64
	CreatedAt time.Time
}

// Invoice returns the invoice behind a link (or a ChatItem.InvoiceLink).
func (f *Fake) Invoice(link string) (Invoice, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv, ok := f.invoices[link]
	if !ok {
		return Invoice{}, false
	}
	return *inv, true
}

// Invoices returns all issued invoices, oldest first.
func (f *Fake) Invoices() []Invoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Invoice, 0, len(f.invoices))
	for _, inv := range f.invoices {
		out = append(out, *inv)
	}
	slices.SortFunc(out, func(a, b Invoice) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// parseInvoice applies the Stars rules Telegram enforces. Texts other than
// STARS_INVOICE_INVALID are modelled on MTProto error names (unconfirmed).
func parseInvoice(c *Call, allowSubscription bool) (Invoice, *apiError) {
	for _, p := range []string{"title", "description", "payload", "currency", "prices"} {
		if !c.Has(p) {
			return Invoice{}, missing(p)
		}
	}
	inv := Invoice{
		Title:       c.Param("title"),
		Description: c.Param("description"),
		Payload:     c.Param("payload"),
		Currency:    c.Param("currency"),
		PhotoURL:    c.Param("photo_url"),
	}
	if n := utf8.RuneCountInString(inv.Title); n < 1 || n > 32 {
		return Invoice{}, badRequest("INVOICE_TITLE_INVALID")
	}
	if n := utf8.RuneCountInString(inv.Description); n < 1 || n > 255 {
		return Invoice{}, badRequest("INVOICE_DESCRIPTION_INVALID")
	}
	if n := len(inv.Payload); n < 1 || n > 128 {
		return Invoice{}, badRequest("INVOICE_PAYLOAD_INVALID")
	}
	if inv.Currency != telegram.CurrencyStars {
		// The fake only models Stars; a fiat invoice needs a provider.
		return Invoice{}, badRequest("PAYMENT_PROVIDER_INVALID")
	}
	if c.Param("provider_token") != "" || c.Has("max_tip_amount") && c.Param("max_tip_amount") != "0" || c.Has("suggested_tip_amounts") && c.Param("suggested_tip_amounts") != "[]" {
		return Invoice{}, badRequest("STARS_INVOICE_INVALID")
	}
	var prices []struct {
		Label  string `json:"label"`
		Amount *int64 `json:"amount"`
	}
	if err := c.JSON("prices", &prices); err != nil {
		return Invoice{}, badRequest("can't parse prices JSON object")
	}
	if len(prices) != 1 {
		return Invoice{}, badRequest("STARS_INVOICE_INVALID")
	}
	if prices[0].Amount == nil || *prices[0].Amount <= 0 {
		return Invoice{}, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	}
	inv.Amount = *prices[0].Amount
	if allowSubscription && c.Has("subscription_period") {
		period, ok := c.Int("subscription_period")
		if !ok || period != telegram.SubscriptionPeriod30d {
			return Invoice{}, badRequest("SUBSCRIPTION_PERIOD_INVALID")
		}
		if inv.Amount > telegram.MaxSubscriptionStars {
			return Invoice{}, badRequest("STARS_INVOICE_INVALID")
		}
		inv.SubscriptionPeriod = int(period)
	}
	return inv, nil
}

// newSlug returns the random part of a t.me/$ invoice link.
func newSlug() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f *Fake) createInvoiceLink(_ *http.Request, c *Call) (any, *apiError) {
	inv, aerr := parseInvoice(c, true)
	if aerr != nil {
		return nil, aerr
	}
	return f.storeInvoice(inv), nil
}

func (f *Fake) storeInvoice(inv Invoice) string {
	inv.Link = "https://t.me/$" + newSlug()
	inv.CreatedAt = time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoices[inv.Link] = &inv
	return inv.Link
}

func (f *Fake) sendInvoice(_ *http.Request, c *Call) (any, *apiError) {
	chatID, aerr := chatIDParam(c)
	if aerr != nil {
		return nil, aerr
	}
	// sendInvoice has no subscription_period; like any unknown parameter
	// Telegram ignores it, so the fake does too.
	inv, aerr := parseInvoice(c, false)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := f.checkReachable(chatID); aerr != nil {
		return nil, aerr
	}
	inv.ChatID = chatID
	link := f.storeInvoice(inv)
	stored, _ := f.Invoice(link)
	msg := f.addChat(chatID, ChatItem{Kind: KindInvoice, Text: inv.Title, Plain: inv.Title, InvoiceLink: link, Invoice: &stored})
	return msg, nil
}
