package telegramtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/starsesim/esimstore/telegram"
)

// A support desk in Telegram is a group of staff where the bot copies what
// buyers write and from where it copies the staff's replies back. This file
// lets tests play both sides: people writing (text or photos, in private
// chats or groups, as replies), pressing inline buttons, and the bot's
// copyMessage and answerCallbackQuery.

// UserMessage is something a person sends to a chat the bot is in.
type UserMessage struct {
	From telegram.User
	// ChatID is a group added with AddGroup; 0 means the private chat with
	// the bot (whose id is From.ID).
	ChatID int64
	// Text is the message text, or the caption of Photo.
	Text string
	// Photo makes it a photo message (PNG or JPEG bytes).
	Photo []byte
	// ReplyTo is a message of the same chat this one answers.
	ReplyTo int64
}

// Send delivers the message to the webhook as Telegram would and returns
// its message id. A leading /command gets a bot_command entity.
func (f *Fake) Send(ctx context.Context, m UserMessage) (int64, error) {
	chatID := m.ChatID
	if chatID == 0 {
		chatID = m.From.ID
	}
	if m.Text == "" && len(m.Photo) == 0 {
		return 0, errors.New("telegramtest: a message needs text or a photo")
	}
	if len(m.Photo) > 0 && !strings.HasPrefix(http.DetectContentType(m.Photo), "image/") {
		return 0, errors.New("telegramtest: the photo is not an image")
	}
	// People write plain text: what they send is what everyone reads.
	item := ChatItem{Kind: KindText, Text: m.Text, Plain: m.Text, ReplyTo: m.ReplyTo}
	from := m.From
	item.From = &from
	if len(m.Photo) > 0 {
		item.Kind, item.Photo, item.FileName = KindPhoto, append([]byte(nil), m.Photo...), "photo.jpg"
	}
	f.mu.Lock()
	if _, ok := f.groups[chatID]; chatID < 0 && !ok {
		f.mu.Unlock()
		return 0, fmt.Errorf("telegramtest: the bot is not in group %d", chatID)
	}
	if m.ReplyTo != 0 {
		if _, ok := f.itemLocked(chatID, m.ReplyTo); !ok {
			f.mu.Unlock()
			return 0, fmt.Errorf("telegramtest: no message %d in chat %d to reply to", m.ReplyTo, chatID)
		}
	}
	item.MessageID = f.nextMessageID
	f.nextMessageID++
	item.At = time.Now()
	f.chats[chatID] = append(f.chats[chatID], item)
	msg := f.messageLocked(chatID, item, true)
	f.mu.Unlock()
	if item.Kind == KindText && strings.HasPrefix(m.Text, "/") {
		end := strings.IndexAny(m.Text, " \n\t")
		if end < 0 {
			end = len(m.Text)
		}
		msg.Entities = []telegram.MessageEntity{{Type: "bot_command", Offset: 0, Length: utf8.RuneCountInString(m.Text[:end])}}
	}
	_, err := f.deliver(ctx, f.newUpdate("message", msg))
	return item.MessageID, err
}

// copyMessage copies a person's or the bot's message into another chat.
// Service messages and invoices cannot be copied.
func (f *Fake) copyMessage(_ *http.Request, c *Call) (any, *apiError) {
	chatID, aerr := chatIDParam(c)
	if aerr != nil {
		return nil, aerr
	}
	if !c.Has("from_chat_id") {
		return nil, missing("from_chat_id")
	}
	fromChat, ok := c.Int("from_chat_id")
	if !ok || fromChat == 0 {
		return nil, badRequest("chat not found")
	}
	msgID, ok := c.Int("message_id")
	if !ok {
		return nil, missing("message_id")
	}
	if aerr := f.checkReachable(chatID); aerr != nil {
		return nil, aerr
	}
	f.mu.Lock()
	orig, found := f.itemLocked(fromChat, msgID)
	f.mu.Unlock()
	if !found {
		return nil, badRequest("message to copy not found")
	}
	switch orig.Kind {
	case KindPayment, KindRefund, KindInvoice:
		return nil, badRequest("message can't be copied")
	}
	// A copy keeps the text with its formatting (entities).
	cp := ChatItem{Kind: orig.Kind, Text: orig.Text, Plain: orig.Plain, ParseMode: orig.ParseMode, Photo: orig.Photo,
		FileName: orig.FileName, CopyOf: &MessageRef{ChatID: fromChat, MessageID: msgID}}
	if c.Has("caption") && orig.Kind == KindPhoto {
		cp.Text, cp.ParseMode = c.Param("caption"), c.Param("parse_mode")
		plain, aerr := parseEntities(cp.ParseMode, cp.Text)
		if aerr != nil {
			return nil, aerr
		}
		if utf8.RuneCountInString(plain) > maxCaptionLength {
			return nil, badRequest("message caption is too long")
		}
		cp.Plain = plain
	}
	buttons, aerr := inlineButtons(c)
	if aerr != nil {
		return nil, aerr
	}
	cp.Buttons = buttons
	if cp.ReplyTo, aerr = f.replyParam(c, chatID); aerr != nil {
		return nil, aerr
	}
	msg := f.addChat(chatID, cp)
	return map[string]any{"message_id": msg.MessageID}, nil
}

// callback is one press of an inline button, waiting for its answer.
type callback struct {
	answered bool
	answer   CallbackAnswer
}

// CallbackAnswer is what the bot answered to a button press.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
}

// ErrNoSuchButton means the message has no callback button with that text.
var ErrNoSuchButton = errors.New("telegramtest: no such callback button")

// PressButton plays from pressing the inline button labelled text under the
// bot's message messageID of chatID: a callback_query with the button's
// data is delivered to the webhook. It returns the query's id.
func (f *Fake) PressButton(ctx context.Context, chatID, messageID int64, from telegram.User, text string) (string, error) {
	f.mu.Lock()
	it, ok := f.itemLocked(chatID, messageID)
	data := ""
	if ok && it.FromBot {
		for _, b := range it.Buttons {
			if b.Text == text && b.CallbackData != "" {
				data = b.CallbackData
				break
			}
		}
	}
	if data == "" {
		f.mu.Unlock()
		return "", fmt.Errorf("%w: %q under message %d of chat %d", ErrNoSuchButton, text, messageID, chatID)
	}
	id := randomDigits()
	f.callbacks[id] = &callback{}
	msg := f.messageLocked(chatID, it, false)
	f.mu.Unlock()
	_, err := f.deliver(ctx, f.newUpdate("callback_query", telegram.CallbackQuery{
		ID: id, From: from, Message: &msg, ChatInstance: strconv.FormatInt(chatID*7919, 10), Data: data,
	}))
	return id, err
}

func (f *Fake) answerCallbackQuery(_ *http.Request, c *Call) (any, *apiError) {
	id := c.Param("callback_query_id")
	if id == "" {
		return nil, missing("callback_query_id")
	}
	text := c.Param("text")
	if utf8.RuneCountInString(text) > telegram.MaxCallbackAnswer {
		return nil, badRequest("MESSAGE_TOO_LONG") // modelled on MTProto's error name
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cb, ok := f.callbacks[id]
	if !ok || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	cb.answered = true
	cb.answer = CallbackAnswer{Text: text, ShowAlert: c.Bool("show_alert")}
	return true, nil
}

// CallbackAnswered returns the bot's answer to a button press, if it gave one.
func (f *Fake) CallbackAnswered(queryID string) (CallbackAnswer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cb, ok := f.callbacks[queryID]
	if !ok || !cb.answered {
		return CallbackAnswer{}, false
	}
	return cb.answer, true
}
