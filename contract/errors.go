package contract

// Temporal application error types: every type the store's workflows and
// activities raise, in one list, because retry policies, workflows and the
// checkout service branch on them by name. A type is only ever added.
const (
	// Answers of the workflows' updates, for their callers (package checkout).
	ErrTypeAlreadyRefunded = "AlreadyRefunded" // refund update: nothing left to refund
	ErrTypeNotPaid         = "NotPaid"         // refund update: no accepted payment
	ErrTypeInvalidRefund   = "InvalidRefund"   // refund update: no reason or no author
	ErrTypeCheckoutRefused = "CheckoutRefused" // preCheckout update: the message is a Refusal
	ErrTypeInvoiceFailed   = "InvoiceFailed"   // invoice update: no invoice could be made
	ErrTypeUnknownOrder    = "UnknownOrder"    // a resumed run found no such order or subscription
	ErrTypeNotSubscriber   = "NotSubscriber"   // cancel update from someone else
	ErrTypeNotActive       = "NotActive"       // cancel update for a subscription that does not renew

	// Activity failures that retry policies stop on.
	ErrTypePermanentESIM   = "PermanentESIMError"     // eSIM Go refused for good: refund at once
	ErrTypePermanentTG     = "PermanentTelegramError" // Telegram refused the request as malformed
	ErrTypeBotBlocked      = "BotBlocked"             // the buyer blocked the bot: do not retry
	ErrTypeUnknownPlan     = "UnknownPlan"            // the plan is not (or no longer) on sale
	ErrTypeUnpriceable     = "Unpriceable"            // the plan's price cannot be turned into Stars
	ErrTypeNotSubscribable = "NotSubscribable"        // the price exceeds Telegram's subscription limit
	ErrTypeIncompatible    = "ESIMIncompatible"       // the bundle cannot go onto that eSIM
	ErrTypeTopUpReassigned = "ESIMTopUpReassigned"    // eSIM Go put a top-up on a different eSIM

	// Activity failures that are retried; the type only informs operators.
	ErrTypeOutcomeESIM             = "ESIMOutcomeUnknown"      // the next attempt looks the order up first
	ErrTypeESIMNotAssigned         = "ESIMNotAssigned"         // eSIM Go has not assigned the eSIM yet
	ErrTypeESIMRateLimited         = "ESIMRateLimited"         // eSIM Go answered 429; retried after Retry-After
	ErrTypeESIMInsufficientBalance = "ESIMInsufficientBalance" // operators must top up the eSIM Go balance
	ErrTypeTelegramRateLimited     = "TelegramRateLimited"     // Telegram answered 429; retried after retry_after
	ErrTypeTelegramUnavailable     = "TelegramUnavailable"     // network or 5xx
	// Other transient eSIM Go failures are typed "ESIM" + the esimgo error
	// kind (ESIMUnavailable, ESIMTimeout, …).
	ErrTypeESIMPrefix = "ESIM"
)
