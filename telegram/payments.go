package telegram

import (
	"context"
	"fmt"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
)

func (inv Invoice) prices() []telego.LabeledPrice {
	// Stars invoices take exactly one price; the label is shown on the receipt.
	return []telego.LabeledPrice{{Label: inv.Title, Amount: int(inv.Stars)}}
}

// CreateInvoiceLink returns a https://t.me/$… link for Telegram.WebApp.openInvoice.
func (b *Bot) CreateInvoiceLink(ctx context.Context, inv Invoice) (string, error) {
	if err := inv.Validate(); err != nil {
		return "", err
	}
	link, err := b.api.CreateInvoiceLink(ctx, &telego.CreateInvoiceLinkParams{
		Title:              inv.Title,
		Description:        inv.Description,
		Payload:            inv.Payload,
		Currency:           CurrencyStars,
		Prices:             inv.prices(),
		SubscriptionPeriod: int64(inv.SubscriptionPeriod),
		PhotoURL:           inv.PhotoURL,
	})
	if err != nil {
		return "", wrap("createInvoiceLink", err)
	}
	if link == nil || *link == "" {
		return "", &TransportError{Method: "createInvoiceLink", Err: fmt.Errorf("empty invoice link in answer")}
	}
	return *link, nil
}

// SendInvoice posts an invoice message in a chat (used by /start plan_<id>).
// Subscriptions cannot be sent as messages, only as links.
func (b *Bot) SendInvoice(ctx context.Context, chatID int64, inv Invoice) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	if inv.SubscriptionPeriod != 0 {
		return &InvoiceError{"subscription_period", "subscriptions can only be sold through createInvoiceLink"}
	}
	return b.send(ctx, "sendInvoice", chatID, func() error {
		_, err := b.api.SendInvoice(ctx, &telego.SendInvoiceParams{
			ChatID:      tu.ID(chatID),
			Title:       inv.Title,
			Description: inv.Description,
			Payload:     inv.Payload,
			Currency:    CurrencyStars,
			Prices:      inv.prices(),
			PhotoURL:    inv.PhotoURL,
		})
		return wrap("sendInvoice", err)
	})
}

// AnswerPreCheckoutQuery must be called within 10 s of the query. When ok is
// false, errorMessage is shown to the buyer and is required.
func (b *Bot) AnswerPreCheckoutQuery(ctx context.Context, queryID string, ok bool, errorMessage string) error {
	if queryID == "" {
		return fmt.Errorf("telegram answerPreCheckoutQuery: empty query id")
	}
	if !ok && errorMessage == "" {
		return fmt.Errorf("telegram answerPreCheckoutQuery: error message is required when declining")
	}
	if ok {
		errorMessage = ""
	}
	return wrap("answerPreCheckoutQuery", b.api.AnswerPreCheckoutQuery(ctx, &telego.AnswerPreCheckoutQueryParams{
		PreCheckoutQueryID: queryID,
		Ok:                 ok,
		ErrorMessage:       errorMessage,
	}))
}

// RefundStarPayment returns the Stars of one charge to the buyer. A repeated
// refund fails with an error that IsAlreadyRefunded recognises.
func (b *Bot) RefundStarPayment(ctx context.Context, userID int64, chargeID string) error {
	if userID == 0 || chargeID == "" {
		return fmt.Errorf("telegram refundStarPayment: user id and charge id are required")
	}
	return wrap("refundStarPayment", b.api.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{
		UserID:                  userID,
		TelegramPaymentChargeID: chargeID,
	}))
}

// EditUserStarSubscription cancels (or re-enables) renewal of a subscription;
// chargeID is the charge of the subscription's first payment.
func (b *Bot) EditUserStarSubscription(ctx context.Context, userID int64, chargeID string, cancel bool) error {
	if userID == 0 || chargeID == "" {
		return fmt.Errorf("telegram editUserStarSubscription: user id and charge id are required")
	}
	return wrap("editUserStarSubscription", b.api.EditUserStarSubscription(ctx, &telego.EditUserStarSubscriptionParams{
		UserID:                  userID,
		TelegramPaymentChargeID: chargeID,
		IsCanceled:              cancel,
	}))
}

// StarTransactions pages through the bot's Star ledger in chronological
// order. limit is 1-100; 0 means Telegram's default of 100.
func (b *Bot) StarTransactions(ctx context.Context, offset, limit int) ([]StarTransaction, error) {
	if offset < 0 || limit < 0 || limit > 100 {
		return nil, fmt.Errorf("telegram getStarTransactions: offset must be >= 0 and limit 0-100, got %d/%d", offset, limit)
	}
	res, err := b.api.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: offset, Limit: limit})
	if err != nil {
		return nil, wrap("getStarTransactions", err)
	}
	out := make([]StarTransaction, 0, len(res.Transactions))
	for _, t := range res.Transactions {
		out = append(out, StarTransaction{
			ID:             t.ID,
			Amount:         int64(t.Amount),
			NanostarAmount: int64(t.NanostarAmount),
			Date:           t.Date,
			Source:         partnerFrom(t.Source),
			Receiver:       partnerFrom(t.Receiver),
		})
	}
	return out, nil
}

// StarAmount is a Star balance: whole Stars and billionths of a Star
// (nanostars, from -999,999,999 to 999,999,999; negative only when Amount is
// not positive). Bots earn fractions only from affiliate programmes.
type StarAmount struct {
	Amount         int64 `json:"amount"`
	NanostarAmount int64 `json:"nanostar_amount,omitempty"`
}

// MyStarBalance is the bot's current Star balance (getMyStarBalance): what
// buyers paid, less refunds, withdrawals and anything else spent.
func (b *Bot) MyStarBalance(ctx context.Context) (StarAmount, error) {
	res, err := b.api.GetMyStarBalance(ctx)
	if err != nil {
		return StarAmount{}, wrap("getMyStarBalance", err)
	}
	if res == nil {
		return StarAmount{}, &TransportError{Method: "getMyStarBalance", Err: fmt.Errorf("empty answer")}
	}
	return StarAmount{Amount: int64(res.Amount), NanostarAmount: int64(res.NanostarAmount)}, nil
}

func partnerFrom(p telego.TransactionPartner) *TransactionPartner {
	if p == nil {
		return nil
	}
	out := &TransactionPartner{Type: p.PartnerType()}
	if u, ok := p.(*telego.TransactionPartnerUser); ok {
		out.TransactionType = u.TransactionType
		out.InvoicePayload = u.InvoicePayload
		out.SubscriptionPeriod = u.SubscriptionPeriod
		user := userFrom(u.User)
		out.User = &user
	}
	return out
}

func userFrom(u telego.User) User {
	return User{
		ID:           u.ID,
		IsBot:        u.IsBot,
		FirstName:    u.FirstName,
		LastName:     u.LastName,
		Username:     u.Username,
		LanguageCode: u.LanguageCode,
		IsPremium:    u.IsPremium,
	}
}
