package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
)

// Activity options live here so the recipe in order.go reads without them.

// ledgerOptions: short PostgreSQL writes as local activities (≈10 ms
// instead of ≈100 ms of task dispatch). They retry without limit: the read
// model must catch up even after a long database outage.
func withLedger(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{contract.ErrTypeUnknownPlan, contract.ErrTypeUnpriceable},
		},
	})
}

// withInvoice: the buyer is waiting on the Buy button, so the invoice link
// is a local activity with a tight overall budget.
func withInvoice(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second,
			NonRetryableErrorTypes: []string{contract.ErrTypePermanentTG, contract.ErrTypeBotBlocked},
		},
	})
}

// withESIM: eSIM Go calls retry with backoff until the fulfilment deadline;
// permanent refusals stop at once. WaitForCancellation makes a support
// refund wait for an in-flight purchase to finish, so its result reaches
// the ledger before the refund decides what to revoke.
func withESIM(ctx workflow.Context, budget time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    90 * time.Second,
		HeartbeatTimeout:       10 * time.Second,
		ScheduleToCloseTimeout: budget,
		WaitForCancellation:    true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypePermanentESIM},
		},
	})
}

// withDelivery: sending the QR retries for an hour; a blocked bot stops.
func withDelivery(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		HeartbeatTimeout:       10 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypeBotBlocked, contract.ErrTypePermanentTG},
		},
	})
}

// withRefund: a refund retries until Telegram confirms it, however long
// that takes (money rule 1, never neither: docs/architecture.md#rule-1-every-charge-ends-fulfilled-or-refunded).
func withRefund(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
		},
	})
}

// withBestEffort: courtesy calls (buyer notices, bundle revokes) that must
// not hold an order open for long.
func withBestEffort(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 2 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypeBotBlocked, contract.ErrTypePermanentTG, contract.ErrTypePermanentESIM},
		},
	})
}

// withESIMFirstTry: one purchase attempt inside the payment's workflow
// task. Its timeout covers a slow eSIM Go answer plus the outcome-unknown
// lookup; anything longer goes to withESIM's regular activity, which
// heartbeats and retries until the fulfilment deadline.
func withESIMFirstTry(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// withDeliveryFirstTry: one sendPhoto attempt inside the workflow task;
// withDelivery retries it for an hour if it fails.
func withDeliveryFirstTry(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}
