package telegramtest

import (
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
}

// Chat returns the private chat with userID, oldest first.
func (f *Fake) Chat(userID int64) []ChatItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ChatItem(nil), f.chats[userID]...)
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
	return nil
}

// wireMessage is the Message object returned by send* methods.
type wireMessage struct {
	MessageID int64         `json:"message_id"`
	From      telegram.User `json:"from"`
	Chat      telegram.Chat `json:"chat"`
	Date      int64         `json:"date"`
	Text      string        `json:"text,omitempty"`
	Caption   string        `json:"caption,omitempty"`
}

// addChat appends an item the bot sent and returns the Message to answer with.
func (f *Fake) addChat(chatID int64, item ChatItem) wireMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	item.MessageID = f.nextMessageID
	f.nextMessageID++
	item.At = time.Now()
	item.FromBot = true
	f.chats[chatID] = append(f.chats[chatID], item)
	msg := wireMessage{
		MessageID: item.MessageID,
		From:      f.botUser(),
		Chat:      telegram.Chat{ID: chatID, Type: "private"},
		Date:      item.At.Unix(),
	}
	// Telegram answers with the parsed text, not the markup it was sent.
	switch item.Kind {
	case KindPhoto:
		msg.Caption = item.Plain
	case KindText:
		msg.Text = item.Plain
	}
	return msg
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
