package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// Telegram's flood limits as its FAQ states them: about 30 messages a
// second to different chats, about one a second to one chat, and no more
// than 20 a minute to one group (the support chat is a group).
const (
	DefaultMessagesPerSecond     = 30
	DefaultChatMessagesPerSecond = 1
	GroupMessagesPerMinute       = 20
)

// Share is the part of Telegram's flood limits the bot's messages use.
// Telegram states its limits only roughly ("about 30 a second"), a photo
// takes longer from its slot to Telegram than an eSIM Go request, and a
// flood-control answer holds a chat for seconds; nothing here needs the
// last messages per second (a burst of orders is held to eSIM Go's 10 a
// second first).
const Share = 0.85

// uploadTime is what a message still needs after its slot (a QR photo's
// upload): a slot is booked only if that fits before the context's deadline.
const uploadTime = 5 * time.Second

// send books the message's slot on the bot's and the chat's lanes, sends
// it, and after Telegram's own 429 keeps the chat's lane closed for
// retry_after, for every process.
func (b *Bot) send(ctx context.Context, method string, chatID int64, call func() error) error {
	if err := b.waitTurn(ctx, method, chatID); err != nil {
		return err
	}
	err := call()
	if d := RetryAfter(err); d > 0 && b.budget != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if herr := b.budget.Hold(hctx, b.chatLane(chatID).Key, d); herr != nil {
			return errors.Join(err, herr)
		}
	}
	return err
}

func (b *Bot) waitTurn(ctx context.Context, method string, chatID int64) error {
	if b.budget == nil {
		return nil
	}
	r := budget.Request{Priority: budget.PriorityOf(ctx), MaxWait: budget.MaxWaitOf(ctx)}
	if b.botLane.Gap > 0 {
		r.Lanes = append(r.Lanes, b.botLane)
	}
	if b.chatRate > 0 {
		r.Lanes = append(r.Lanes, b.chatLane(chatID))
	}
	if dl, ok := ctx.Deadline(); ok {
		if fits := time.Until(dl) - uploadTime; r.MaxWait <= 0 || fits < r.MaxWait {
			r.MaxWait = max(fits, time.Nanosecond)
		}
	}
	err := budget.Wait(ctx, b.budget, r)
	var busy *budget.BusyError
	switch {
	case errors.As(err, &busy):
		return fmt.Errorf("telegram %s: not sent: %w", method, busy)
	case err != nil:
		return &TransportError{Method: method, Err: fmt.Errorf("not sent: wait for the message budget: %w", err)}
	}
	return nil
}

func (b *Bot) chatLane(chatID int64) budget.Lane {
	rate := b.chatRate
	if chatID < 0 { // groups and channels have negative ids
		rate = min(rate, GroupMessagesPerMinute/60.0)
	}
	return budget.LaneWith(b.botLane.Key+":chat:"+strconv.FormatInt(chatID, 10), rate, Share)
}

// isBusy reports the store's own budget holding a message back: retryable
// after its RetryAfter, like Telegram's flood control.
func isBusy(err error) (*budget.BusyError, bool) {
	var busy *budget.BusyError
	return busy, errors.As(err, &busy)
}
