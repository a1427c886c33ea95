package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/usage"
	"github.com/starsesim/esimstore/workflows"
)

// After the sale, the client side: top-up orders are admitted here (the
// eSIM must be the buyer's and the bundle must fit it), eSIM Go's callbacks
// are stored and handed to the eSIM's workflow, and a delivered eSIM's
// install reminder is started.

// Errors of top-ups; the API answers 404 esim_not_found and 409 incompatible.
var (
	ErrESIMNotFound = errors.New("esim not found among the buyer's")
	ErrIncompatible = errors.New("the bundle cannot be added to this esim")
)

// topUpCheckBudget bounds the compatibility question at pre-checkout, which
// must answer Telegram within seconds; the answer is usually cached.
const topUpCheckBudget = 2 * time.Second

// admitTopUp checks a top-up: the eSIM is the buyer's, and eSIM Go says the
// bundle fits it (cached per bundle family).
func (s *Service) admitTopUp(ctx context.Context, userID int64, iccid, planID string) error {
	owner, err := s.Store.OwnerOfESIM(ctx, iccid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner.UserID != userID) {
		return ErrESIMNotFound
	}
	if err != nil {
		return err
	}
	if s.Usage == nil {
		return nil
	}
	ok, err := s.Usage.Compatible(ctx, iccid, planID)
	if errors.Is(err, usage.ErrUnknown) {
		s.log().Warn("top-up compatibility unknown", "iccid", iccid, "plan_id", planID, "err", err)
		return fmt.Errorf("top-up of %s: %w: %v", iccid, ErrBusy, err)
	}
	if err != nil {
		return err
	}
	if !ok {
		return ErrIncompatible
	}
	return nil
}

// orderRefusal is what checkout itself decides before asking the order's
// workflow: the sales pause, and for a top-up the eSIM's owner and the
// bundle's compatibility (eSIM Go may have changed its mind since the order
// was created). "" lets the workflow decide.
func (s *Service) orderRefusal(ctx context.Context, pc contract.PreCheckout) contract.Refusal {
	if err := s.Sales.Open(ctx); errors.Is(err, ErrSalesPaused) {
		return contract.RefuseSalesPaused
	}
	o, err := s.Store.GetOrder(ctx, pc.Payload)
	if err != nil || o.TopUpICCID == "" {
		return "" // unknown orders, and the ledger failing, are the workflow's to judge
	}
	cctx, cancel := context.WithTimeout(ctx, topUpCheckBudget)
	defer cancel()
	switch err := s.admitTopUp(cctx, pc.UserID, o.TopUpICCID, o.PlanID); {
	case errors.Is(err, ErrESIMNotFound):
		return contract.RefuseESIMNotFound
	case errors.Is(err, ErrIncompatible):
		return contract.RefuseIncompatible
	case err != nil:
		s.log().Warn("top-up undecided at pre-checkout; refusing", "order_id", pc.Payload, "err", err)
		return contract.RefuseBusy
	}
	return ""
}

// CallbackReceipt says what became of a verified callback.
type CallbackReceipt struct {
	Hash      string
	Type      string
	Duplicate bool // the same body was processed before
	Queued    bool // handed to a workflow
}

// ESIMCallback keeps a verified eSIM Go callback and hands it on. The raw
// body goes into the inbox under its hash before anything else, so a
// re-delivery is recognised; then the callback is signalled (with start) to
// its eSIM's workflow, or to the account's for balance alerts. Types the
// store does not act on are kept and closed as ignored. An error means
// nothing durable happened yet: answer 5xx and eSIM Go may send it again.
func (s *Service) ESIMCallback(ctx context.Context, raw []byte) (CallbackReceipt, error) {
	cb, perr := esimgo.ParseCallback(raw)
	r := CallbackReceipt{Hash: store.CallbackHash(raw), Type: cb.Type}
	processed, err := s.Store.SaveCallback(ctx, r.Hash, cb.Type, cb.ICCID, raw)
	if err != nil || processed {
		r.Duplicate = processed
		return r, err
	}
	workflowID := ""
	switch cb.Type {
	case esimgo.AlertUtilisation, esimgo.AlertFirstUse, esimgo.AlertProfileStatusChange, esimgo.EventESIMDeleted:
		if cb.ICCID != "" {
			workflowID = contract.ESIMWorkflowID(cb.ICCID)
		}
	case esimgo.AlertLowBalance, esimgo.AlertInsufficientBalance:
		workflowID = contract.AccountWorkflowID
	}
	if perr != nil || workflowID == "" {
		outcome := store.CallbackIgnored
		if perr != nil {
			outcome = "malformed"
		}
		s.log().Info("esim go callback kept and ignored", "hash", r.Hash, "alert_type", cb.Type, "outcome", outcome)
		return r, s.Store.MarkCallbackProcessed(ctx, r.Hash, outcome)
	}
	err = s.signalESIM(ctx, workflowID, cb.ICCID, contract.SignalCallback, contract.CallbackSignal{Hash: r.Hash},
		fmt.Sprintf("eSIM Go callbacks · %s", workflowID))
	if err != nil {
		return r, fmt.Errorf("hand esim go callback %s to %s: %w", r.Hash, workflowID, err)
	}
	r.Queued = true
	s.log().Info("esim go callback queued", "hash", r.Hash, "alert_type", cb.Type, "iccid", cb.ICCID)
	return r, nil
}

func (s *Service) signalESIM(ctx context.Context, workflowID, iccid, signal string, arg any, summary string) error {
	_, err := s.Temporal.SignalWithStartWorkflow(ctx, workflowID, signal, arg, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: s.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         summary,
	}, workflows.ESIMWorkflow, contract.ESIMInput{ICCID: iccid})
	return err
}
