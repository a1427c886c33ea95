package contract

import "time"

// Source says how an order began.
type Source string

// The ways an order begins.
const (
	SourceMiniApp Source = "miniapp"
	SourceChat    Source = "chat"    // /start plan_<id>: invoice sent in the chat
	SourcePayment Source = "payment" // a payment arrived for an order whose workflow was closed or unknown
)

// Input starts an OrderWorkflow. Everything the workflow needs to decide
// deterministically travels here; prices come from the server's own plan
// table inside the quote activity, never from the client.
type Input struct {
	OrderID      string
	UserID       int64
	ChatID       int64
	LanguageCode string
	PlanID       string
	Source       Source
	// ICCID, when set, makes the order a top-up: its bundle is added to
	// this eSIM of the buyer's instead of coming on a new eSIM.
	ICCID string

	InvoiceTTL         time.Duration
	FulfilmentDeadline time.Duration
	// SupportWindow keeps a fulfilled order's workflow open so operators can
	// refund or re-send the QR from the Temporal UI; later actions start a
	// resumed run.
	SupportWindow time.Duration

	// Resume is set when the workflow is (re)started for an order that may
	// already exist in the ledger: by a late payment or a support refund
	// after the original run closed. The run loads the order from
	// PostgreSQL instead of quoting a new one.
	Resume bool
}

// Payment is the `payment` signal: one Telegram successful_payment.
type Payment struct {
	ChargeID                   string
	ProviderChargeID           string
	UserID                     int64
	Currency                   string
	TotalAmount                int64
	InvoicePayload             string
	IsRecurring                bool
	IsFirstRecurring           bool
	SubscriptionExpirationDate int64
	UpdateID                   int64
}

// PreCheckout is the `preCheckout` update: one Telegram pre_checkout_query.
type PreCheckout struct {
	QueryID     string
	UserID      int64
	Currency    string
	TotalAmount int64
	Payload     string
}

// RefundRequest is the `refund` update sent by support staff.
type RefundRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// ESIM is what a buyer needs to install the eSIM. No QR bytes: the image is
// rendered from these fields whenever it is needed.
type ESIM struct {
	Reference   string `json:"reference"`
	ICCID       string `json:"iccid"`
	SMDPAddress string `json:"smdp_address"`
	MatchingID  string `json:"matching_id"`
	LPA         string `json:"lpa"`
}

// Refund describes a refund of one charge.
type Refund struct {
	ChargeID string    `json:"charge_id"`
	Reason   string    `json:"reason"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// View is the answer of the `status` query.
type View struct {
	OrderID     string   `json:"order_id"`
	Status      Status   `json:"status"`
	PlanID      string   `json:"plan_id"`
	UserID      int64    `json:"user_id"`
	Stars       int64    `json:"price_stars"`
	PriceUSD    string   `json:"price_usd"`
	InvoiceLink string   `json:"invoice_link,omitempty"`
	ChargeID    string   `json:"charge_id,omitempty"`
	ESIM        *ESIM    `json:"esim,omitempty"`
	Refunds     []Refund `json:"refunds,omitempty"`
	LastError   string   `json:"last_error,omitempty"`
}

// Invoice is the answer of the `invoice` update.
type Invoice struct {
	OrderID     string `json:"order_id"`
	Status      Status `json:"status"`
	InvoiceLink string `json:"invoice_link"`
	PriceStars  int64  `json:"price_stars"`
	PriceUSD    string `json:"price_usd"`
}

// Refusal is why a pre-checkout query was refused. The preCheckout
// validator returns it as the message of an ErrTypeCheckoutRefused error;
// approval is the absence of that error, never an empty Refusal. The
// webhook turns it into the buyer's language.
type Refusal string

// The reasons a pre-checkout query is refused.
const (
	RefuseNotOwner      Refusal = "not_owner"
	RefuseNotAwaiting   Refusal = "not_awaiting"
	RefuseExpired       Refusal = "expired"
	RefuseWrongAmount   Refusal = "wrong_amount"
	RefuseWrongCurrency Refusal = "wrong_currency"
	RefuseUnknown       Refusal = "unknown_order"
	RefuseBusy          Refusal = "busy"
	// Top-ups and sales pauses: decided by package checkout before the
	// workflow is asked, from the ledger and eSIM Go.
	RefuseESIMNotFound Refusal = "esim_not_found" // the eSIM to top up is no longer the buyer's
	RefuseIncompatible Refusal = "incompatible"   // eSIM Go says the bundle cannot go onto the eSIM
	RefuseSalesPaused  Refusal = "sales_paused"   // the eSIM Go balance is below STOP_SALES_BELOW_USD
)

// RefundReason says why a charge is refunded. The value is stored with the
// refund (refunds.reason_code), labels the refund metric, reaches the Mini
// App as refund.code and names the buyer's text in package i18n, so values
// are only ever added.
type RefundReason string

// The refund reasons; stored values, so only ever added.
const (
	RefundESIMFailed          RefundReason = "refund_reason_esim"
	RefundDuplicate           RefundReason = "refund_reason_duplicate"
	RefundLate                RefundReason = "refund_reason_late"
	RefundWrongAmount         RefundReason = "refund_reason_amount"
	RefundSupport             RefundReason = "refund_reason_support"
	RefundUnknownOrder        RefundReason = "refund_reason_unknown"
	RefundTopUpFailed         RefundReason = "refund_reason_top_up"
	RefundSubscriptionStopped RefundReason = "refund_reason_subscription_stopped"
)

// RefundReasons lists every reason, for tests that each has a text.
var RefundReasons = []RefundReason{RefundESIMFailed, RefundDuplicate, RefundLate, RefundWrongAmount, RefundSupport,
	RefundUnknownOrder, RefundTopUpFailed, RefundSubscriptionStopped}
