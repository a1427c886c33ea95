package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
)

// Outgoing is an HTML text the bot posts. ReplyTo makes it a reply to a
// message of the same chat; if that message is gone the text is still sent.
type Outgoing struct {
	ChatID  int64
	Text    string
	ReplyTo int64
	Buttons []Button
}

// Post sends an Outgoing and returns the new message's id, which the
// support chat needs to recognise replies to it.
func (b *Bot) Post(ctx context.Context, m Outgoing) (int64, error) {
	if m.Text == "" {
		return 0, errors.New("telegram sendMessage: empty text")
	}
	params := &telego.SendMessageParams{ChatID: tu.ID(m.ChatID), Text: m.Text, ParseMode: telego.ModeHTML,
		ReplyParameters: replyParams(m.ReplyTo)}
	if len(m.Buttons) > 0 {
		kb, err := keyboard(m.Buttons)
		if err != nil {
			return 0, fmt.Errorf("telegram sendMessage: %w", err)
		}
		params.ReplyMarkup = kb
	}
	var id int64
	err := b.send(ctx, "sendMessage", m.ChatID, func() error {
		msg, err := b.api.SendMessage(ctx, params)
		if err != nil {
			return wrap("sendMessage", err)
		}
		id = int64(msg.MessageID)
		return nil
	})
	return id, err
}

// CopyMessage copies a message of any kind a person sent (text, photo,
// document, …) into another chat as the bot's own, without a link to the
// original, and returns the copy's id. Service and invoice messages cannot
// be copied (Telegram answers 400).
func (b *Bot) CopyMessage(ctx context.Context, toChat, fromChat, messageID, replyTo int64) (int64, error) {
	var id int64
	err := b.send(ctx, "copyMessage", toChat, func() error {
		copied, err := b.api.CopyMessage(ctx, &telego.CopyMessageParams{
			ChatID: tu.ID(toChat), FromChatID: tu.ID(fromChat), MessageID: int(messageID),
			ReplyParameters: replyParams(replyTo),
		})
		if err != nil {
			return wrap("copyMessage", err)
		}
		id = int64(copied.MessageID)
		return nil
	})
	return id, err
}

func replyParams(messageID int64) *telego.ReplyParameters {
	if messageID == 0 {
		return nil
	}
	return &telego.ReplyParameters{MessageID: int(messageID), AllowSendingWithoutReply: true}
}

// MaxCallbackAnswer is Telegram's limit on answerCallbackQuery's text.
const MaxCallbackAnswer = 200

// AnswerCallbackQuery stops the button's spinner on the presser's client,
// showing text (up to 200 characters, plain) as a notice or, with alert, a
// dialog. Telegram accepts one answer per query, for a limited time.
func (b *Bot) AnswerCallbackQuery(ctx context.Context, queryID, text string, alert bool) error {
	if r := []rune(text); len(r) > MaxCallbackAnswer {
		text = string(r[:MaxCallbackAnswer-1]) + "…"
	}
	err := b.api.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{
		CallbackQueryID: queryID, Text: text, ShowAlert: alert,
	})
	return wrap("answerCallbackQuery", err)
}

// Username is the bot's @username (without the @), read once with getMe:
// deep links (t.me/<username>?start=…) need it.
func (b *Bot) Username(ctx context.Context) (string, error) {
	b.mu.Lock()
	name := b.username
	b.mu.Unlock()
	if name != "" {
		return name, nil
	}
	me, err := b.GetMe(ctx)
	if err != nil {
		return "", err
	}
	if me.Username == "" {
		return "", errors.New("telegram getMe: the bot has no username")
	}
	b.mu.Lock()
	b.username = me.Username
	b.mu.Unlock()
	return me.Username, nil
}
