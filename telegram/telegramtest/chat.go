package telegramtest

import (
	"fmt"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// Kinds of ChatItem.
const (
	KindText    = "text"    // a text message (bot or user)
	KindPhoto   = "photo"   // a photo with caption
	KindInvoice = "invoice" // an invoice message (sendInvoice)
	KindPayment = "payment" // service message: successful payment
	KindRefund  = "refund"  // service message: refunded payment
)

// ChatItem is one entry of a private chat as the buyer would see it; the
// sandbox renders these in its simulated Telegram chat.
type ChatItem struct {
	MessageID int64
	At        time.Time
	FromBot   bool
	Kind      string
	// Text is the message text, the photo caption or the invoice title, as
	// the bot sent it (with markup when ParseMode is set).
	Text string
	// Plain is what the buyer reads of a message or caption the bot sent:
	// Text after Telegram's entity parsing (see ParseHTML).
	Plain     string
	ParseMode string
	Buttons   []telegram.Button
	Photo     []byte
	FileName  string
	// InvoiceLink identifies a sendInvoice invoice for Pay.
	InvoiceLink string
	Invoice     *Invoice
	ChargeID    string
	Amount      int64
	// From is the person who sent it (nil for the bot's own messages).
	From *telegram.User
	// ReplyTo is the message of the same chat this one replies to (0: none).
	ReplyTo int64
	// CopyOf names the original of a copyMessage copy.
	CopyOf *MessageRef
}

// MessageRef names one message of one chat.
type MessageRef struct {
	ChatID    int64
	MessageID int64
}

// Chat returns a chat, oldest first: the private chat with a user (the
// chat id is the user id) or a group added with AddGroup.
func (f *Fake) Chat(chatID int64) []ChatItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ChatItem(nil), f.chats[chatID]...)
}

// AddGroup makes the bot a member of a supergroup (ids of supergroups are
// negative: -100 followed by the group's number). Sending to a negative
// chat id the bot is not a member of fails with "chat not found".
func (f *Fake) AddGroup(chatID int64, title string) {
	if chatID >= 0 {
		panic("telegramtest: group chat ids are negative")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[chatID] = title
}

// chatLocked is the Chat object Telegram puts in messages of chatID.
func (f *Fake) chatLocked(chatID int64) telegram.Chat {
	if title, ok := f.groups[chatID]; ok {
		return telegram.Chat{ID: chatID, Type: "supergroup", Title: title}
	}
	return telegram.Chat{ID: chatID, Type: "private"}
}

// itemLocked finds a message of a chat.
func (f *Fake) itemLocked(chatID, messageID int64) (ChatItem, bool) {
	for _, it := range f.chats[chatID] {
		if it.MessageID == messageID {
			return it, true
		}
	}
	return ChatItem{}, false
}

// messageLocked is the Message object of a chat item, as Telegram sends it
// in updates and answers; withReply includes the replied-to message (one
// level deep, as Telegram does).
func (f *Fake) messageLocked(chatID int64, it ChatItem, withReply bool) telegram.Message {
	msg := telegram.Message{MessageID: it.MessageID, From: it.From, Chat: f.chatLocked(chatID), Date: it.At.Unix()}
	if it.FromBot {
		bot := f.botUser()
		msg.From = &bot
	}
	// Telegram's messages carry the parsed text, not the markup sent.
	text := it.Plain
	if text == "" {
		text = it.Text
	}
	switch it.Kind {
	case KindPhoto:
		msg.Caption = text
		msg.Photo = photoSizes(chatID, it.MessageID, len(it.Photo))
	case KindText:
		msg.Text = text
	}
	if withReply && it.ReplyTo != 0 {
		if parent, ok := f.itemLocked(chatID, it.ReplyTo); ok {
			p := f.messageLocked(chatID, parent, false)
			msg.ReplyToMessage = &p
		}
	}
	return msg
}

// photoSizes imitates the sizes Telegram makes of an uploaded photo.
func photoSizes(chatID, messageID int64, size int) []telegram.PhotoSize {
	id := fmt.Sprintf("AgACAgIAAx0C%d_%d", -chatID, messageID)
	return []telegram.PhotoSize{
		{FileID: id + "_s", FileUniqueID: "AQAD" + id + "s", Width: 90, Height: 90, FileSize: int64(size / 16)},
		{FileID: id + "_m", FileUniqueID: "AQAD" + id + "m", Width: 512, Height: 512, FileSize: int64(size)},
	}
}

// BlockUser makes the user block (or unblock) the bot: sends to that chat
// then fail with 403 as on Telegram.
func (f *Fake) BlockUser(userID int64, blocked bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[userID] = blocked
}

func (f *Fake) checkReachable(chatID int64) *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocked[chatID] {
		return forbidden("bot was blocked by the user")
	}
	if _, ok := f.groups[chatID]; chatID < 0 && !ok {
		return badRequest("chat not found")
	}
	return nil
}

// addChat appends an item the bot sent and returns the Message to answer with.
func (f *Fake) addChat(chatID int64, item ChatItem) telegram.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	item.MessageID = f.nextMessageID
	f.nextMessageID++
	item.At = time.Now()
	item.FromBot = true
	f.chats[chatID] = append(f.chats[chatID], item)
	return f.messageLocked(chatID, item, true)
}

// addUserChat records something the buyer did and returns its message id.
func (f *Fake) addUserChat(userID int64, item ChatItem) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	item.MessageID = f.nextMessageID
	f.nextMessageID++
	item.At = time.Now()
	f.chats[userID] = append(f.chats[userID], item)
	return item.MessageID
}

func (f *Fake) botUser() telegram.User {
	return telegram.User{ID: f.botID, IsBot: true, FirstName: "eSIM Store", Username: f.opts.BotUsername}
}

func chatIDParam(c *Call) (int64, *apiError) {
	if !c.Has("chat_id") {
		return 0, missing("chat_id")
	}
	id, ok := c.Int("chat_id")
	if !ok || id == 0 {
		// @channelusername is valid on Telegram but the store never uses it.
		return 0, badRequest("chat not found")
	}
	return id, nil
}

// BotUsername is the bot's @username (without the @), as getMe answers.
func (f *Fake) BotUsername() string { return f.opts.BotUsername }
