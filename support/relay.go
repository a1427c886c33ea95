package support

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/internal/heartbeat"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// helpOrderTTL is how long "Help with this order" keeps naming the order in
// the buyer's messages to support.
const helpOrderTTL = 24 * time.Hour

// ackAfter: a buyer is told their message reached the team when they had
// written nothing for this long (the first message of a conversation).
const ackAfter = time.Hour

// BuyerMessage relays a buyer's message (anything but a command) to the
// support chat. It returns only once the message is in the relay's inbox
// and the buyer's relay workflow knows; an error makes the webhook answer
// 503, and Telegram's re-delivery is queued once (the message is the key).
func (d *Desk) BuyerMessage(ctx context.Context, m *telegram.Message) error {
	buyer := m.From.ID
	orderID := ""
	if u, err := d.Store.GetTelegramUser(ctx, buyer); err == nil && u.HelpOrderID != "" && d.now().Sub(u.HelpOrderAt) < helpOrderTTL {
		orderID = u.HelpOrderID
	}
	first, err := d.quietFor(ctx, buyer, ackAfter)
	if err != nil {
		return err
	}
	fresh, err := d.Store.QueueSupportMessage(ctx, store.SupportMessage{Direction: store.ToSupport, BuyerID: buyer,
		FromChatID: m.Chat.ID, FromMessageID: m.MessageID, FromUserID: buyer, FromName: displayName(m.From), OrderID: orderID})
	if err != nil {
		return err
	}
	if err := d.Relay.Wake(ctx, buyer); err != nil {
		return fmt.Errorf("wake the support relay of %d: %w", buyer, err)
	}
	d.log().Info("buyer message queued for support", "user_id", buyer, "message_id", m.MessageID, "order_id", orderID)
	if fresh && first {
		lang := i18n.Lang(m.From.LanguageCode)
		if err := d.Bot.SendMessage(ctx, m.Chat.ID, i18n.T(lang, i18n.SupportReceived)); err != nil {
			d.log().Warn("support acknowledgement not sent", "user_id", buyer, "err", err)
		}
	}
	return nil
}

// quietFor reports whether the buyer wrote nothing to support for quiet.
func (d *Desk) quietFor(ctx context.Context, buyer int64, quiet time.Duration) (bool, error) {
	last, err := d.Store.LastSupportMessageAt(ctx, buyer)
	if err != nil {
		return false, err
	}
	return last.IsZero() || d.now().Sub(last) > quiet, nil
}

// StartHelp answers /start help_<order id>: the buyer's next messages to
// support name that order (if it is theirs).
func (d *Desk) StartHelp(ctx context.Context, m *telegram.Message, orderID string) error {
	lang := i18n.Lang(m.From.LanguageCode)
	o, err := d.Store.GetOrder(ctx, orderID)
	if errors.Is(err, store.ErrNotFound) || err == nil && o.UserID != m.From.ID {
		return d.reply(ctx, m.Chat.ID, i18n.T(lang, i18n.HelpOrderUnknown))
	}
	if err != nil {
		return err
	}
	if err := d.Store.SetHelpOrder(ctx, m.From.ID, o.ID, d.now()); err != nil {
		return err
	}
	return d.reply(ctx, m.Chat.ID, i18n.HTML(lang, i18n.HelpStarted, o.ID))
}

// staffReply queues a staff member's reply for the buyer the replied-to
// message is about. Replies to anything else (a colleague, a command's
// answer about no buyer) stay in the group.
func (d *Desk) staffReply(ctx context.Context, m *telegram.Message) error {
	buyer, orderID, err := d.Store.SupportThread(ctx, m.Chat.ID, m.ReplyToMessage.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := d.Store.QueueSupportMessage(ctx, store.SupportMessage{Direction: store.ToBuyer, BuyerID: buyer,
		FromChatID: m.Chat.ID, FromMessageID: m.MessageID, FromUserID: m.From.ID, FromName: displayName(m.From),
		OrderID: orderID}); err != nil {
		return err
	}
	if err := d.Relay.Wake(ctx, buyer); err != nil {
		return fmt.Errorf("wake the support relay of %d: %w", buyer, err)
	}
	d.log().Info("staff reply queued for the buyer", "user_id", buyer, "staff_id", m.From.ID, "message_id", m.MessageID)
	return nil
}

func (d *Desk) reply(ctx context.Context, chatID int64, text string) error {
	if err := d.Bot.SendMessage(ctx, chatID, text); err != nil {
		d.log().Warn("chat reply not sent", "chat_id", chatID, "err", err)
	}
	return nil
}

// RelayActivities sends the relay inbox; the worker registers it.
type RelayActivities struct {
	Desk *Desk
}

// relayBatch bounds one activity run; the workflow runs it again while
// messages are waiting.
const relayBatch = 50

// RelaySupportMessages sends a buyer's pending messages, each direction in
// the order they were written, and reports how many it sent. A message
// Telegram will never take (the buyer blocked the bot, the original was
// deleted) is marked failed and the staff are told; anything else that
// fails is returned, so the activity is retried and the messages behind it
// wait their turn. Telegram has no idempotency key: a retry after a lost
// answer can show a message twice, never lose one.
func (a *RelayActivities) RelaySupportMessages(ctx context.Context, buyerID int64) (int, error) {
	d := a.Desk
	pending, err := d.Store.PendingSupportMessages(ctx, buyerID, relayBatch)
	if err != nil {
		return 0, err
	}
	defer heartbeat.Keep(ctx)()
	sent := 0
	for _, m := range pending {
		var err error
		if m.Direction == store.ToSupport {
			err = d.sendToSupport(ctx, m)
		} else {
			err = d.sendToBuyer(ctx, m)
		}
		if err != nil {
			if nerr := d.Store.NoteSupportAttempt(context.WithoutCancel(ctx), m.ID, err.Error()); nerr != nil {
				d.log().Warn("note relay attempt", "err", nerr)
			}
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// sendToSupport posts the header (once) and copies the buyer's message under it.
func (d *Desk) sendToSupport(ctx context.Context, m store.SupportMessage) error {
	if m.HeaderMessageID == 0 {
		id, err := d.Bot.Post(ctx, telegram.Outgoing{ChatID: d.ChatID, Text: d.header(ctx, m)})
		if err != nil {
			return fmt.Errorf("post header of buyer message %d: %w", m.FromMessageID, err)
		}
		if err := d.Store.SetSupportHeader(ctx, m, d.ChatID, id); err != nil {
			return err
		}
		m.HeaderMessageID = id
	}
	id, err := d.Bot.CopyMessage(ctx, d.ChatID, m.FromChatID, m.FromMessageID, m.HeaderMessageID)
	if gone(err) {
		// The buyer deleted it, or it is a kind Telegram cannot copy.
		return d.failed(ctx, m, err, telegram.Outgoing{ChatID: d.ChatID, ReplyTo: m.HeaderMessageID,
			Text: "⚠️ This message could not be copied here: " + html.EscapeString(err.Error())})
	}
	if err != nil {
		return fmt.Errorf("copy buyer message %d to support: %w", m.FromMessageID, err)
	}
	return d.Store.MarkSupportMessageSent(ctx, m, d.ChatID, id)
}

// sendToBuyer copies a staff reply into the buyer's chat, from the bot.
func (d *Desk) sendToBuyer(ctx context.Context, m store.SupportMessage) error {
	id, err := d.Bot.CopyMessage(ctx, m.BuyerID, m.FromChatID, m.FromMessageID, 0)
	if telegram.IsBlocked(err) || gone(err) {
		return d.failed(ctx, m, err, telegram.Outgoing{ChatID: m.FromChatID, ReplyTo: m.FromMessageID,
			Text: "⚠️ Not delivered to the buyer: " + html.EscapeString(err.Error())})
	}
	if err != nil {
		return fmt.Errorf("copy staff reply %d to buyer %d: %w", m.FromMessageID, m.BuyerID, err)
	}
	return d.Store.MarkSupportMessageSent(ctx, m, m.BuyerID, id)
}

// gone reports Telegram refusing to copy a message that no longer exists
// or cannot be copied: retrying cannot help.
func gone(err error) bool {
	var apiErr *telegram.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusBadRequest {
		return false
	}
	d := strings.ToLower(apiErr.Description)
	return strings.Contains(d, "message to copy not found") || strings.Contains(d, "can't be copied")
}

// failed closes a message Telegram will never take and tells the staff
// (best effort: the note is not worth blocking the buyer's other messages).
func (d *Desk) failed(ctx context.Context, m store.SupportMessage, cause error, note telegram.Outgoing) error {
	d.log().Warn("support message not relayed", "direction", m.Direction, "user_id", m.BuyerID,
		"message_id", m.FromMessageID, "err", cause)
	if err := d.Store.MarkSupportMessageFailed(ctx, m.ID, cause.Error()); err != nil {
		return err
	}
	if _, err := d.Bot.Post(ctx, note); err != nil {
		d.log().Warn("relay failure note not posted", "err", err)
	}
	return nil
}
