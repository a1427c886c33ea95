package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/workflows"
)

// The client side of SubscriptionWorkflow. Every charge whose payload is a
// subscription id ("sub-…") comes here from Payment, never to an order's
// workflow, so a renewal cannot be mistaken for an order's duplicate payment.

// Errors of the subscription calls.
var (
	ErrNotSubscribable      = errors.New("plan costs more than a Telegram subscription may (10,000 Stars)")
	ErrSubscriptionNotFound = errors.New("subscription not found")
	ErrNotActive            = errors.New("subscription is not active")
)

// subscriptionNamespace scopes the deterministic subscription ids.
var subscriptionNamespace = uuid.MustParse("0b7b7d0e-5a0c-4e38-a2f4-3c1f6f2d9c42")

// SubscriptionID derives the subscription id like OrderID does, so a
// double tap names the same workflow.
func (s *Service) SubscriptionID(req CreateRequest) string {
	return contract.SubscriptionPrefix + uuid.NewSHA1(subscriptionNamespace, s.requestKey(req)).String()
}

func (s *Service) subscriptionInput(id string) contract.SubscriptionInput {
	return contract.SubscriptionInput{SubscriptionID: id, InvoiceTTL: s.InvoiceTTL, FulfilmentDeadline: s.FulfilmentDeadline}
}

// CreateSubscription starts the subscription's workflow and returns its
// subscription invoice link (update-with-start, early return). The
// returned Invoice's OrderID is the subscription id.
func (s *Service) CreateSubscription(ctx context.Context, req CreateRequest) (contract.Invoice, error) {
	plan, err := s.planOnSale(ctx, req.PlanID)
	if err != nil {
		return contract.Invoice{}, err
	}
	if plan.PriceStars > telegram.MaxSubscriptionStars {
		return contract.Invoice{}, ErrNotSubscribable
	}
	id := s.SubscriptionID(req)
	defer s.lockBuyer(req.UserID)()
	// A repeated request names a subscription whose order row exists; it
	// joins the same workflow without counting against the limits.
	if _, err := s.Store.GetOrder(ctx, id); err != nil {
		if err := s.Sales.Open(ctx); err != nil {
			return contract.Invoice{}, err
		}
		if err := s.admitNew(ctx, req.UserID); err != nil {
			return contract.Invoice{}, err
		}
	}
	in := s.subscriptionInput(id)
	in.UserID, in.ChatID, in.LanguageCode, in.PlanID = req.UserID, req.ChatID, req.LanguageCode, req.PlanID
	start := s.startNew(contract.SubscriptionWorkflowID(id),
		fmt.Sprintf("Subscription %s · %s · buyer %d", id, req.PlanID, req.UserID), workflows.SubscriptionWorkflow, in,
		contract.AttrStatus.ValueSet(string(contract.SubAwaitingPayment)),
		contract.AttrUserID.ValueSet(req.UserID),
		contract.AttrPlanID.ValueSet(req.PlanID))
	return s.startForInvoice(ctx, id, "subscription", start)
}

// subscriptionPreCheckout asks the subscription's workflow about the first
// payment (renewals are charged by Telegram without a pre-checkout).
func (s *Service) subscriptionPreCheckout(ctx context.Context, pc contract.PreCheckout) Verdict {
	ctx, cancel := context.WithTimeout(ctx, preCheckoutBudget)
	defer cancel()
	if err := s.Sales.Open(ctx); errors.Is(err, ErrSalesPaused) {
		return refused(contract.RefuseSalesPaused)
	}
	verdict, err := s.askCheckout(ctx, contract.SubscriptionWorkflowID(pc.Payload), pc)
	if err == nil {
		return verdict
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if _, gerr := s.Store.GetSubscription(context.WithoutCancel(ctx), pc.Payload); errors.Is(gerr, store.ErrNotFound) {
			return refused(contract.RefuseUnknown)
		}
		return refused(contract.RefuseNotAwaiting)
	}
	s.log().Error("subscription pre-checkout undecided; refusing", "subscription_id", pc.Payload, "err", err)
	return refused(contract.RefuseBusy)
}

// CancelSubscription stops the renewals of a buyer's subscription (Mini App
// and /cancel). It returns once Telegram has accepted the cancellation.
func (s *Service) CancelSubscription(ctx context.Context, id string, userID int64, by string) (contract.SubscriptionView, error) {
	sub, err := s.Store.GetSubscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sub.UserID != userID) {
		return contract.SubscriptionView{}, ErrSubscriptionNotFound
	}
	if err != nil {
		return contract.SubscriptionView{}, err
	}
	if err := s.allow(userID); err != nil {
		return contract.SubscriptionView{}, err
	}
	in := s.subscriptionInput(id)
	in.Resume = true
	var v contract.SubscriptionView
	err = s.updateResuming(ctx, 30*time.Second, contract.SubscriptionWorkflowID(id),
		fmt.Sprintf("Cancel subscription %s (%s)", id, by), workflows.SubscriptionWorkflow, in,
		contract.UpdateCancel, contract.CancelRequest{UserID: userID, By: by}, &v)
	switch {
	case err == nil:
		s.log().Info("subscription cancelled", "subscription_id", id, "by", by)
		return v, nil
	case hasType(err, contract.ErrTypeNotSubscriber):
		return contract.SubscriptionView{}, ErrSubscriptionNotFound
	case hasType(err, contract.ErrTypeNotActive):
		return contract.SubscriptionView{}, ErrNotActive
	}
	return contract.SubscriptionView{}, fmt.Errorf("cancel subscription %s: %w", id, err)
}

// SubscriptionStateChanged passes Telegram's `subscription` update to the
// subscription's workflow. A closed workflow has nothing left to stop: its
// subscription already ended, so the update is only logged.
func (s *Service) SubscriptionStateChanged(ctx context.Context, id string, ch contract.SubscriptionStateChange) error {
	if !contract.IsSubscriptionID(id) {
		s.log().Warn("subscription update for a payload that is no subscription", "payload", id, "state", ch.State)
		return nil
	}
	err := s.Temporal.SignalWorkflow(ctx, contract.SubscriptionWorkflowID(id), "", contract.SignalSubscriptionState, ch)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		s.log().Info("subscription update for a closed subscription", "subscription_id", id, "state", ch.State)
		return nil
	}
	if err != nil {
		return fmt.Errorf("signal subscription %s state %s: %w", id, ch.State, err)
	}
	return nil
}
