// Package workflows holds the store's deterministic processes: the order
// (OrderWorkflow), the Stars subscription (SubscriptionWorkflow), the
// payment core they share (payments.go) and the scheduled catalogue sync
// (SyncPlansWorkflow). Everything that touches the world is an activity
// (package activities); this code only decides. How a change to a workflow
// must be versioned: docs/architecture.md#workflow-versioning.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
)

// a names activities by method expression, so renames are compile-checked.
var a *activities.Activities

// OrderWorkflow is one order, from quote to a fulfilled eSIM or a refund.
// It reads top to bottom as the order's life: open (quote and invoice),
// wait for the payment, fulfil, then settle every charge and support request.
func OrderWorkflow(ctx workflow.Context, in contract.Input) (contract.View, error) {
	w := newOrderRun(ctx, in)
	if err := w.registerHandlers(ctx); err != nil {
		return contract.View{}, err
	}

	if in.Resume {
		w.load(ctx)
		// A resumed run may have been started by support's refund: let that
		// request land before deciding to buy anything.
		await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	} else {
		w.open(ctx)
	}
	if w.view.Status == contract.StatusAwaitingPayment {
		w.awaitPayment(ctx)
	}
	if w.view.Status == contract.StatusPaid && w.supportRefund == nil {
		w.fulfil(ctx)
	}
	w.settle(durable(ctx))
	return w.view, nil
}

// durable returns ctx, or a disconnected copy once ctx is cancelled: an
// operator cancelling the workflow stops waiting and buying, but never the
// bookkeeping and refunds that settle the money already taken.
func durable(ctx workflow.Context) workflow.Context {
	if ctx.Err() == nil {
		return ctx
	}
	d, _ := workflow.NewDisconnectedContext(ctx)
	return d
}

type orderRun struct {
	in   contract.Input
	view contract.View
	lang string

	planName       string
	quoteExpiresAt time.Time
	exists         bool // false only for a payment that names no order
	opening

	approval
	approvalRecorded bool

	paid   *contract.Payment
	paidAt time.Time // starts the fulfilment deadline (again, for a resumed run)
	// lookupFrom is the earliest time an eSIM Go order for the paid charge
	// can carry: the payment, as the ledger recorded it. A resumed run,
	// hours later, must still find what an earlier run bought.
	lookupFrom time.Time
	toRefund   []pendingRefund
	payments   *intake
	refunds    *refunder

	supportRefund  *contract.RefundRequest
	supportHandled bool
	cancelFulfil   workflow.CancelFunc

	redeliver    workflow.ReceiveChannel
	redeliveries int
}

func newOrderRun(ctx workflow.Context, in contract.Input) *orderRun {
	w := &orderRun{
		in:        in,
		lang:      i18n.Lang(in.LanguageCode),
		exists:    true,
		view:      contract.View{OrderID: in.OrderID, PlanID: in.PlanID, UserID: in.UserID, Status: contract.StatusAwaitingPayment},
		payments:  newIntake(ctx, in.OrderID),
		redeliver: workflow.GetSignalChannel(ctx, contract.SignalRetry),
	}
	w.refunds = newRefunder(in.OrderID, func(ctx workflow.Context, key, event string, detail map[string]any) {
		w.note(ctx, key, event, "system", detail)
	})
	return w
}

// sale is what the payment core judges this order's payments against.
func (w *orderRun) sale() sale {
	return sale{ID: w.in.OrderID, Buyer: w.in.UserID, Stars: w.view.Stars, QuoteExpires: w.quoteExpiresAt,
		Ready: w.ready, Exists: w.exists, Awaiting: w.paid == nil && w.view.Status == contract.StatusAwaitingPayment}
}

// open quotes the plan and creates the invoice; the `invoice` update
// returns as soon as both are done (early return).
func (w *orderRun) open(ctx workflow.Context) {
	w.quoteExpiresAt = workflow.Now(ctx).Add(w.in.InvoiceTTL)
	var q activities.QuoteResult
	err := workflow.ExecuteLocalActivity(withLedger(ctx), a.Quote,
		activities.QuoteInput{Order: w.in, ExpiresAt: w.quoteExpiresAt}).Get(ctx, &q)
	if err != nil {
		w.failOpen(ctx, "quote", err)
		return
	}
	w.planName, w.view.Stars, w.view.PriceUSD = q.PlanName, q.Stars, q.PriceUSD
	// The start request carried the listed price; correct it only if the
	// quote differs, which saves the server a visibility write per order.
	if listed, ok := workflow.GetTypedSearchAttributes(ctx).GetInt64(contract.AttrStarsAmount); !ok || listed != q.Stars {
		upsertSearch(ctx, contract.AttrStarsAmount.ValueSet(q.Stars))
	}

	var link string
	err = workflow.ExecuteLocalActivity(withInvoice(ctx), a.CreateInvoice, activities.InvoiceInput{
		OrderID: w.in.OrderID, ChatID: w.in.ChatID, Lang: w.lang, PlanName: q.PlanName, Stars: q.Stars,
		InChat: w.in.Source == contract.SourceChat,
	}).Get(ctx, &link)
	if err != nil {
		w.failOpen(ctx, "invoice", err)
		return
	}
	w.view.InvoiceLink = link
	w.ready = true
	w.showDetails(ctx)
}

// failOpen ends an order that never got an invoice: nothing was paid, so
// expiring it is the whole story.
func (w *orderRun) failOpen(ctx workflow.Context, step string, err error) {
	w.invoiceErr = err
	w.view.LastError = step + ": " + err.Error()
	w.publishStatus(ctx, contract.StatusExpired, "invoice_failed", map[string]any{"step": step, "error": err.Error()})
}

// load rebuilds the state of an order whose earlier run has closed, for a
// late payment or a support refund.
func (w *orderRun) load(ctx workflow.Context) {
	var l activities.Loaded
	if err := workflow.ExecuteLocalActivity(withLedger(ctx), a.LoadOrder, w.in.OrderID).Get(ctx, &l); err != nil {
		// Unreachable with unlimited retries; kept so a bug cannot lose a charge.
		w.view.LastError = "load: " + err.Error()
	}
	w.ready = true
	if !l.Exists {
		w.exists = false
		w.view.Status = contract.StatusRefunding
		w.invoiceErr = temporal.NewNonRetryableApplicationError("unknown order", contract.ErrTypeUnknownOrder, nil)
		return
	}
	w.in.UserID, w.in.ChatID, w.in.LanguageCode, w.in.PlanID = l.Order.UserID, l.Order.ChatID, l.Order.LanguageCode, l.Order.PlanID
	w.in.ICCID = l.Order.ICCID
	w.lang = i18n.Lang(l.Order.LanguageCode)
	w.planName, w.quoteExpiresAt = l.PlanName, l.QuoteExpires
	w.view = contract.View{OrderID: w.in.OrderID, Status: l.Status, PlanID: l.Order.PlanID, UserID: l.Order.UserID,
		Stars: l.Stars, PriceUSD: l.PriceUSD, InvoiceLink: l.InvoiceLink, ESIM: l.ESIM, Refunds: l.Refunded}
	for _, r := range l.Refunded {
		w.refunds.done[r.ChargeID] = true
	}
	if l.PaidCharge != nil {
		w.paid, w.paidAt, w.lookupFrom = l.PaidCharge, workflow.Now(ctx), l.PaidSince
		if w.lookupFrom.IsZero() {
			w.lookupFrom = w.paidAt
		}
		w.payments.seen[l.PaidCharge.ChargeID] = true
		w.view.ChargeID = l.PaidCharge.ChargeID
	}
	upsertSearch(ctx, contract.AttrStatus.ValueSet(string(w.view.Status)),
		contract.AttrUserID.ValueSet(w.in.UserID), contract.AttrPlanID.ValueSet(w.in.PlanID),
		contract.AttrStarsAmount.ValueSet(w.view.Stars))
	switch {
	case w.paid == nil && (w.view.Status == contract.StatusPaid || w.view.Status == contract.StatusFulfilling):
		// The ledger cannot name the accepted charge (a run terminated
		// mid-write): take payments afresh; the first valid one is accepted.
		w.view.Status = contract.StatusAwaitingPayment
	case w.view.Status == contract.StatusFulfilling && w.paid != nil:
		// The earlier run stopped mid-fulfilment; the purchase activity
		// finds any eSIM already bought in the ledger.
		w.view.Status = contract.StatusPaid
	case w.view.Status == contract.StatusRefunding && w.paid != nil && !w.refunds.done[w.paid.ChargeID]:
		w.toRefund = append(w.toRefund, pendingRefund{Payment: *w.paid, Reason: contract.RefundESIMFailed, By: "system"})
	}
	w.showDetails(ctx)
}

// awaitPayment waits for the first valid charge until the quote expires,
// longer once Telegram's pre-checkout was approved.
func (w *orderRun) awaitPayment(ctx workflow.Context) {
	for {
		w.takePayments(ctx)
		if w.paid != nil {
			return
		}
		// The run does not wake for an approval (see below), so it notes it
		// at the next wake: a payment, or the quote timer that now extends
		// the wait.
		w.noteApproval(ctx)
		left := paymentDeadline(w.quoteExpiresAt, w.approvedAt).Sub(workflow.Now(ctx))
		if left <= 0 || ctx.Err() != nil {
			w.publishStatus(ctx, contract.StatusExpired, "expired", nil)
			return
		}
		// An approval does not wake the run: the running timer stays (when
		// it fires, the deadline above includes the grace), so the
		// preCheckout update's task carries nothing but the update.
		w.awaitWithTimeout(ctx, left, w.payments.waiting)
	}
}

// noteApproval puts Telegram's pre-checkout approval on the timeline once.
func (w *orderRun) noteApproval(ctx workflow.Context) {
	if w.approvedAt.IsZero() || w.approvalRecorded {
		return
	}
	w.approvalRecorded = true
	w.note(ctx, "checkout_approved", "checkout_approved", "buyer", map[string]any{"approved_at": w.approvedAt})
}

// awaitWithTimeout waits for cond or the timeout, and cancels its timer
// when cond wins: the SDK's AwaitWithTimeout leaves the timer running (its
// cancel-on-condition flag is off by default), and a forgotten 30-minute
// quote timer would later cost the server a timer task and an empty
// workflow task for every paid order.
func (w *orderRun) awaitWithTimeout(ctx workflow.Context, d time.Duration, cond func() bool) {
	tctx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(tctx, d)
	await(ctx, func() bool { return cond() || timer.IsReady() })
	cancel()
}

// takePayments decides every payment received so far: the first valid one
// pays the order, every other one is queued for a refund (money rule 3: docs/architecture.md#rule-3-extra-late-and-wrong-payments-are-refunded-automatically).
func (w *orderRun) takePayments(ctx workflow.Context) {
	for {
		p, ok := w.payments.next(ctx)
		if !ok {
			return
		}
		if !w.exists {
			w.view.UserID = p.UserID
			upsertSearch(durable(ctx), contract.AttrUserID.ValueSet(p.UserID))
		}
		if reason := paymentRefusal(w.sale(), w.paid != nil, p); reason != "" {
			w.note(ctx, "payment_refused:"+p.ChargeID, "payment_refused", "system",
				map[string]any{"charge_id": p.ChargeID, "stars": p.TotalAmount, "reason": string(reason)})
			w.toRefund = append(w.toRefund, pendingRefund{Payment: p, Reason: reason, By: "system"})
			continue
		}
		w.paid, w.paidAt = &p, workflow.Now(ctx)
		w.lookupFrom = w.paidAt
		w.view.ChargeID = p.ChargeID
		// Fulfilment follows in this same task; its status is the one worth
		// a search-attribute write.
		w.noteApproval(ctx)
		w.recordStatus(ctx, contract.StatusPaid, "paid:"+p.ChargeID, map[string]any{"charge_id": p.ChargeID, "stars": p.TotalAmount})
	}
}

// fulfil buys the eSIM and delivers it. A permanent refusal or the
// fulfilment deadline turns into a refund; a support refund cancels it.
func (w *orderRun) fulfil(ctx workflow.Context) {
	w.recordStatus(ctx, contract.StatusFulfilling, "fulfilling", nil)
	fctx, cancel := workflow.WithCancel(ctx)
	w.cancelFulfil = cancel
	esim, err := w.buyESIM(fctx)
	w.cancelFulfil = nil
	if err == nil && w.supportRefund != nil {
		// Support asked for a refund while the purchase ran to its end:
		// refundForSupport revokes what was bought; nothing is delivered.
		w.view.ESIM = &esim
		return
	}
	if err != nil && (w.supportRefund != nil || ctx.Err() != nil) {
		// Stopped mid-purchase (support refund or operator cancel): keep
		// whatever was bought, buy nothing new.
		dctx := durable(ctx)
		var bought *contract.ESIM
		ledger(dctx, &bought, a.LookupESIM, w.paid.ChargeID)
		if w.supportRefund != nil {
			w.view.ESIM = bought // refundForSupport revokes it
			return
		}
		if bought != nil {
			esim, err = w.installDetails(dctx, bought.Reference)
		}
	}
	if err != nil {
		w.view.LastError = "esim: " + err.Error()
		w.note(ctx, "fulfilment_failed", "fulfilment_failed", "system", map[string]any{"error": err.Error()})
		w.toRefund = append(w.toRefund, pendingRefund{Payment: *w.paid, Reason: contract.RefundESIMFailed, By: "system"})
		return
	}
	w.view.ESIM = &esim
	detail := map[string]any{"iccid": esim.ICCID, "reference": esim.Reference}
	if w.in.ICCID != "" {
		detail["top_up_of"] = w.in.ICCID
	}
	w.publishStatus(ctx, contract.StatusFulfilled, "fulfilled", detail)
	w.deliver(durable(ctx), "")
}

func (w *orderRun) buyESIM(ctx workflow.Context) (contract.ESIM, error) {
	var placed contract.ESIM
	in := activities.PlaceInput{OrderID: w.in.OrderID, ChargeID: w.paid.ChargeID, Bundle: w.in.PlanID, ICCID: w.in.ICCID,
		Since: w.lookupFrom}
	// The first try runs to its end even if support's refund or an
	// operator's cancel arrives meanwhile, so what it bought is in the
	// ledger before anyone decides what to revoke.
	first, _ := workflow.NewDisconnectedContext(ctx)
	err := tryLocalFirst(withESIMFirstTry(first), withESIM(ctx, w.fulfilmentBudget(ctx)),
		w.catchUpStatus(ctx), a.PlaceESIMOrder, in, &placed, contract.ErrTypePermanentESIM)
	if err != nil {
		return contract.ESIM{}, err
	}
	// eSIM Go's order answer usually carries the install details already;
	// skipping the second activity then saves a task round trip on the
	// buyer's wait for the QR.
	if placed.MatchingID != "" && placed.SMDPAddress != "" {
		return placed, nil
	}
	w.catchUpStatus(ctx)()
	return w.installDetails(ctx, placed.Reference)
}

func (w *orderRun) installDetails(ctx workflow.Context, reference string) (contract.ESIM, error) {
	var details contract.ESIM
	err := workflow.ExecuteActivity(withESIM(ctx, w.fulfilmentBudget(ctx)), a.FetchInstallDetails, activities.FetchInput{
		OrderID: w.in.OrderID, ChargeID: w.paid.ChargeID, Reference: reference,
	}).Get(ctx, &details)
	return details, err
}

// fulfilmentBudget is what is left of the fulfilment deadline, at least a
// minute so a resumed order still gets a real attempt.
func (w *orderRun) fulfilmentBudget(ctx workflow.Context) time.Duration {
	budget := w.paidAt.Add(w.in.FulfilmentDeadline).Sub(workflow.Now(ctx))
	if budget < time.Minute {
		budget = time.Minute
	}
	return budget
}

// deliver sends the QR to the chat. Failing to deliver does not undo the
// sale: the eSIM is the buyer's and shown in the Mini App; operators can
// send the retryDelivery signal.
func (w *orderRun) deliver(ctx workflow.Context, attempt string) {
	var res activities.DeliverResult
	in := activities.DeliverInput{
		OrderID: w.in.OrderID, ChatID: w.in.ChatID, Lang: w.lang, PlanName: w.planName, ESIM: *w.view.ESIM, Attempt: attempt,
		PaidAt: w.firstDeliveryPaidAt(attempt), PlanID: w.in.PlanID, TopUpOf: w.in.ICCID,
	}
	err := tryLocalFirst(withDeliveryFirstTry(ctx), withDelivery(ctx), func() {}, a.DeliverESIM, in, &res,
		contract.ErrTypeBotBlocked, contract.ErrTypePermanentTG)
	switch {
	case err != nil:
		w.view.LastError = "delivery: " + err.Error()
		w.note(ctx, "delivery_failed"+attempt, "delivery_failed", "system", map[string]any{"error": err.Error()})
	case res.Blocked:
		w.view.LastError = "delivery: the buyer blocked the bot; the eSIM is in the Mini App"
		w.showDetails(ctx)
	default:
		w.view.LastError = ""
		w.showDetails(ctx)
	}
}

func (w *orderRun) firstDeliveryPaidAt(attempt string) time.Time {
	if attempt != "" {
		return time.Time{}
	}
	return w.paidAt
}

// settle refunds every charge that must be refunded, serves support
// refunds and delivery retries, and keeps a fulfilled order open for the
// support window. It returns only when nothing is pending, so no signal or
// update is dropped when the run completes.
func (w *orderRun) settle(ctx workflow.Context) {
	var windowEnd time.Time
	if w.view.Status == contract.StatusFulfilled {
		windowEnd = workflow.Now(ctx).Add(w.in.SupportWindow)
	}
	for {
		if ctx.Err() != nil {
			// Cancelled while the support window was open: close it.
			ctx, windowEnd = durable(ctx), time.Time{}
		}
		w.takePayments(ctx)
		switch {
		case w.supportRefund != nil && !w.supportHandled:
			w.supportHandled = true
			w.refundForSupport(ctx)
			continue
		case len(w.toRefund) > 0:
			r := w.toRefund[0]
			w.toRefund = w.toRefund[1:]
			w.refund(ctx, r)
			continue
		case w.redeliver.ReceiveAsync(nil):
			if w.view.Status == contract.StatusFulfilled && w.view.ESIM != nil {
				w.redeliveries++
				w.deliver(ctx, fmt.Sprintf(":retry%d", w.redeliveries))
			}
			continue
		}
		if left := windowEnd.Sub(workflow.Now(ctx)); left > 0 && w.view.Status == contract.StatusFulfilled {
			w.awaitWithTimeout(ctx, left, w.hasWork)
			continue
		}
		await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		if !w.hasWork() {
			return
		}
	}
}

func (w *orderRun) hasWork() bool {
	return w.payments.waiting() || w.redeliver.Len() > 0 || len(w.toRefund) > 0 ||
		(w.supportRefund != nil && !w.supportHandled)
}

// refundForSupport takes back the bundle when one was bought, then refunds
// the order's charge with support's reason.
func (w *orderRun) refundForSupport(ctx workflow.Context) {
	r := w.supportRefund
	w.note(ctx, "refund_requested", "refund_requested", r.By, map[string]any{"reason": r.Reason})
	w.revokeBundle(ctx)
	// A failure refund already queued for the same charge is replaced by this one.
	kept := w.toRefund[:0]
	for _, p := range w.toRefund {
		if p.Payment.ChargeID != w.paid.ChargeID {
			kept = append(kept, p)
		}
	}
	w.toRefund = kept
	w.refund(ctx, pendingRefund{Payment: *w.paid, Reason: contract.RefundSupport, Note: r.Reason, By: r.By})
}

// revokeBundle takes back the bundle a support refund leaves behind, so the
// buyer is not refunded and left with a working eSIM, and the store's eSIM
// Go balance is credited. Either outcome goes on the timeline
// (bundle_revoked by the activity, bundle_revoke_failed with eSIM Go's
// answer here), so support sees every eSIM still out there.
func (w *orderRun) revokeBundle(ctx workflow.Context) {
	esim := w.view.ESIM
	if (esim == nil || esim.ICCID == "") && w.paid != nil {
		esim = w.boughtESIM(ctx)
	}
	if esim == nil {
		return // nothing was bought
	}
	failed := func(reason string) {
		w.note(ctx, activities.EventBundleRevokeFailed, activities.EventBundleRevokeFailed, "system",
			map[string]any{"iccid": esim.ICCID, "reference": esim.Reference, "bundle": w.in.PlanID, "error": reason})
	}
	if esim.ICCID == "" {
		failed("eSIM Go has not told which eSIM the order " + esim.Reference + " went to")
		return
	}
	err := workflow.ExecuteActivity(withBestEffort(ctx), a.RevokeBundle, activities.RevokeInput{
		OrderID: w.in.OrderID, ICCID: esim.ICCID, Bundle: w.in.PlanID,
	}).Get(ctx, nil)
	if err != nil {
		failed(causeText(err))
	}
}

// boughtESIM is the eSIM the ledger holds for the paid charge, its ICCID
// fetched from eSIM Go when the purchase's answer lacked it.
func (w *orderRun) boughtESIM(ctx workflow.Context) *contract.ESIM {
	var bought *contract.ESIM
	ledger(ctx, &bought, a.LookupESIM, w.paid.ChargeID)
	if bought == nil || bought.ICCID != "" || bought.Reference == "" {
		return bought
	}
	if details, err := w.installDetails(ctx, bought.Reference); err == nil {
		return &details
	}
	return bought
}

// refund returns one charge's Stars through the payment core and moves the
// order to refunded when the charge was the order's own (or the order has
// no other outcome).
func (w *orderRun) refund(ctx workflow.Context, r pendingRefund) {
	charge := r.Payment.ChargeID
	if w.refunds.done[charge] {
		return
	}
	main := w.paid != nil && w.paid.ChargeID == charge
	if main || !w.exists {
		w.publishStatus(ctx, contract.StatusRefunding, "refunding:"+charge, map[string]any{"charge_id": charge, "reason": r.text("en")})
	}
	chat := w.in.ChatID
	if !w.exists {
		chat = 0 // the payer's private chat
	}
	done, ok := w.refunds.refund(ctx, r, chat, w.lang)
	if !ok {
		return
	}
	w.view.Refunds = append(w.view.Refunds, done)
	if main || !w.exists || w.view.Status == contract.StatusExpired || w.view.Status == contract.StatusAwaitingPayment {
		w.publishStatus(ctx, contract.StatusRefunded, "", nil)
	}
}

// recordStatus moves the order to st in the ledger, on its timeline (when
// eventKey is set) and in the Temporal UI's details, but not in the
// OrderStatus search attribute: it is for a status the run leaves within
// the same workflow task, where that visibility write (paid by the server
// on every upsert) would buy nothing. publishStatus catches up.
func (w *orderRun) recordStatus(ctx workflow.Context, st contract.Status, eventKey string, detail map[string]any) {
	ctx = durable(ctx)
	w.view.Status = st
	w.showDetails(ctx)
	event := ""
	if eventKey != "" {
		event = string(st)
	}
	w.write(ctx, st, eventKey, event, "system", detail)
}

// publishStatus is recordStatus plus the OrderStatus search attribute, for
// a status the order rests in, which operators must be able to search for.
func (w *orderRun) publishStatus(ctx workflow.Context, st contract.Status, eventKey string, detail map[string]any) {
	publishSearchStatus(durable(ctx), string(st))
	w.recordStatus(ctx, st, eventKey, detail)
}

// catchUpStatus returns a step that publishes the status the run has only
// recorded so far, for just before it waits on something slow (a retried
// purchase or install-details lookup) where operators will look.
func (w *orderRun) catchUpStatus(ctx workflow.Context) func() {
	return func() { publishSearchStatus(durable(ctx), string(w.view.Status)) }
}

// publishSearchStatus writes the OrderStatus search attribute when its
// current value (the start request's, or the run's last upsert) differs.
func publishSearchStatus(ctx workflow.Context, status string) {
	if cur, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(contract.AttrStatus); cur != status {
		upsertSearch(ctx, contract.AttrStatus.ValueSet(status))
	}
}

// note puts an event on the order's timeline without changing its status.
func (w *orderRun) note(ctx workflow.Context, eventKey, event, actor string, detail map[string]any) {
	w.write(durable(ctx), "", eventKey, event, actor, detail)
}

// write is the one ledger writer behind recordStatus and note. The local
// activity retries without limit, so it returns once the row is written.
func (w *orderRun) write(ctx workflow.Context, st contract.Status, eventKey, event, actor string, detail map[string]any) {
	ledger(ctx, nil, a.RecordState, activities.StateInput{
		OrderID: w.in.OrderID, Status: st, EventKey: eventKey, Event: event, Actor: actor, Detail: detail,
		LastError: w.view.LastError,
	})
}

// showDetails is what the Temporal UI shows on the workflow page.
func (w *orderRun) showDetails(ctx workflow.Context) {
	d := fmt.Sprintf("**%s** · plan `%s` · buyer `%d` · %d ⭐ (%s USD)", w.view.Status, w.view.PlanID,
		w.view.UserID, w.view.Stars, w.view.PriceUSD)
	if w.view.ChargeID != "" {
		d += fmt.Sprintf(" · charge `%s`", w.view.ChargeID)
	}
	if w.view.ESIM != nil {
		d += fmt.Sprintf(" · ICCID `%s`", w.view.ESIM.ICCID)
	}
	if w.view.LastError != "" {
		d += "\n\nLast error: " + w.view.LastError
	}
	workflow.SetCurrentDetails(ctx, d)
}
