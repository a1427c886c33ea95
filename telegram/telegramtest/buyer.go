package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// Errors returned by the buyer simulation.
var (
	ErrUnknownInvoice      = errors.New("telegramtest: unknown invoice link")
	ErrInsufficientStars   = errors.New("telegramtest: buyer has too few Stars")
	ErrPreCheckoutTimeout  = errors.New("telegramtest: bot did not answer pre_checkout_query in time")
	ErrSubscriptionStopped = errors.New("telegramtest: subscription was canceled by the bot")
)

// PayOptions bend a payment for security and idempotency tests.
type PayOptions struct {
	// Duplicates re-delivers the successful_payment update this many extra
	// times (same update_id), as Telegram may after a lost webhook answer.
	Duplicates int
	// AmountOverride and PayloadOverride make pre_checkout_query and
	// successful_payment carry other values than the invoice (tampering).
	AmountOverride  int64
	PayloadOverride string
	// SkipPreCheckout charges without asking the bot first.
	SkipPreCheckout bool
}

// PayResult says how far a payment got.
type PayResult struct {
	Approved     bool
	ErrorMessage string // the bot's error_message when it declined
	ChargeID     string
	// Delivered is true when the webhook accepted successful_payment; false
	// means it is queued (webhook paused or failing) and Flush will retry.
	Delivered     bool
	DeliveryError error
}

type preCheckout struct {
	answer chan pcAnswer
	done   bool
}

type pcAnswer struct {
	ok  bool
	msg string
}

// Pay plays a buyer paying the invoice behind link: pre_checkout_query to
// the webhook, wait for answerPreCheckoutQuery (Options.AnswerTimeout), then
// charge the buyer and deliver successful_payment. An invoice can be paid
// any number of times; each payment gets a fresh charge id.
func (f *Fake) Pay(ctx context.Context, link string, buyer telegram.User, opts ...PayOptions) (PayResult, error) {
	var o PayOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	inv, ok := f.Invoice(link)
	if !ok {
		return PayResult{}, fmt.Errorf("%w: %s", ErrUnknownInvoice, link)
	}
	amount, payload := inv.Amount, inv.Payload
	if o.AmountOverride != 0 {
		amount = o.AmountOverride
	}
	if o.PayloadOverride != "" {
		payload = o.PayloadOverride
	}
	if f.Balance(buyer.ID) < amount {
		return PayResult{}, ErrInsufficientStars
	}
	if !o.SkipPreCheckout {
		res, err := f.preCheckout(ctx, buyer, amount, payload)
		if err != nil || !res.ok {
			return PayResult{ErrorMessage: res.msg}, err
		}
	}
	ch, err := f.charge(buyer, inv, amount, payload)
	if err != nil {
		return PayResult{}, err
	}
	res := f.deliverPayment(ctx, ch, inv.SubscriptionPeriod != 0, true, o.Duplicates)
	return res, nil
}

// preCheckout sends the query and waits for the bot's answer.
func (f *Fake) preCheckout(ctx context.Context, buyer telegram.User, amount int64, payload string) (pcAnswer, error) {
	id := randomDigits()
	q := &preCheckout{answer: make(chan pcAnswer, 1)}
	f.mu.Lock()
	f.queries[id] = q
	f.mu.Unlock()

	waitCtx, cancel := context.WithTimeout(ctx, f.opts.AnswerTimeout)
	defer cancel()
	upd := f.newUpdate("pre_checkout_query", telegram.PreCheckoutQuery{
		ID: id, From: buyer, Currency: telegram.CurrencyStars, TotalAmount: amount, InvoicePayload: payload,
	})
	// Deliver concurrently: the bot may answer from inside its webhook handler.
	// The delivery outlives this wait so that an answer given before the
	// handler returns does not turn into a failed (and re-sent) delivery.
	f.bg.Go(func() {
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), f.opts.AnswerTimeout)
		defer dcancel()
		_, _ = f.deliver(dctx, upd)
	})

	// The query is forgotten either way, so a late answer gets Telegram's
	// "query is too old" error.
	defer func() {
		f.mu.Lock()
		q.done = true
		delete(f.queries, id)
		f.mu.Unlock()
	}()
	select {
	case a := <-q.answer:
		return a, nil
	case <-waitCtx.Done():
		f.mu.Lock()
		q.done = true
		f.mu.Unlock()
		// An answer may have raced the timer; Telegram would honour it.
		select {
		case a := <-q.answer:
			return a, nil
		default:
		}
		if ctx.Err() != nil {
			return pcAnswer{}, ctx.Err()
		}
		return pcAnswer{msg: "BOT_PRECHECKOUT_TIMEOUT"}, ErrPreCheckoutTimeout
	}
}

func (f *Fake) answerPreCheckoutQuery(_ *http.Request, c *Call) (any, *apiError) {
	id := c.Param("pre_checkout_query_id")
	if id == "" {
		return nil, missing("pre_checkout_query_id")
	}
	if !c.Has("ok") {
		return nil, missing("ok")
	}
	ans := pcAnswer{ok: c.Bool("ok"), msg: c.Param("error_message")}
	if !ans.ok && strings.TrimSpace(ans.msg) == "" {
		return nil, badRequest("ERROR_MESSAGE_EMPTY") // unconfirmed text
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q, ok := f.queries[id]
	if !ok || q.done {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	q.done = true
	q.answer <- ans
	return true, nil
}

// charge moves the Stars and writes the ledger entry.
func (f *Fake) charge(buyer telegram.User, inv Invoice, amount int64, payload string) (charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.balanceLocked(buyer.ID) < amount {
		return charge{}, ErrInsufficientStars
	}
	ch := &charge{
		id:                 "stxfake" + randomToken(),
		providerID:         strconv.FormatInt(buyer.ID, 10) + "_" + f.nextID(),
		userID:             buyer.ID,
		user:               buyer,
		amount:             amount,
		payload:            payload,
		subscriptionPeriod: inv.SubscriptionPeriod,
		date:               time.Now(),
	}
	f.charges[ch.id] = ch
	f.balances[buyer.ID] -= amount
	f.ledger = append(f.ledger, telegram.StarTransaction{
		ID: ch.id, Amount: amount, Date: ch.date.Unix(),
		Source: partnerUser(buyer, payload, inv.SubscriptionPeriod),
	})
	return *ch, nil
}

// deliverPayment posts successful_payment (plus duplicates) and fills PayResult.
func (f *Fake) deliverPayment(ctx context.Context, ch charge, recurring, first bool, duplicates int) PayResult {
	sp := &telegram.SuccessfulPayment{
		Currency:                telegram.CurrencyStars,
		TotalAmount:             ch.amount,
		InvoicePayload:          ch.payload,
		TelegramPaymentChargeID: ch.id,
		ProviderPaymentChargeID: ch.providerID,
	}
	if recurring {
		sp.IsRecurring = true
		sp.IsFirstRecurring = first
		sp.SubscriptionExpirationDate = ch.date.Add(time.Duration(ch.subscriptionPeriod) * time.Second).Unix()
	}
	msgID := f.addUserChat(ch.userID, ChatItem{Kind: KindPayment, ChargeID: ch.id, Amount: ch.amount, Text: ch.payload})
	upd := f.newUpdate("message", telegram.Message{
		MessageID: msgID, From: &ch.user, Chat: telegram.Chat{ID: ch.userID, Type: "private"},
		Date: ch.date.Unix(), SuccessfulPayment: sp,
	})
	delivered, err := f.deliver(ctx, upd)
	for range duplicates {
		_, _ = f.deliver(ctx, upd)
	}
	return PayResult{Approved: true, ChargeID: ch.id, Delivered: delivered, DeliveryError: err}
}

// Renew charges the next period of the subscription started by chargeID,
// as Telegram does every 30 days, unless the bot canceled it.
func (f *Fake) Renew(ctx context.Context, chargeID string) (PayResult, error) {
	f.mu.Lock()
	first, ok := f.charges[chargeID]
	if !ok || first.subscriptionPeriod == 0 {
		f.mu.Unlock()
		return PayResult{}, fmt.Errorf("telegramtest: %s is not a subscription charge", chargeID)
	}
	if first.canceled {
		f.mu.Unlock()
		return PayResult{}, ErrSubscriptionStopped
	}
	prev := *first
	f.mu.Unlock()
	ch, err := f.charge(prev.user, Invoice{SubscriptionPeriod: prev.subscriptionPeriod}, prev.amount, prev.payload)
	if err != nil {
		return PayResult{}, err
	}
	return f.deliverPayment(ctx, ch, true, false, 0), nil
}

func (f *Fake) refundedUpdate(ch charge) outbound {
	msgID := f.reserveMessageID()
	return f.newUpdate("message", telegram.Message{
		MessageID: msgID, From: &ch.user, Chat: telegram.Chat{ID: ch.userID, Type: "private"},
		Date: time.Now().Unix(),
		RefundedPayment: &telegram.RefundedPayment{
			Currency: telegram.CurrencyStars, TotalAmount: ch.amount, InvoicePayload: ch.payload,
			TelegramPaymentChargeID: ch.id, ProviderPaymentChargeID: ch.providerID,
		},
	})
}

func (f *Fake) reserveMessageID() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextMessageID
	f.nextMessageID++
	return id
}

// SendText plays the user typing text to the bot; a leading /command gets a
// bot_command entity like in Telegram.
func (f *Fake) SendText(ctx context.Context, from telegram.User, text string) error {
	_, err := f.Send(ctx, UserMessage{From: from, Text: text})
	return err
}

// SendSubscriptionUpdate delivers the Bot API 10.2 subscription update
// (state "canceled", "active" or "failed").
func (f *Fake) SendSubscriptionUpdate(ctx context.Context, user telegram.User, payload, state string) error {
	_, err := f.deliver(ctx, f.newUpdate("subscription", telegram.SubscriptionUpdate{
		User: user, InvoicePayload: payload, State: state,
	}))
	return err
}

// SendUpdate delivers an arbitrary update object; update_id is assigned
// when absent. The first key besides update_id names its kind.
func (f *Fake) SendUpdate(ctx context.Context, raw json.RawMessage) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("telegramtest: update is not a JSON object: %w", err)
	}
	kind := ""
	for k := range obj {
		if k != "update_id" {
			kind = k
			break
		}
	}
	if kind == "" {
		return errors.New("telegramtest: update has no content")
	}
	u := f.newUpdate(kind, obj[kind])
	if idRaw, ok := obj["update_id"]; ok {
		if id, err := strconv.ParseInt(string(idRaw), 10, 64); err == nil {
			u.id = id
			u.body = raw
		}
	}
	_, err := f.deliver(ctx, u)
	return err
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomDigits looks like Telegram's numeric pre-checkout query ids.
func randomDigits() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:])>>1, 10)
}
