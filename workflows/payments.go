package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
)

// The payment core: everything an order and a subscription do alike with
// the buyer's money — judge Telegram's pre-checkout, take payment signals
// (each charge once, recorded in the ledger), decide whether a charge can
// pay, and refund a charge until Telegram confirms it. It is written once
// so the money rules (docs/architecture.md#money-rules) cannot drift apart
// between the two workflows.

// approvalGrace is how long an approved checkout keeps the sale open past
// its quote expiry: Telegram sends successful_payment seconds after an
// approval, but an approved payment must never find the sale gone.
const approvalGrace = time.Hour

// sale is what a payment is judged against: the run's own quote, never
// anything the client sent (money rule 5: docs/architecture.md#rule-5-the-invoice-payload-is-only-the-order-id).
type sale struct {
	ID           string // the order or subscription id: the invoice payload
	Buyer        int64
	Stars        int64
	QuoteExpires time.Time
	Ready        bool // the quote and invoice exist (or were loaded)
	Exists       bool // false only for a payment that names no known sale
	Awaiting     bool // still waiting for its (first) payment
}

// checkoutRefusal decides a pre-checkout query: nil approves. A refusal is
// a validator error, so it leaves no trace in the workflow's history and a
// storm of bad queries costs nothing.
func checkoutRefusal(now time.Time, s sale, pc contract.PreCheckout) error {
	var refusal contract.Refusal
	switch {
	case !s.Ready || !s.Exists:
		refusal = contract.RefuseBusy
	case pc.Payload != s.ID:
		refusal = contract.RefuseUnknown
	case pc.UserID != s.Buyer:
		refusal = contract.RefuseNotOwner
	case !s.Awaiting:
		refusal = contract.RefuseNotAwaiting
	case !now.Before(s.QuoteExpires):
		refusal = contract.RefuseExpired
	case pc.Currency != telegram.CurrencyStars:
		refusal = contract.RefuseWrongCurrency
	case pc.TotalAmount != s.Stars:
		refusal = contract.RefuseWrongAmount
	default:
		return nil
	}
	return temporal.NewNonRetryableApplicationError(string(refusal), contract.ErrTypeCheckoutRefused, nil)
}

// paymentRefusal says why a charge cannot be the sale's (first) payment,
// or "" when it can (money rule 3: docs/architecture.md#rule-3-extra-late-and-wrong-payments-are-refunded-automatically).
func paymentRefusal(s sale, alreadyPaid bool, p contract.Payment) contract.RefundReason {
	switch {
	case !s.Exists:
		return contract.RefundUnknownOrder
	case alreadyPaid:
		return contract.RefundDuplicate
	case !s.Awaiting:
		return contract.RefundLate
	case p.Currency != telegram.CurrencyStars || p.TotalAmount != s.Stars || p.UserID != s.Buyer:
		return contract.RefundWrongAmount
	}
	return ""
}

// paymentDeadline is how long a sale waits for its payment: until the quote
// expires, or for approvalGrace after Telegram's approval, whichever is later.
func paymentDeadline(quoteExpires, approvedAt time.Time) time.Time {
	if !approvedAt.IsZero() && approvedAt.Add(approvalGrace).After(quoteExpires) {
		return approvedAt.Add(approvalGrace)
	}
	return quoteExpires
}

// opening is a sale's quote and invoice: ready once both exist (or were
// loaded by a resumed run), or failed with invoiceErr.
type opening struct {
	ready      bool
	invoiceErr error
}

// awaitOpen is the first half of the `invoice` update: it waits until the
// quote and invoice exist, or returns why they could not be made.
func (o *opening) awaitOpen(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return o.ready || o.invoiceErr != nil }); err != nil {
		return err
	}
	if o.invoiceErr != nil {
		return temporal.NewNonRetryableApplicationError("the invoice could not be created",
			contract.ErrTypeInvoiceFailed, o.invoiceErr)
	}
	return nil
}

// registerSaleHandlers installs the updates every sale answers the same
// way: `invoice` (update-with-start's early return of the link) and
// `preCheckout` (validated by the payment core's rules). Runs register them
// before anything that could block, so messages arriving with the start
// find them.
func registerSaleHandlers(ctx workflow.Context, invoice func(workflow.Context) (contract.Invoice, error),
	ap *approval, validate func(workflow.Context, contract.PreCheckout) error) error {
	if err := workflow.SetUpdateHandler(ctx, contract.UpdateInvoice, invoice); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdatePreCheckout, ap.approve,
		workflow.UpdateHandlerOptions{Validator: validate})
}

// approval remembers when Telegram's pre-checkout was first approved: the
// preCheckout update's handler, once its validator has let it through.
type approval struct{ approvedAt time.Time }

func (ap *approval) approve(ctx workflow.Context, _ contract.PreCheckout) error {
	if ap.approvedAt.IsZero() {
		ap.approvedAt = workflow.Now(ctx)
	}
	return nil
}

// intake reads the `payment` signal channel. Telegram may deliver a payment
// more than once, and reconciliation may signal it again: a charge id seen
// before is skipped, and every new one is written to the ledger before the
// run decides about it.
type intake struct {
	owner string
	ch    workflow.ReceiveChannel
	seen  map[string]bool
}

func newIntake(ctx workflow.Context, owner string) *intake {
	return &intake{owner: owner, ch: workflow.GetSignalChannel(ctx, contract.SignalPayment), seen: map[string]bool{}}
}

// next returns the next charge not seen before, already in the ledger.
func (in *intake) next(ctx workflow.Context) (contract.Payment, bool) {
	for {
		var p contract.Payment
		if !in.ch.ReceiveAsync(&p) {
			return contract.Payment{}, false
		}
		if in.seen[p.ChargeID] {
			continue
		}
		in.seen[p.ChargeID] = true
		dctx := durable(ctx)
		ledger(dctx, nil, a.RecordPayment, in.owner, p)
		return p, true
	}
}

func (in *intake) waiting() bool { return in.ch.Len() > 0 }

// pendingRefund is a charge that must be refunded, and why.
type pendingRefund struct {
	Payment contract.Payment
	Reason  contract.RefundReason
	Note    string // support's own words, shown to the buyer verbatim
	By      string
	// CancelCharge, when set, also stops the Telegram subscription whose
	// first charge it is, so a subscription the store refuses does not renew.
	CancelCharge string
}

// text is the reason in the buyer's language, as plain text.
func (r pendingRefund) text(lang string) string {
	if r.Reason == contract.RefundSupport {
		return i18n.T(lang, i18n.RefundReasonSupport, r.Note)
	}
	return i18n.T(lang, i18n.Key(r.Reason))
}

// refunder refunds the charges of one order or subscription, each at most
// once per run; RefundPayment itself makes a repeat across runs harmless
// (money rule 6: docs/architecture.md#rule-6-charge_already_refunded-counts-as-done).
type refunder struct {
	owner string
	done  map[string]bool
	// note puts a line on the owner's timeline (the run's own writer).
	note func(ctx workflow.Context, eventKey, event string, detail map[string]any)
}

func newRefunder(owner string, note func(workflow.Context, string, string, map[string]any)) *refunder {
	return &refunder{owner: owner, done: map[string]bool{}, note: note}
}

// refund returns one charge's Stars, retrying until Telegram confirms,
// then tells the buyer in chat (a private chat's id is the user's id). It
// runs on a disconnected context: cancelling the workflow must never
// strand money already taken (money rule 1: docs/architecture.md#rule-1-every-charge-ends-fulfilled-or-refunded). It reports false when this
// run has already refunded the charge.
func (rf *refunder) refund(ctx workflow.Context, r pendingRefund, chat int64, lang string) (contract.Refund, bool) {
	charge := r.Payment.ChargeID
	if rf.done[charge] {
		return contract.Refund{}, false
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	reason := r.text("en")
	err := workflow.ExecuteActivity(withRefund(dctx), a.RefundPayment, activities.RefundInput{
		OrderID: rf.owner, ChargeID: charge, UserID: r.Payment.UserID, Stars: r.Payment.TotalAmount,
		Reason: reason, ReasonCode: string(r.Reason), By: r.By,
	}).Get(dctx, nil)
	if err != nil {
		// Unreachable while the retry policy has no limit; if it ever is
		// reached, the charge stays open in reconciliation's report.
		rf.note(dctx, "refund_failed:"+charge, "refund_failed", map[string]any{"charge_id": charge, "error": causeText(err)})
		return contract.Refund{}, false
	}
	rf.done[charge] = true
	if r.CancelCharge != "" {
		err := workflow.ExecuteActivity(withBestEffort(dctx), a.CancelSubscription, activities.CancelInput{
			SubscriptionID: rf.owner, UserID: r.Payment.UserID, ChargeID: r.CancelCharge, By: "system",
		}).Get(dctx, nil)
		if err != nil {
			rf.note(dctx, "renewal_cancel_failed:"+r.CancelCharge, "renewal_cancel_failed",
				map[string]any{"charge_id": r.CancelCharge, "error": causeText(err)})
		}
	}
	if chat == 0 {
		chat = r.Payment.UserID
	}
	notice := i18n.HTML(lang, i18n.RefundNotice, r.Payment.TotalAmount, rf.owner, r.text(lang))
	tellBuyer(dctx, rf.owner, chat, "refund_notice:"+charge, notice, rf.note)
	return contract.Refund{ChargeID: charge, Reason: reason, By: r.By, At: workflow.Now(ctx)}, true
}

// causeText is the innermost application error's message: the provider's
// answer, without the SDK's activity-failure wrapping.
func causeText(err error) string {
	// Message, not Error: the activities put the provider's answer in the
	// message and also wrap it as the cause, which Error would repeat.
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Message() != "" {
		return app.Message()
	}
	return err.Error()
}

// tellBuyer sends an HTML message to the buyer's chat, with a few retries.
// A message that still does not arrive (Telegram refused it, or kept
// failing) is put on the timeline with Telegram's answer, so support sees
// what the buyer was never told.
func tellBuyer(ctx workflow.Context, owner string, chat int64, key, text string,
	note func(workflow.Context, string, string, map[string]any)) {
	err := workflow.ExecuteActivity(withBestEffort(ctx), a.NotifyBuyer, activities.NotifyInput{
		OrderID: owner, ChatID: chat, Text: text,
	}).Get(ctx, nil)
	if err != nil {
		note(ctx, "message_failed:"+key, "message_failed", map[string]any{"message": key, "error": causeText(err)})
	}
}
