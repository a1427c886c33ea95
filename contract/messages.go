package contract

import "time"

// Source says how an order began.
type Source string

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

	// Process is the shape of the run's steps, chosen when the run starts
	// (contract.CurrentProcess). Runs recorded before the field existed carry
	// 0 and replay their original steps. Versioning by input rather than
	// workflow.GetVersion costs no marker and no TemporalChangeVersion
	// search-attribute write per order, which the server pays for.
	Process int
}

// Process shapes of OrderWorkflow.
const (
	// ProcessFirst: every eSIM Go and Telegram call after the payment is a
	// regular activity.
	ProcessFirst = 0
	// ProcessFastPath: the purchase and the delivery are tried once as
	// local activities inside the payment's workflow task, falling back to
	// regular activities with the full retry policies; intermediate
	// statuses do not touch the OrderStatus search attribute.
	ProcessFastPath = 1

	CurrentProcess = ProcessFastPath
)

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

// Refusal codes of the preCheckout validator; the webhook turns them into
// the buyer's language.
const (
	RefuseNotOwner      = "not_owner"
	RefuseNotAwaiting   = "not_awaiting"
	RefuseExpired       = "expired"
	RefuseWrongAmount   = "wrong_amount"
	RefuseWrongCurrency = "wrong_currency"
	RefuseUnknown       = "unknown_order"
	RefuseBusy          = "busy"
)

// Application error types that callers of the updates branch on.
const (
	ErrTypeAlreadyRefunded = "AlreadyRefunded"
	ErrTypeNotPaid         = "NotPaid"
	ErrTypeCheckoutRefused = "CheckoutRefused"
	ErrTypeInvoiceFailed   = "InvoiceFailed"
	ErrTypeUnknownOrder    = "UnknownOrder"
)
