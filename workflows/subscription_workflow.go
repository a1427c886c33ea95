package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// SubscriptionWorkflow owns one Stars subscription for its whole life: the
// quote and the subscription invoice link, the first payment (a new eSIM,
// through the same activities as an order), every renewal (a top-up of that
// same eSIM), cancellation, and the refund of anything it cannot serve.
//
// Why one long-lived workflow rather than one per renewal: a renewal needs
// the subscription's state (the eSIM to top up, the first charge id that
// editUserStarSubscription needs, whether the buyer cancelled), and every
// decision about the subscription must be serialised — a renewal that
// arrives while a cancellation is being sent, or two re-sent renewals, must
// be decided one after the other by one owner. A workflow per renewal would
// rebuild that from the ledger and race with its siblings. The price of a
// long life is history growth, so the run continues as new every few
// charges (or when Temporal suggests it), carrying only SubscriptionState.
//
// Renewals never reach OrderWorkflow: the payload "sub-…" routes every
// charge of a subscription here (checkout.Service.Payment), so the order
// path's "second payment for the same order is a duplicate" rule cannot
// refund a legitimate renewal.
func SubscriptionWorkflow(ctx workflow.Context, in contract.SubscriptionInput) (contract.SubscriptionView, error) {
	w := newSubRun(ctx, in)
	if err := w.registerHandlers(ctx); err != nil {
		return contract.SubscriptionView{}, err
	}
	switch {
	case in.Carry != nil:
		w.ready = true
		w.restoreFirst(ctx)
	case in.Resume:
		w.load(ctx)
	default:
		w.open(ctx)
	}
	if w.st.Status == contract.SubAwaitingPayment {
		w.awaitFirstPayment(ctx)
	}
	if w.first != nil && w.st.ESIM == nil && w.st.Status == contract.SubActive {
		w.fulfilFirst(ctx)
	}
	return w.serve(ctx)
}

// chargesPerRun bounds one run's history: a charge costs about 20–30 events
// (top-up, notices, ledger writes), and renewals come monthly, so a run
// covers a few months and its history stays far below Temporal's limits.
const chargesPerRun = 4

// seenKept bounds the charge ids carried across continue-as-new; re-sent
// signals arrive within minutes, never months later.
const seenKept = 16

// lapseGrace: an active subscription whose renewal has not come this long
// after its expiry has ended on Telegram's side; endGrace keeps a cancelled
// one open until its paid period is over, so late updates find it running.
const (
	lapseGrace = 72 * time.Hour
	endGrace   = 24 * time.Hour
)

type subRun struct {
	in   contract.SubscriptionInput
	st   contract.SubscriptionState
	lang string

	exists bool
	opening
	approval
	first   *contract.Payment
	firstAt time.Time // starts the first period's fulfilment deadline
	// firstSince is the earliest time an eSIM Go order for the first charge
	// can carry (see orderRun.lookupFrom).
	firstSince time.Time
	lastError  string

	payments *intake
	refunds  *refunder
	renewals []contract.Payment
	toRefund []pendingRefund
	charges  int // charges decided by this run

	states workflow.ReceiveChannel
}

func newSubRun(ctx workflow.Context, in contract.SubscriptionInput) *subRun {
	w := &subRun{
		in: in, lang: i18n.Lang(in.LanguageCode), exists: true,
		st:       contract.SubscriptionState{Status: contract.SubAwaitingPayment},
		payments: newIntake(ctx, in.SubscriptionID),
		states:   workflow.GetSignalChannel(ctx, contract.SignalSubscriptionState),
	}
	w.refunds = newRefunder(in.SubscriptionID, func(ctx workflow.Context, key, event string, detail map[string]any) {
		w.noteOrder(ctx, "", key, detail)
	})
	if in.Carry != nil {
		w.st = *in.Carry
		for _, id := range in.Carry.Seen {
			w.payments.seen[id] = true
		}
		w.in.Carry = nil // the next continue-as-new builds its own
	}
	return w
}

// sale is what the payment core judges the first payment against.
func (w *subRun) sale() sale {
	return sale{ID: w.in.SubscriptionID, Buyer: w.in.UserID, Stars: w.st.Stars, QuoteExpires: w.st.QuoteExpires,
		Ready: w.ready, Exists: w.exists, Awaiting: w.first == nil && w.st.Status == contract.SubAwaitingPayment}
}

func (w *subRun) view() contract.SubscriptionView {
	return contract.SubscriptionView{SubscriptionID: w.in.SubscriptionID, UserID: w.in.UserID, PlanID: w.in.PlanID,
		SubscriptionState: w.st, LastError: w.lastError}
}

// open quotes the plan and creates the subscription link; the `invoice`
// update returns as soon as both exist.
func (w *subRun) open(ctx workflow.Context) {
	w.st.QuoteExpires = workflow.Now(ctx).Add(w.in.InvoiceTTL)
	var q activities.QuoteResult
	err := workflow.ExecuteLocalActivity(withLedger(ctx), a.OpenSubscription,
		activities.OpenSubscriptionInput{Sub: w.in, ExpiresAt: w.st.QuoteExpires}).Get(ctx, &q)
	if err == nil {
		w.st.PlanName, w.st.Stars, w.st.PriceUSD = q.PlanName, q.Stars, q.PriceUSD
		err = workflow.ExecuteLocalActivity(withInvoice(ctx), a.CreateSubscriptionInvoice, activities.InvoiceInput{
			OrderID: w.in.SubscriptionID, ChatID: w.in.ChatID, Lang: w.lang, PlanName: q.PlanName, Stars: q.Stars,
		}).Get(ctx, &w.st.InvoiceLink)
	}
	if err != nil {
		w.invoiceErr = err
		w.lastError = "open: " + err.Error()
		w.publishState(ctx, contract.SubExpired, "")
		w.noteOrder(ctx, contract.StatusExpired, "invoice_failed", map[string]any{"error": err.Error()})
		return
	}
	w.ready = true
	w.showDetails(ctx)
}

// load rebuilds a subscription whose previous run closed.
func (w *subRun) load(ctx workflow.Context) {
	var l activities.LoadedSubscription
	if err := workflow.ExecuteLocalActivity(withLedger(ctx), a.LoadSubscription, w.in.SubscriptionID).Get(ctx, &l); err != nil {
		w.lastError = "load: " + err.Error() // unreachable with unlimited retries
	}
	w.ready = true
	if !l.Exists {
		w.exists = false
		w.st.Status = contract.SubExpired
		w.invoiceErr = temporal.NewNonRetryableApplicationError("unknown subscription", contract.ErrTypeUnknownOrder, nil)
		return
	}
	fin, ttl := w.in.FulfilmentDeadline, w.in.InvoiceTTL
	w.in = l.Sub
	w.in.FulfilmentDeadline, w.in.InvoiceTTL = fin, ttl
	w.lang = i18n.Lang(l.Sub.LanguageCode)
	w.st = l.State
	// Seen holds only charges that already have an outcome (an eSIM, a
	// top-up or a refund): the charge that started this run is in the
	// ledger too, but it must still be decided when its signal is read.
	for _, id := range l.State.Seen {
		w.payments.seen[id] = true
	}
	w.restoreFirst(ctx)
	if !l.FirstPaidSince.IsZero() {
		w.firstSince = l.FirstPaidSince
	}
	publishSearchStatus(ctx, string(w.st.Status))
	w.showDetails(ctx)
}

// restoreFirst rebuilds the accepted first charge from the carried state.
func (w *subRun) restoreFirst(ctx workflow.Context) {
	if w.st.FirstChargeID != "" {
		w.first = &contract.Payment{ChargeID: w.st.FirstChargeID, UserID: w.in.UserID, TotalAmount: w.st.Stars, Currency: telegram.CurrencyStars}
		w.firstAt = workflow.Now(ctx)
		w.firstSince = w.firstAt
	}
}

// awaitFirstPayment waits for the first charge until the quote expires,
// longer once Telegram's pre-checkout was approved.
func (w *subRun) awaitFirstPayment(ctx workflow.Context) {
	for {
		w.takePayments(ctx)
		if w.first != nil || w.st.Status != contract.SubAwaitingPayment {
			return
		}
		left := paymentDeadline(w.st.QuoteExpires, w.approvedAt).Sub(workflow.Now(ctx))
		if left <= 0 || ctx.Err() != nil {
			ctx = durable(ctx)
			w.publishState(ctx, contract.SubExpired, "")
			w.noteOrder(ctx, contract.StatusExpired, "expired", nil)
			return
		}
		awaitFor(ctx, left, w.payments.waiting)
	}
}

// takePayments classifies every payment signal received so far. The first
// valid charge starts the subscription; a renewal of an active subscription
// is queued for a top-up; everything else is queued for a refund.
func (w *subRun) takePayments(ctx workflow.Context) {
	for {
		p, ok := w.payments.next(ctx)
		if !ok {
			return
		}
		w.st.Seen = append(w.st.Seen, p.ChargeID)
		w.charges++

		renewal := p.IsRecurring && !p.IsFirstRecurring && w.first != nil
		if renewal {
			// Telegram extended the subscription with this charge whether or
			// not we can serve it, so the next renewal is due from here.
			w.noteExpiry(ctx, p)
		}
		if reason := w.refusal(p, renewal); reason != "" {
			w.noteOrder(ctx, "", "payment_refused:"+p.ChargeID, map[string]any{"charge_id": p.ChargeID,
				"stars": p.TotalAmount, "reason": string(reason), "renewal": renewal})
			w.toRefund = append(w.toRefund, pendingRefund{Payment: p, Reason: reason, By: "system",
				CancelCharge: w.renewalToStop(p, renewal, reason)})
			continue
		}
		if renewal {
			w.renewals = append(w.renewals, p)
			continue
		}
		w.first, w.firstAt = &p, workflow.Now(ctx)
		w.firstSince = w.firstAt
		w.st.FirstChargeID = p.ChargeID
		w.st.Status = contract.SubActive
		w.noteExpiry(ctx, p)
		w.saveState(ctx, "")
		w.noteOrder(ctx, contract.StatusPaid, "paid:"+p.ChargeID, map[string]any{"charge_id": p.ChargeID, "stars": p.TotalAmount})
	}
}

// refusal says why a charge cannot be served, or "" when it can: a first
// payment by the payment core's rules, a renewal by the subscription's.
func (w *subRun) refusal(p contract.Payment, renewal bool) contract.RefundReason {
	if !renewal {
		return paymentRefusal(w.sale(), w.first != nil, p)
	}
	switch {
	case !w.exists:
		return contract.RefundUnknownOrder
	case !w.st.Status.Renews():
		return contract.RefundSubscriptionStopped
	case p.Currency != telegram.CurrencyStars || p.TotalAmount != w.st.Stars || p.UserID != w.in.UserID:
		return contract.RefundWrongAmount
	case w.st.ESIM == nil:
		return contract.RefundESIMFailed // the first period never delivered an eSIM to top up
	}
	return ""
}

// renewalToStop names the Telegram subscription a refused charge must
// stop, by its first charge: a refused first payment's own, or, for a
// renewal of a subscription the store itself has ended, the subscription's
// (else Telegram would keep charging, and the store keep refunding, monthly).
func (w *subRun) renewalToStop(p contract.Payment, renewal bool, reason contract.RefundReason) string {
	switch {
	case p.IsRecurring && !renewal:
		return p.ChargeID
	case renewal && reason == contract.RefundSubscriptionStopped &&
		(w.st.Status == contract.SubExpired || w.st.Status == contract.SubRefunded):
		// Cancelled and failed are Telegram's own states (or our cancel's):
		// Telegram knows, and a buyer may still re-enable it there.
		return w.st.FirstChargeID
	}
	return ""
}

// noteExpiry moves the paid-until date for a charge, never back. Telegram
// sends subscription_expiration_date with the payment; a charge recovered
// by reconciliation from the Stars transactions has none, so its period
// is derived: one subscription period from the previous end (or from now
// for the first). Without that, the store would mark a subscription
// Telegram keeps renewing as lapsed, and refund every later renewal.
func (w *subRun) noteExpiry(ctx workflow.Context, p contract.Payment) {
	end := time.Unix(p.SubscriptionExpirationDate, 0).UTC()
	if p.SubscriptionExpirationDate <= 0 {
		from := w.st.ExpiresAt
		if from.IsZero() {
			from = workflow.Now(ctx)
		}
		end = from.Add(time.Duration(telegram.SubscriptionPeriod30d) * time.Second)
	}
	if end.After(w.st.ExpiresAt) {
		w.st.ExpiresAt = end
	}
}

// fulfilFirst buys and delivers the eSIM of the first period, exactly as an
// order does. If it cannot, the first charge is refunded and the Telegram
// subscription cancelled: there is no eSIM a renewal could top up.
func (w *subRun) fulfilFirst(ctx workflow.Context) {
	w.noteOrder(ctx, contract.StatusFulfilling, "fulfilling", nil)
	budget := w.budget(ctx, w.firstAt)
	var placed, details contract.ESIM
	err := workflow.ExecuteActivity(withESIM(ctx, budget), a.PlaceESIMOrder, activities.PlaceInput{
		OrderID: w.in.SubscriptionID, ChargeID: w.first.ChargeID, Bundle: w.in.PlanID, Since: w.firstSince,
	}).Get(ctx, &placed)
	if err == nil {
		err = workflow.ExecuteActivity(withESIM(ctx, w.budget(ctx, w.firstAt)), a.FetchInstallDetails, activities.FetchInput{
			OrderID: w.in.SubscriptionID, ChargeID: w.first.ChargeID, Reference: placed.Reference,
		}).Get(ctx, &details)
	}
	if err != nil {
		w.lastError = "esim: " + err.Error()
		w.noteOrder(ctx, "", "fulfilment_failed", map[string]any{"error": err.Error()})
		w.toRefund = append(w.toRefund, pendingRefund{Payment: *w.first, Reason: contract.RefundESIMFailed, By: "system",
			CancelCharge: w.first.ChargeID})
		w.publishState(ctx, contract.SubRefunded, "")
		return
	}
	w.st.ESIM = &details
	w.st.Periods = max(w.st.Periods, 1)
	w.saveState(ctx, "")
	w.noteOrder(ctx, contract.StatusFulfilled, "fulfilled", map[string]any{"iccid": details.ICCID, "reference": details.Reference})
	var res activities.DeliverResult
	if err := workflow.ExecuteActivity(withDelivery(ctx), a.DeliverESIM, activities.DeliverInput{
		OrderID: w.in.SubscriptionID, ChatID: w.in.ChatID, Lang: w.lang, PlanName: w.st.PlanName, ESIM: details,
		PaidAt: w.firstAt,
	}).Get(ctx, &res); err != nil {
		// The eSIM is the buyer's either way (Mini App); operators can resend.
		w.lastError = "delivery: " + err.Error()
		w.noteOrder(ctx, "", "delivery_failed", map[string]any{"error": err.Error()})
	}
	w.showDetails(ctx)
}

func (w *subRun) budget(ctx workflow.Context, paidAt time.Time) time.Duration {
	return max(paidAt.Add(w.in.FulfilmentDeadline).Sub(workflow.Now(ctx)), time.Minute)
}

// renew tops the eSIM up for one renewal, through the same purchase
// activity as a top-up order, and tells the buyer; a failed top-up is
// refunded like any failed fulfilment, and so is one eSIM Go put on another
// eSIM (a subscription renews one eSIM). The subscription stays active:
// next month's top-up may well succeed, and the buyer can cancel.
func (w *subRun) renew(ctx workflow.Context, p contract.Payment) {
	paidAt := workflow.Now(ctx)
	var esim contract.ESIM
	err := workflow.ExecuteActivity(withESIM(ctx, w.budget(ctx, paidAt)), a.PlaceESIMOrder, activities.PlaceInput{
		OrderID: w.in.SubscriptionID, ChargeID: p.ChargeID, Bundle: w.in.PlanID, ICCID: w.st.ESIM.ICCID, Since: paidAt,
	}).Get(ctx, &esim)
	if err == nil && esim.ICCID != w.st.ESIM.ICCID {
		err = temporal.NewNonRetryableApplicationError("top-up "+esim.Reference+" went to eSIM "+esim.ICCID,
			contract.ErrTypeTopUpReassigned, nil)
	}
	if err != nil {
		w.lastError = "top-up: " + err.Error()
		w.noteOrder(ctx, "", "top_up_failed:"+p.ChargeID, map[string]any{"charge_id": p.ChargeID, "error": err.Error()})
		w.refund(ctx, pendingRefund{Payment: p, Reason: contract.RefundTopUpFailed, By: "system"})
		return
	}
	w.lastError = ""
	w.st.Periods++
	w.saveState(ctx, "")
	expiry := "—"
	if !w.st.ExpiresAt.IsZero() {
		expiry = w.st.ExpiresAt.Format("2006-01-02")
	}
	tellBuyer(ctx, w.in.SubscriptionID, w.chat(), "renewed:"+p.ChargeID,
		i18n.HTML(w.lang, i18n.SubscriptionRenewed, w.st.PlanName, w.st.ESIM.ICCID, expiry), w.refunds.note)
	w.showDetails(ctx)
}

// serve runs the subscription's life after the first period: renewals,
// refunds and state updates, until it has ended or the run has decided
// enough charges and continues as new.
func (w *subRun) serve(ctx workflow.Context) (contract.SubscriptionView, error) {
	cancelled := false
	for {
		if ctx.Err() != nil && !cancelled {
			// An operator cancelled the run: settle what is owed, then close.
			// A later charge resumes the subscription from the ledger.
			ctx, cancelled = durable(ctx), true
		}
		w.takePayments(ctx)
		w.takeStates(ctx)
		switch {
		case len(w.toRefund) > 0:
			r := w.toRefund[0]
			w.toRefund = w.toRefund[1:]
			w.refund(ctx, r)
			continue
		case len(w.renewals) > 0:
			p := w.renewals[0]
			w.renewals = w.renewals[1:]
			// A cancellation decided after the charge was queued still
			// lets that (already paid) period through; only the refusal
			// rules at arrival decide.
			w.renew(ctx, p)
			continue
		}
		end := w.endsAt()
		done := cancelled || (!end.IsZero() && !workflow.Now(ctx).Before(end))
		if done || w.charges >= chargesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Drain: no handler may be mid-flight and no signal unread when
			// the run closes, or it would be lost.
			await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
			if w.hasWork() {
				continue
			}
			if !done {
				carry := w.st
				carry.Seen = lastN(carry.Seen, seenKept)
				next := w.in
				next.Resume, next.Carry = false, &carry
				return contract.SubscriptionView{}, workflow.NewContinueAsNewError(ctx, SubscriptionWorkflow, next)
			}
			if w.st.Status == contract.SubActive && !cancelled {
				// No renewal came: Telegram has most likely stopped charging.
				// Cancel there too, so a renewal that only failed to reach
				// us cannot keep charging a subscription we no longer serve.
				w.publishState(ctx, contract.SubExpired, "")
				w.stopAtTelegram(ctx)
			}
			return w.view(), nil
		}
		wait := time.Duration(0)
		if !end.IsZero() {
			wait = end.Sub(workflow.Now(ctx))
		}
		if wait > 0 {
			awaitFor(ctx, wait, w.hasWork)
		} else {
			await(ctx, w.hasWork)
		}
	}
}

// endsAt is when the run may finish if nothing else happens: never while
// a paid period is running, else after the grace of its state.
func (w *subRun) endsAt() time.Time {
	switch w.st.Status {
	case contract.SubActive:
		if w.st.ExpiresAt.IsZero() {
			return time.Time{}
		}
		return w.st.ExpiresAt.Add(lapseGrace)
	case contract.SubCanceled, contract.SubFailed:
		if w.st.ExpiresAt.IsZero() {
			return time.Unix(0, 0)
		}
		return w.st.ExpiresAt.Add(endGrace)
	}
	return time.Unix(0, 0) // awaiting (expired), refunded: nothing left to serve
}

func (w *subRun) hasWork() bool {
	return w.payments.waiting() || w.states.Len() > 0 || len(w.toRefund) > 0 || len(w.renewals) > 0
}

// takeStates applies Telegram's subscription updates: "canceled" and
// "failed" stop renewals (a later renewal is refunded), "active" means the
// buyer re-enabled a subscription cancelled earlier.
func (w *subRun) takeStates(ctx workflow.Context) {
	for {
		var s contract.SubscriptionStateChange
		if !w.states.ReceiveAsync(&s) {
			return
		}
		if !w.exists || s.UserID != w.in.UserID || w.first == nil {
			continue
		}
		next := w.st.Status
		switch s.State {
		case "canceled":
			if w.st.Status == contract.SubActive {
				next = contract.SubCanceled
			}
		case "failed":
			if w.st.Status == contract.SubActive || w.st.Status == contract.SubCanceled {
				next = contract.SubFailed
			}
		case "active":
			if (w.st.Status == contract.SubCanceled || w.st.Status == contract.SubFailed) && w.st.ESIM != nil {
				next = contract.SubActive
			}
		}
		if next != w.st.Status {
			w.publishState(ctx, next, "")
			// Workflow time keeps the event key unique across runs and replays.
			w.noteOrder(ctx, "", fmt.Sprintf("subscription_%s:%d", s.State, workflow.Now(ctx).UnixNano()),
				map[string]any{"state": s.State})
		}
	}
}

// refund returns one charge's Stars through the payment core (which also
// stops the Telegram subscription of a refused first payment) and closes
// the first period's order row when it was the first charge.
func (w *subRun) refund(ctx workflow.Context, r pendingRefund) {
	chat := w.chat()
	if !w.exists {
		chat = 0 // the payer's private chat
	}
	if _, ok := w.refunds.refund(ctx, r, chat, w.lang); !ok {
		return
	}
	if w.first != nil && r.Payment.ChargeID == w.first.ChargeID {
		w.noteOrder(ctx, contract.StatusRefunded, "", nil) // RefundPayment wrote the timeline entry
	}
}

// stopAtTelegram cancels the Telegram subscription (best effort: a failure
// is on the timeline, and a later renewal is refused, refunded and cancelled
// again).
func (w *subRun) stopAtTelegram(ctx workflow.Context) {
	err := workflow.ExecuteActivity(withBestEffort(ctx), a.CancelSubscription, activities.CancelInput{
		SubscriptionID: w.in.SubscriptionID, UserID: w.in.UserID, ChargeID: w.st.FirstChargeID, By: "system",
	}).Get(ctx, nil)
	if err != nil {
		w.noteOrder(ctx, "", "renewal_cancel_failed:"+w.st.FirstChargeID,
			map[string]any{"charge_id": w.st.FirstChargeID, "error": causeText(err)})
	}
}

func (w *subRun) chat() int64 {
	if w.in.ChatID != 0 {
		return w.in.ChatID
	}
	return w.in.UserID // a private chat's id is the user's id
}

// cancel is the `cancel` update: it stops renewals on Telegram's side
// (editUserStarSubscription with the first charge) before it answers, so
// the buyer's "cancelled" is true when they read it.
func (w *subRun) cancel(ctx workflow.Context, req contract.CancelRequest) (contract.SubscriptionView, error) {
	if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
		return contract.SubscriptionView{}, err
	}
	if err := w.cancellable(req); err != nil {
		return contract.SubscriptionView{}, err
	}
	if w.st.Status == contract.SubCanceled {
		return w.view(), nil // already cancelled: the same answer again
	}
	err := workflow.ExecuteActivity(withCancel(ctx), a.CancelSubscription, activities.CancelInput{
		SubscriptionID: w.in.SubscriptionID, UserID: w.in.UserID, ChargeID: w.st.FirstChargeID, By: req.By,
	}).Get(ctx, nil)
	if err != nil {
		return contract.SubscriptionView{}, err
	}
	if w.st.Status == contract.SubActive {
		w.publishState(ctx, contract.SubCanceled, req.By)
	}
	return w.view(), nil
}

func (w *subRun) validateCancel(ctx workflow.Context, req contract.CancelRequest) error {
	if !w.ready {
		return nil // a resumed run decides once loaded
	}
	return w.cancellable(req)
}

func (w *subRun) cancellable(req contract.CancelRequest) error {
	switch {
	case !w.exists || req.UserID != w.in.UserID:
		return temporal.NewNonRetryableApplicationError("not the subscriber", contract.ErrTypeNotSubscriber, nil)
	case w.st.Status == contract.SubCanceled:
		return nil
	case w.st.Status != contract.SubActive || w.st.FirstChargeID == "":
		return temporal.NewNonRetryableApplicationError("the subscription is "+string(w.st.Status), contract.ErrTypeNotActive, nil)
	}
	return nil
}

func (w *subRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.SubscriptionView, error) {
		return w.view(), nil
	}); err != nil {
		return err
	}
	if err := registerSaleHandlers(ctx, w.invoice, &w.approval, w.validateCheckout); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateCancel, w.cancel,
		workflow.UpdateHandlerOptions{Validator: w.validateCancel})
}

func (w *subRun) invoice(ctx workflow.Context) (contract.Invoice, error) {
	if err := w.awaitOpen(ctx); err != nil {
		return contract.Invoice{}, err
	}
	st := contract.StatusAwaitingPayment
	if w.st.Status != contract.SubAwaitingPayment {
		st = contract.StatusPaid
	}
	return contract.Invoice{OrderID: w.in.SubscriptionID, Status: st, InvoiceLink: w.st.InvoiceLink,
		PriceStars: w.st.Stars, PriceUSD: w.st.PriceUSD}, nil
}

// validateCheckout decides the first payment's pre-checkout query by the
// payment core's rules (renewals have no pre-checkout).
func (w *subRun) validateCheckout(ctx workflow.Context, pc contract.PreCheckout) error {
	return checkoutRefusal(workflow.Now(ctx), w.sale(), pc)
}

// publishState moves the subscription to st (by whom, for a cancellation)
// and publishes it: see saveState.
func (w *subRun) publishState(ctx workflow.Context, st contract.SubscriptionStatus, by string) {
	w.st.Status = st
	w.saveState(ctx, by)
}

// saveState writes the subscription's row, the OrderStatus search attribute
// (when the status changed) and the Temporal UI's details: everything
// operators read about the subscription itself.
func (w *subRun) saveState(ctx workflow.Context, canceledBy string) {
	w.showDetails(ctx)
	if !w.exists {
		return
	}
	u := store.SubscriptionUpdate{ID: w.in.SubscriptionID, Status: w.st.Status, FirstChargeID: w.st.FirstChargeID,
		Periods: w.st.Periods, ExpiresAt: w.st.ExpiresAt, CanceledBy: canceledBy}
	if w.st.ESIM != nil {
		u.ICCID = w.st.ESIM.ICCID
	}
	ledger(ctx, nil, a.RecordSubscription, u)
	publishSearchStatus(ctx, string(w.st.Status))
}

// noteOrder records the first period in the subscription's order row and
// timeline (what /api/orders, /orders and support read): record only, the
// subscription's own status is published by saveState.
func (w *subRun) noteOrder(ctx workflow.Context, st contract.Status, eventKey string, detail map[string]any) {
	if !w.exists {
		return
	}
	event := ""
	if eventKey != "" {
		event = eventKey
		if i := strings.IndexByte(eventKey, ':'); i >= 0 {
			event = eventKey[:i]
		}
	}
	ledger(ctx, nil, a.RecordState, activities.StateInput{
		OrderID: w.in.SubscriptionID, Status: st, EventKey: eventKey, Event: event, Actor: "system", Detail: detail,
		LastError: w.lastError,
	})
}

// showDetails is what the Temporal UI shows on the workflow page.
func (w *subRun) showDetails(ctx workflow.Context) {
	d := fmt.Sprintf("**subscription %s** · plan `%s` · buyer `%d` · %d ⭐/30 days · %d period(s)", w.st.Status,
		w.in.PlanID, w.in.UserID, w.st.Stars, w.st.Periods)
	if w.st.ESIM != nil {
		d += fmt.Sprintf(" · ICCID `%s`", w.st.ESIM.ICCID)
	}
	if !w.st.ExpiresAt.IsZero() {
		d += " · paid until " + w.st.ExpiresAt.Format(time.RFC3339)
	}
	if w.lastError != "" {
		d += "\n\nLast error: " + w.lastError
	}
	workflow.SetCurrentDetails(ctx, d)
}

func lastN(ids []string, n int) []string {
	if len(ids) <= n {
		return slices.Clone(ids)
	}
	return slices.Clone(ids[len(ids)-n:])
}

// withCancel: the buyer waits for the answer, so cancelling has a short
// overall budget; failing it leaves the subscription active and says so.
func withCancel(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
			NonRetryableErrorTypes: []string{contract.ErrTypePermanentTG, contract.ErrTypeBotBlocked},
		},
	})
}
