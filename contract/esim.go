package contract

import "time"

// After the sale: eSIM Go's callbacks about an eSIM (usage, profile status)
// are handled by one ESIMWorkflow per eSIM, so everything said about one
// eSIM is decided in order, by one owner. (Install reminders come from a
// periodic sweep; esimDelivered is only read by runs older releases began.)
// Account-wide callbacks (balance alerts) go to one workflow of their own.
// Both are started on demand (signal-with-start) and close when idle.
const (
	ESIMWorkflowType = "ESIMWorkflow"
	// SignalCallback carries a stored callback's inbox key (CallbackSignal).
	SignalCallback = "esimgoCallback"
	// SignalDelivered told the eSIM's workflow a new eSIM reached the
	// buyer, which started its install-reminder timer (DeliveredSignal).
	// No longer sent; runs that received it still act on it.
	SignalDelivered = "esimDelivered"
	// AccountWorkflowID handles callbacks that name no eSIM.
	AccountWorkflowID = "esimgo-account"
)

// ESIMWorkflowID is the id of the workflow that owns one eSIM's after-sale events.
func ESIMWorkflowID(iccid string) string { return "esim-" + iccid }

// ESIMInput starts (or continues) an ESIMWorkflow.
type ESIMInput struct {
	// ICCID is empty for the account workflow.
	ICCID string
	// RemindAt, when set, is when the install reminder is due (carried
	// across continue-as-new).
	RemindAt time.Time
	// Reminded means the reminder was handled by an earlier run.
	Reminded bool
}

// CallbackSignal names one callback in the inbox by the SHA-256 of its body.
type CallbackSignal struct {
	Hash string `json:"hash"`
}

// DeliveredSignal means the QR of a new eSIM was sent for OrderID; if the eSIM
// is not installed by RemindAt, the buyer gets one reminder.
type DeliveredSignal struct {
	OrderID  string    `json:"order_id"`
	RemindAt time.Time `json:"remind_at"`
}
