package telegram

// The structs below mirror Telegram's JSON names but carry only the fields the
// store reads. Decoding them with encoding/json ignores everything else, which
// is what keeps webhook parsing working when Telegram adds fields.

// User is a Telegram user as seen in updates and in Mini App initData.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot,omitempty"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
	IsPremium    bool   `json:"is_premium,omitempty"`
	PhotoURL     string `json:"photo_url,omitempty"`
}

// Chat is the conversation a message belongs to; for the store it is almost
// always the private chat with the buyer, whose ID equals the user ID.
type Chat struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title,omitempty"` // groups
	Username string `json:"username,omitempty"`
}

// Message is an incoming message or service message.
type Message struct {
	MessageID int64           `json:"message_id"`
	From      *User           `json:"from,omitempty"`
	Chat      Chat            `json:"chat"`
	Date      int64           `json:"date"`
	Text      string          `json:"text,omitempty"`
	Entities  []MessageEntity `json:"entities,omitempty"`
	Caption   string          `json:"caption,omitempty"`
	Photo     []PhotoSize     `json:"photo,omitempty"`
	// ReplyToMessage is the message this one answers (in the same chat);
	// Telegram does not nest it further.
	ReplyToMessage    *Message           `json:"reply_to_message,omitempty"`
	SuccessfulPayment *SuccessfulPayment `json:"successful_payment,omitempty"`
	RefundedPayment   *RefundedPayment   `json:"refunded_payment,omitempty"`
}

// PhotoSize is one size of a photo; a photo message carries several.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// CallbackQuery is a press on an inline button with callback data. Message
// is the bot's message that carries the button (its date is 0 when the
// message is too old for the bot to see).
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// MessageEntity marks a span of Text; only bot_command entities matter here.
type MessageEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// PreCheckoutQuery must be answered within 10 seconds or the buyer sees an error.
type PreCheckoutQuery struct {
	ID             string `json:"id"`
	From           User   `json:"from"`
	Currency       string `json:"currency"`
	TotalAmount    int64  `json:"total_amount"`
	InvoicePayload string `json:"invoice_payload"`
}

// SuccessfulPayment is the only proof of payment; TelegramPaymentChargeID is
// the idempotency key (one invoice may be paid many times).
type SuccessfulPayment struct {
	Currency                   string `json:"currency"`
	TotalAmount                int64  `json:"total_amount"`
	InvoicePayload             string `json:"invoice_payload"`
	SubscriptionExpirationDate int64  `json:"subscription_expiration_date,omitempty"`
	IsRecurring                bool   `json:"is_recurring,omitempty"`
	IsFirstRecurring           bool   `json:"is_first_recurring,omitempty"`
	TelegramPaymentChargeID    string `json:"telegram_payment_charge_id"`
	ProviderPaymentChargeID    string `json:"provider_payment_charge_id"`
}

// RefundedPayment is the service message Telegram posts after a refund.
type RefundedPayment struct {
	Currency                string `json:"currency"`
	TotalAmount             int64  `json:"total_amount"`
	InvoicePayload          string `json:"invoice_payload"`
	TelegramPaymentChargeID string `json:"telegram_payment_charge_id"`
	ProviderPaymentChargeID string `json:"provider_payment_charge_id,omitempty"`
}

// Subscription states carried by SubscriptionUpdate.State (Bot API 10.2).
const (
	SubscriptionCanceled = "canceled"
	SubscriptionActive   = "active"
	SubscriptionFailed   = "failed"
)

// SubscriptionUpdate is Telegram's BotSubscriptionUpdated (Bot API 10.2).
type SubscriptionUpdate struct {
	User           User   `json:"user"`
	InvoicePayload string `json:"invoice_payload"`
	State          string `json:"state"`
}

// Update is one webhook delivery. Exactly one of the pointers is set for the
// kinds the store handles; all are nil for kinds it ignores.
type Update struct {
	UpdateID         int64               `json:"update_id"`
	Message          *Message            `json:"message,omitempty"`
	PreCheckoutQuery *PreCheckoutQuery   `json:"pre_checkout_query,omitempty"`
	CallbackQuery    *CallbackQuery      `json:"callback_query,omitempty"`
	Subscription     *SubscriptionUpdate `json:"subscription,omitempty"`
}

// Command is a bot command shown in the client's menu.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// StarTransaction is one entry of the bot's Star ledger. For an incoming
// payment ID equals the charge id; a refund reuses the original's ID and has
// Receiver set instead of Source.
type StarTransaction struct {
	ID             string              `json:"id"`
	Amount         int64               `json:"amount"`
	NanostarAmount int64               `json:"nanostar_amount,omitempty"`
	Date           int64               `json:"date"`
	Source         *TransactionPartner `json:"source,omitempty"`
	Receiver       *TransactionPartner `json:"receiver,omitempty"`
}

// TransactionPartner flattens Telegram's TransactionPartner union; the store
// only meets the "user" variant, the others keep just their Type.
type TransactionPartner struct {
	Type               string `json:"type"`
	TransactionType    string `json:"transaction_type,omitempty"`
	User               *User  `json:"user,omitempty"`
	InvoicePayload     string `json:"invoice_payload,omitempty"`
	SubscriptionPeriod int    `json:"subscription_period,omitempty"`
}
