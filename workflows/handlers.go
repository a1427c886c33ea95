package workflows

import (
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
)

// registerHandlers installs the query, the updates and their validators
// before the workflow does anything that could block, so messages that
// arrive with the start (update-with-start, signal-with-start) find them.
func (w *orderRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.View, error) {
		return w.view, nil
	}); err != nil {
		return err
	}
	if err := registerSaleHandlers(ctx, w.invoice, &w.approval, w.validateCheckout); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateRefund, w.requestRefund,
		workflow.UpdateHandlerOptions{Validator: w.validateRefund})
}

// invoice returns the link once the quote and invoice exist.
func (w *orderRun) invoice(ctx workflow.Context) (contract.Invoice, error) {
	if err := w.awaitOpen(ctx); err != nil {
		return contract.Invoice{}, err
	}
	return contract.Invoice{OrderID: w.in.OrderID, Status: w.view.Status, InvoiceLink: w.view.InvoiceLink,
		PriceStars: w.view.Stars, PriceUSD: w.view.PriceUSD}, nil
}

// validateCheckout decides Telegram's pre-checkout query by the payment
// core's rules; a refusal leaves no trace in history.
func (w *orderRun) validateCheckout(ctx workflow.Context, pc contract.PreCheckout) error {
	return checkoutRefusal(workflow.Now(ctx), w.sale(), pc)
}

func (w *orderRun) validateRefund(ctx workflow.Context, r contract.RefundRequest) error {
	if strings.TrimSpace(r.Reason) == "" || strings.TrimSpace(r.By) == "" {
		return temporal.NewNonRetryableApplicationError("a refund needs a reason and who asked", contract.ErrTypeInvalidRefund, nil)
	}
	if !w.ready {
		return nil // a resumed run decides once the order is loaded
	}
	return w.refundable()
}

// requestRefund records support's request; the main loop carries it out,
// so the caller gets its answer (202) without waiting for Telegram.
func (w *orderRun) requestRefund(ctx workflow.Context, r contract.RefundRequest) error {
	if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
		return err
	}
	if err := w.refundable(); err != nil {
		return err
	}
	w.supportRefund = &r
	if w.cancelFulfil != nil {
		w.cancelFulfil()
	}
	return nil
}

func (w *orderRun) refundable() error {
	switch {
	case w.supportRefund != nil || w.view.Status == contract.StatusRefunded || w.view.Status == contract.StatusRefunding ||
		(w.paid != nil && w.refunds.done[w.paid.ChargeID]):
		return temporal.NewNonRetryableApplicationError("the order is already refunded", contract.ErrTypeAlreadyRefunded, nil)
	case w.paid == nil || !w.exists:
		return temporal.NewNonRetryableApplicationError("the order is not paid", contract.ErrTypeNotPaid, nil)
	}
	return nil
}
