// Package checkout is the client side of the order and subscription
// workflows: the one place that starts, updates and signals them (create an
// order, ask the pre-checkout question, hand over a payment, request a
// support refund, cancel a subscription). The HTTP API, the bot chat and the
// support CLI all go through it, so each money path has one implementation.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/usage"
	"github.com/starsesim/esimstore/workflows"
)

// Service talks to Temporal and the ledger on behalf of callers.
type Service struct {
	// BotID scopes order ids: stores of different bots may share a
	// Temporal namespace without their orders colliding.
	BotID              int64
	Temporal           client.Client
	Store              *store.Store
	TaskQueue          string
	InvoiceTTL         time.Duration
	FulfilmentDeadline time.Duration
	SupportWindow      time.Duration
	Logger             *slog.Logger
	Now                func() time.Time
	// OnNewPayment is told the Stars of every charge the first time it is
	// recorded (the Stars-taken metric); nil ignores it.
	OnNewPayment func(stars int64)
	// MaxOpenOrders caps a buyer's unpaid orders and subscriptions waiting
	// for their first payment (checkout/limits.go); 0 means no cap.
	MaxOpenOrders int
	// Rate limits how often a buyer may start an order or a subscription or
	// cancel one; nil means no limit.
	Rate *BuyerRate
	// Usage answers top-up compatibility (checkout/esims.go); nil skips it.
	Usage *usage.Service
	// Sales pauses new sales below the eSIM Go balance floor; nil never does.
	Sales *SalesGate

	locks buyerLocks
}

// Errors callers turn into answers.
var (
	ErrPlanNotFound    = errors.New("plan not found or not on sale")
	ErrOrderNotFound   = errors.New("order not found")
	ErrAlreadyRefunded = errors.New("order already refunded")
	ErrNotPaid         = errors.New("order not paid")
	ErrInvoiceFailed   = errors.New("invoice could not be created")
	ErrKeyReused       = errors.New("idempotency key already used for another plan")
	// ErrSubscriptionRefund: support refunds are for orders; a subscription
	// is cancelled instead (its failed renewals are refunded automatically).
	ErrSubscriptionRefund = errors.New("subscriptions are cancelled, not refunded as orders")
	// ErrBusy: Temporal did not answer in time (no worker, or overloaded).
	// Nothing was charged; the buyer can simply try again.
	ErrBusy = errors.New("the order service is busy")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// orderNamespace scopes the deterministic order ids.
var orderNamespace = uuid.MustParse("6f1c2a7e-2b55-4a53-9b0e-5d8c0f0e9a11")

// doubleTapWindow: without an idempotency key, taps on Buy for the same
// plan within this window are one order.
const doubleTapWindow = 10 * time.Second

// CreateRequest is a buyer's wish to buy a plan.
type CreateRequest struct {
	UserID         int64
	ChatID         int64
	LanguageCode   string
	PlanID         string
	Source         contract.Source
	IdempotencyKey string
	// ICCID makes the order a top-up of that eSIM of the buyer's.
	ICCID string
}

// OrderID derives the order id from the buyer and the idempotency key, so
// a repeated request names the same workflow and Temporal itself makes the
// second start a no-op.
func (s *Service) OrderID(req CreateRequest) string {
	return uuid.NewSHA1(orderNamespace, s.requestKey(req)).String()
}

// requestKey names what a request asks for: the bot, the buyer and the
// idempotency key, or, for a tap without one, the plan and the double-tap
// window it falls in.
func (s *Service) requestKey(req CreateRequest) []byte {
	key := req.IdempotencyKey
	if key == "" {
		target := req.PlanID
		if req.ICCID != "" {
			target += ">" + req.ICCID // the same plan onto two eSIMs is two orders
		}
		key = fmt.Sprintf("%s@%d", target, s.now().UnixNano()/int64(doubleTapWindow))
	}
	return fmt.Appendf(nil, "%d:%d:%s", s.BotID, req.UserID, key)
}

// planOnSale is the plan a buyer asked for, or ErrPlanNotFound.
func (s *Service) planOnSale(ctx context.Context, id string) (store.Plan, error) {
	plan, err := s.Store.GetPlan(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !plan.OnSale) {
		return store.Plan{}, ErrPlanNotFound
	}
	return plan, err
}

// startNew is the start half of update-with-start for a new order or
// subscription: it joins a workflow of the same id that is still running
// (a repeated request) and never reuses the id of a closed one.
func (s *Service) startNew(workflowID, summary string, workflow, in any, attrs ...temporal.SearchAttributeUpdate) client.WithStartWorkflowOperation {
	return s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflowID,
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		StaticSummary:            summary,
	}, workflow, in)
}

// Create starts the order's workflow (or finds it) and returns its invoice
// as soon as the quote and invoice exist (update-with-start, early return).
func (s *Service) Create(ctx context.Context, req CreateRequest) (contract.Invoice, error) {
	plan, err := s.planOnSale(ctx, req.PlanID)
	if err != nil {
		return contract.Invoice{}, err
	}
	id := s.OrderID(req)
	defer s.lockBuyer(req.UserID)()
	existing, err := s.Store.GetOrder(ctx, id)
	if err == nil {
		if existing.PlanID != req.PlanID || existing.TopUpICCID != req.ICCID {
			return contract.Invoice{}, ErrKeyReused
		}
		if existing.Status != contract.StatusAwaitingPayment || existing.InvoiceLink != "" {
			return invoiceOf(existing), nil
		}
		// Its workflow is still making the invoice: join it, uncounted.
	} else if err := s.admitSale(ctx, req); err != nil {
		return contract.Invoice{}, err
	}
	in := s.input(id)
	in.UserID, in.ChatID, in.LanguageCode, in.PlanID, in.Source = req.UserID, req.ChatID, req.LanguageCode, req.PlanID, req.Source
	in.ICCID = req.ICCID
	summary := fmt.Sprintf("Order %s · %s · buyer %d", id, req.PlanID, req.UserID)
	if req.ICCID != "" {
		summary = fmt.Sprintf("Top-up %s · %s onto eSIM %s · buyer %d", id, req.PlanID, req.ICCID, req.UserID)
	}
	start := s.startNew(contract.WorkflowID(id), summary, workflows.OrderWorkflow, in,
		contract.AttrStatus.ValueSet(string(contract.StatusAwaitingPayment)),
		contract.AttrUserID.ValueSet(req.UserID),
		contract.AttrPlanID.ValueSet(req.PlanID),
		// The listed price; the workflow corrects it only if its quote
		// differs, which saves the server a visibility write per order.
		contract.AttrStarsAmount.ValueSet(plan.PriceStars))
	return s.startForInvoice(ctx, id, "order", start)
}

// admitSale decides whether a new order may start: sales are not paused,
// a top-up's eSIM is the buyer's and fits the bundle, and the per-buyer
// limits allow it (counted last, so refused requests cost no rate).
func (s *Service) admitSale(ctx context.Context, req CreateRequest) error {
	if err := s.Sales.Open(ctx); err != nil {
		return err
	}
	if req.ICCID != "" {
		if err := s.admitTopUp(ctx, req.UserID, req.ICCID, req.PlanID); err != nil {
			return err
		}
	}
	return s.admitNew(ctx, req.UserID)
}

// startForInvoice runs update-with-start of the `invoice` update and
// returns the invoice once the workflow has it. what names the workflow in
// errors ("order", "subscription").
func (s *Service) startForInvoice(ctx context.Context, id, what string, start client.WithStartWorkflowOperation) (contract.Invoice, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: contract.UpdateInvoice, UpdateID: "invoice", WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			// The same key was used for a workflow that has since closed.
			if existing, gerr := s.Store.GetOrder(ctx, id); gerr == nil {
				return invoiceOf(existing), nil
			}
		}
		if timedOut(ctx, err) {
			return contract.Invoice{}, fmt.Errorf("start %s %s: %w: %v", what, id, ErrBusy, err)
		}
		return contract.Invoice{}, fmt.Errorf("start %s %s: %w", what, id, err)
	}
	var inv contract.Invoice
	if err := handle.Get(ctx, &inv); err != nil {
		if hasType(err, contract.ErrTypeInvoiceFailed) {
			return contract.Invoice{}, fmt.Errorf("%s %s: %w", what, id, ErrInvoiceFailed)
		}
		if timedOut(ctx, err) {
			return contract.Invoice{}, fmt.Errorf("invoice of %s %s: %w: %v", what, id, ErrBusy, err)
		}
		return contract.Invoice{}, fmt.Errorf("invoice of %s %s: %w", what, id, err)
	}
	return inv, nil
}

func invoiceOf(o store.Order) contract.Invoice {
	return contract.Invoice{OrderID: o.ID, Status: o.Status, InvoiceLink: o.InvoiceLink, PriceStars: o.PriceStars,
		PriceUSD: o.PriceUSD.StringFixed(2)}
}

func (s *Service) input(orderID string) contract.Input {
	return contract.Input{OrderID: orderID, InvoiceTTL: s.InvoiceTTL, FulfilmentDeadline: s.FulfilmentDeadline,
		SupportWindow: s.SupportWindow}
}

// preCheckoutBudget leaves Telegram's 10 s limit ample room for the answer.
const preCheckoutBudget = 4 * time.Second

// Verdict answers a pre-checkout query: approved, or refused and why.
type Verdict struct {
	Approved bool
	Refusal  contract.Refusal // set when not approved
}

var approved = Verdict{Approved: true}

func refused(r contract.Refusal) Verdict { return Verdict{Refusal: r} }

// PreCheckout asks the order's (or subscription's) workflow whether this
// payment may go ahead. Any failure to decide is a refusal, because refusing
// moves no money.
func (s *Service) PreCheckout(ctx context.Context, pc contract.PreCheckout) Verdict {
	if contract.IsSubscriptionID(pc.Payload) {
		return s.subscriptionPreCheckout(ctx, pc) // checkout/subscriptions.go
	}
	if _, err := uuid.Parse(pc.Payload); err != nil {
		return refused(contract.RefuseUnknown)
	}
	ctx, cancel := context.WithTimeout(ctx, preCheckoutBudget)
	defer cancel()
	if r := s.orderRefusal(ctx, pc); r != "" {
		return refused(r)
	}
	verdict, err := s.askCheckout(ctx, contract.WorkflowID(pc.Payload), pc)
	if err == nil {
		return verdict
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// The workflow has closed: expired, or already done.
		o, gerr := s.Store.GetOrder(context.WithoutCancel(ctx), pc.Payload)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			return refused(contract.RefuseUnknown)
		case gerr == nil && o.Status == contract.StatusExpired:
			return refused(contract.RefuseExpired)
		case gerr == nil:
			return refused(contract.RefuseNotAwaiting)
		}
	}
	s.log().Error("pre-checkout undecided; refusing", "order_id", pc.Payload, "err", err)
	return refused(contract.RefuseBusy)
}

// askCheckout sends the preCheckout update to a workflow and returns its
// verdict. An error means the workflow did not decide: it is not running
// (serviceerror.NotFound) or could not be reached.
func (s *Service) askCheckout(ctx context.Context, workflowID string, pc contract.PreCheckout) (Verdict, error) {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: contract.UpdatePreCheckout, UpdateID: "pc-" + pc.QueryID,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{pc},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err == nil {
		return approved, nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == contract.ErrTypeCheckoutRefused {
		return refused(contract.Refusal(app.Message())), nil
	}
	return Verdict{}, err
}

// Payment makes one successful_payment durable: the ledger row first, then
// the workflow's signal. Signal-with-start reaches a running workflow, or
// starts a resumed one when the order's run has closed or never existed,
// so a payment is never dropped (money rules 3 and 4: docs/architecture.md#money-rules).
func (s *Service) Payment(ctx context.Context, p contract.Payment) error {
	id := p.InvoicePayload
	fresh, err := s.Store.RecordPayment(ctx, store.PaymentFromSignal(p, id))
	if err != nil {
		return err
	}
	if fresh && s.OnNewPayment != nil {
		s.OnNewPayment(p.TotalAmount)
	}
	what, workflowID := "order", contract.WorkflowID(id)
	var wf, in any
	if contract.IsSubscriptionID(id) {
		// Every charge of a subscription, renewals included, belongs to its
		// SubscriptionWorkflow, never to an order's duplicate-payment path.
		sin := s.subscriptionInput(id)
		sin.Resume, sin.UserID = true, p.UserID
		what, workflowID, wf, in = "subscription", contract.SubscriptionWorkflowID(id), workflows.SubscriptionWorkflow, sin
	} else {
		oin := s.input(id)
		oin.Resume, oin.Source, oin.UserID = true, contract.SourcePayment, p.UserID
		wf, in = workflows.OrderWorkflow, oin
	}
	_, err = s.Temporal.SignalWithStartWorkflow(ctx, workflowID, contract.SignalPayment, p,
		client.StartWorkflowOptions{
			ID: workflowID, TaskQueue: s.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(contract.AttrUserID.ValueSet(p.UserID)),
			StaticSummary:         fmt.Sprintf("Payment %s for %s %s", p.ChargeID, what, id),
		}, wf, in)
	if err != nil {
		return fmt.Errorf("signal payment %s to %s %s: %w", p.ChargeID, what, id, err)
	}
	s.log().Info("payment recorded", what+"_id", id, "charge_id", p.ChargeID, "update_id", p.UpdateID,
		"stars", p.TotalAmount, "recurring", p.IsRecurring)
	return nil
}

// Refund asks the order's workflow to refund on behalf of support. A closed
// workflow is resumed from the ledger to carry it out.
func (s *Service) Refund(ctx context.Context, orderID, reason, by string) error {
	if contract.IsSubscriptionID(orderID) {
		// A subscription's charges belong to its SubscriptionWorkflow; an
		// order workflow resumed for them would be a second owner.
		return ErrSubscriptionRefund
	}
	if _, err := s.Store.GetOrder(ctx, orderID); errors.Is(err, store.ErrNotFound) {
		return ErrOrderNotFound
	} else if err != nil {
		return err
	}
	in := s.input(orderID)
	in.Resume = true
	err := s.updateResuming(ctx, 15*time.Second, contract.WorkflowID(orderID),
		fmt.Sprintf("Support refund of order %s by %s", orderID, by), workflows.OrderWorkflow, in,
		contract.UpdateRefund, contract.RefundRequest{Reason: reason, By: by}, nil)
	switch {
	case err == nil:
		s.log().Info("support refund accepted", "order_id", orderID, "by", by)
		return nil
	case hasType(err, contract.ErrTypeAlreadyRefunded):
		return ErrAlreadyRefunded
	case hasType(err, contract.ErrTypeNotPaid):
		return ErrNotPaid
	}
	return fmt.Errorf("refund order %s: %w", orderID, err)
}

// updateResuming sends an update to a workflow and waits for its result.
// A workflow that has closed is started again with in (a resumed run that
// loads its state from the ledger), so support and buyers can still act on
// an order or a subscription whose run has ended.
func (s *Service) updateResuming(ctx context.Context, timeout time.Duration, workflowID, summary string,
	workflow, in any, update string, arg, result any) error {
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            summary,
	}, workflow, in)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: update, UpdateID: uuid.NewString(), WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{arg},
		},
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, result)
}

// Status asks a running workflow for its live view.
func (s *Service) Status(ctx context.Context, orderID string) (contract.View, error) {
	val, err := s.Temporal.QueryWorkflow(ctx, contract.WorkflowID(orderID), "", contract.QueryStatus)
	if err != nil {
		return contract.View{}, err
	}
	var v contract.View
	return v, val.Get(&v)
}

// timedOut reports whether a Temporal call failed because our deadline
// passed (the gRPC status or the context says so).
func timedOut(ctx context.Context, err error) bool {
	var dl *serviceerror.DeadlineExceeded
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &dl)
}

func hasType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
