package telegramtest

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// charge is one successful payment the fake took.
type charge struct {
	id, providerID     string
	userID             int64
	user               telegram.User
	amount             int64
	payload            string
	subscriptionPeriod int
	refunds            int
	canceled           bool
	date               time.Time
}

// balanceLocked returns a buyer's Stars, giving new buyers Options.BuyerStars.
func (f *Fake) balanceLocked(userID int64) int64 {
	b, ok := f.balances[userID]
	if !ok {
		b = f.opts.BuyerStars
		f.balances[userID] = b
	}
	return b
}

// Balance returns a buyer's Star balance.
func (f *Fake) Balance(userID int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.balanceLocked(userID)
}

// SetBalance sets a buyer's Star balance (e.g. 0 to test a buyer who cannot pay).
func (f *Fake) SetBalance(userID, stars int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.balances[userID] = stars
}

// BotBalance returns the bot's whole Stars: payments less refunds and
// withdrawals, as getMyStarBalance reports it.
func (f *Fake) BotBalance() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starBalanceLocked().Amount
}

const nanostarsPerStar = 1_000_000_000

// starBalanceLocked sums the bot's own Star ledger, the way Telegram's
// balance follows from its transactions: every entry with a Source came
// in, every entry with a Receiver went out.
func (f *Fake) starBalanceLocked() telegram.StarAmount {
	var nano int64
	for _, tx := range f.ledger {
		n := tx.Amount*nanostarsPerStar + tx.NanostarAmount
		switch {
		case tx.Source != nil:
			nano += n
		case tx.Receiver != nil:
			nano -= n
		}
	}
	// Go's division truncates toward zero, which gives Telegram's sign rule:
	// the nanostars are negative only when the whole Stars are not positive.
	return telegram.StarAmount{Amount: nano / nanostarsPerStar, NanostarAmount: nano % nanostarsPerStar}
}

// Withdraw takes Stars out of the bot's balance as a withdrawal to Fragment
// would: a ledger entry the store never made, so the balance drops below
// what the store's own ledger expects. It fails like Telegram when the
// balance is too low.
func (f *Fake) Withdraw(stars int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stars <= 0 || f.starBalanceLocked().Amount < stars {
		return errors.New("BALANCE_TOO_LOW")
	}
	f.ledger = append(f.ledger, telegram.StarTransaction{
		ID: "fragment" + f.nextID(), Amount: stars, Date: time.Now().Unix(),
		Receiver: &telegram.TransactionPartner{Type: "fragment"},
	})
	return nil
}

// Transactions returns the bot's Star ledger, oldest first.
func (f *Fake) Transactions() []telegram.StarTransaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]telegram.StarTransaction(nil), f.ledger...)
}

// Refunds maps charge id to the number of successful refunds (never more
// than 1 unless the fake is broken; tests assert on it).
func (f *Fake) Refunds() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for id, ch := range f.charges {
		if ch.refunds > 0 {
			out[id] = ch.refunds
		}
	}
	return out
}

// SubscriptionCanceled reports whether the bot canceled the subscription
// started by chargeID (editUserStarSubscription).
func (f *Fake) SubscriptionCanceled(chargeID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.charges[chargeID]
	return ok && ch.canceled
}

func partnerUser(u telegram.User, payload string, period int) *telegram.TransactionPartner {
	return &telegram.TransactionPartner{
		Type: "user", TransactionType: "invoice_payment", User: &u,
		InvoicePayload: payload, SubscriptionPeriod: period,
	}
}

// userParams reads the user_id + telegram_payment_charge_id pair.
func userCharge(c *Call) (int64, string, *apiError) {
	if !c.Has("user_id") {
		return 0, "", missing("user_id")
	}
	userID, ok := c.Int("user_id")
	if !ok || userID <= 0 {
		return 0, "", badRequest("USER_ID_INVALID")
	}
	chargeID := c.Param("telegram_payment_charge_id")
	if chargeID == "" {
		return 0, "", badRequest("CHARGE_ID_EMPTY")
	}
	return userID, chargeID, nil
}

func (f *Fake) refundStarPayment(_ *http.Request, c *Call) (any, *apiError) {
	userID, chargeID, aerr := userCharge(c)
	if aerr != nil {
		return nil, aerr
	}
	f.mu.Lock()
	ch, ok := f.charges[chargeID]
	switch {
	case !ok || ch.userID != userID:
		f.mu.Unlock()
		return nil, badRequest("CHARGE_NOT_FOUND") // unconfirmed text
	case ch.refunds > 0:
		f.mu.Unlock()
		return nil, badRequest("CHARGE_ALREADY_REFUNDED")
	case f.starBalanceLocked().Amount < ch.amount:
		f.mu.Unlock()
		return nil, badRequest("BALANCE_TOO_LOW") // unconfirmed text
	}
	ch.refunds++
	f.balances[userID] = f.balanceLocked(userID) + ch.amount
	now := time.Now()
	f.ledger = append(f.ledger, telegram.StarTransaction{
		ID: ch.id, Amount: ch.amount, Date: now.Unix(),
		Receiver: partnerUser(ch.user, ch.payload, ch.subscriptionPeriod),
	})
	refund := *ch
	f.mu.Unlock()

	f.addUserChat(userID, ChatItem{Kind: KindRefund, ChargeID: refund.id, Amount: refund.amount})
	if !f.opts.NoRefundUpdates {
		// Telegram posts the service message after answering the call.
		f.bg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = f.deliver(ctx, f.refundedUpdate(refund))
		})
	}
	return true, nil
}

func (f *Fake) getStarTransactions(_ *http.Request, c *Call) (any, *apiError) {
	offset, _ := c.Int("offset")
	limit, ok := c.Int("limit")
	if !ok || limit <= 0 || limit > 100 {
		limit = 100 // Telegram clamps the limit rather than failing
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page := []telegram.StarTransaction{}
	if offset >= 0 && offset < int64(len(f.ledger)) {
		end := min(offset+limit, int64(len(f.ledger)))
		page = append(page, f.ledger[offset:end]...)
	}
	return map[string]any{"transactions": page}, nil
}

func (f *Fake) editUserStarSubscription(_ *http.Request, c *Call) (any, *apiError) {
	userID, chargeID, aerr := userCharge(c)
	if aerr != nil {
		return nil, aerr
	}
	if !c.Has("is_canceled") {
		return nil, missing("is_canceled")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.charges[chargeID]
	if !ok || ch.userID != userID || ch.subscriptionPeriod == 0 {
		return nil, badRequest("CHARGE_NOT_FOUND") // unconfirmed text
	}
	ch.canceled = c.Bool("is_canceled")
	return true, nil
}

func (f *Fake) getMyStarBalance(_ *http.Request, _ *Call) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starBalanceLocked(), nil
}
