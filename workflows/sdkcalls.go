package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// SDK calls whose error a workflow has nothing to do with, each wrapped
// once with the reason, so that an error dropped anywhere else in this
// package stands out (make lint: errcheck with check-blank). None of them
// adds, removes or reorders a command.

// await blocks until cond holds or ctx is cancelled, and reports whether
// cond holds. Cancellation is workflow.Await's only error, and whatever the
// caller does next with ctx reports it again (ctx.Err(), the next timer or
// activity), so callers may ignore the answer and look at their state.
func await(ctx workflow.Context, cond func() bool) bool {
	return workflow.Await(ctx, cond) == nil
}

// awaitFor is await with a deadline: it also returns, false, once d has
// passed. Unlike orderRun.awaitWithTimeout it leaves the SDK's timer running
// when cond wins, as workflow.AwaitWithTimeout does; the subscription's
// recorded histories contain those timers.
func awaitFor(ctx workflow.Context, d time.Duration, cond func() bool) bool {
	ok, err := workflow.AwaitWithTimeout(ctx, d, cond)
	return ok && err == nil
}

// ledger runs a ledger local activity (withLedger: retried without limit)
// and waits for it, decoding its result into valuePtr (nil for a write). It
// returns once the ledger has answered, or early when ctx is cancelled,
// which is why callers that must finish pass durable(ctx). Nothing is
// returned because no caller could do better than go on: the read model
// catches up with the next write, and a lookup left empty (LookupESIM) is a
// case its callers handle anyway. The failure is logged for operators.
func ledger(ctx workflow.Context, valuePtr any, activity any, args ...any) {
	err := workflow.ExecuteLocalActivity(withLedger(ctx), activity, args...).Get(ctx, valuePtr)
	if err != nil {
		workflow.GetLogger(ctx).Warn("ledger activity ended without an answer", "error", err)
	}
}

// upsertSearch publishes search attributes for operators (Temporal UI,
// visibility queries). The SDK refuses only attributes it cannot encode or
// its reserved version key, a bug in this package rather than a state of
// the world; visibility carries no money, so the workflow goes on and the
// failure is logged.
func upsertSearch(ctx workflow.Context, attrs ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrs...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}
