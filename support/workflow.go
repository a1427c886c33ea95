package support

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
)

// Temporal names of the relay (operator contract, like docs/architecture.md#temporal-names).
const (
	// RelayWorkflowType sends one buyer's support messages, in order.
	RelayWorkflowType = "SupportRelayWorkflow"
	// SignalRelay wakes it: messages are waiting in the inbox.
	SignalRelay = "relay"
)

// RelayWorkflowID names a buyer's relay: support-relay-<bot id>-<user id>.
// The bot id keeps stores of different bots that share a namespace apart.
func RelayWorkflowID(botID, buyerID int64) string {
	return fmt.Sprintf("support-relay-%d-%d", botID, buyerID)
}

// RelayInput starts a relay.
type RelayInput struct {
	BuyerID int64
}

// relayIdle is how long a relay waits for more messages before it closes;
// the next message starts it again.
const relayIdle = 10 * time.Minute

// relayRounds bounds one run's history; the run then continues as new.
const relayRounds = 100

// acts names the activity by method expression, so a rename fails to compile.
var acts *RelayActivities

// RelayWorkflow sends a buyer's pending support messages whenever it is
// woken, one activity at a time, so messages go out in the order they were
// written; the activity retries without limit until Telegram takes them.
// The signal carries nothing: the inbox in PostgreSQL is the truth, so a
// signal that is repeated, or lost to a continue-as-new, costs nothing.
func RelayWorkflow(ctx workflow.Context, in RelayInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// The activity heartbeats every few seconds (heartbeat.Keep), so a worker
		// that dies mid-batch is noticed within this, not 2 minutes.
		HeartbeatTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			// No attempt limit: a message is never dropped because Telegram
			// (or the support chat's configuration) was broken for a while.
		},
	})
	wake := workflow.GetSignalChannel(ctx, SignalRelay)
	for range relayRounds {
		for wake.ReceiveAsync(nil) {
		}
		var sent int
		if err := workflow.ExecuteActivity(ctx, acts.RelaySupportMessages, in.BuyerID).Get(ctx, &sent); err != nil {
			return err
		}
		if sent == relayBatch {
			continue // a full batch: more may be waiting
		}
		woken := false
		tctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); woken = true })
		sel.AddFuture(workflow.NewTimer(tctx, relayIdle), func(workflow.Future) {})
		sel.Select(ctx)
		cancel()
		if !woken && !wake.ReceiveAsync(nil) {
			return nil
		}
	}
	return workflow.NewContinueAsNewError(ctx, RelayWorkflow, in)
}

// Relay wakes buyers' relay workflows: signal-with-start, so a closed one
// starts again.
type Relay struct {
	Temporal  client.Client
	TaskQueue string
	BotID     int64
}

// Wake signals (or starts) the buyer's relay.
func (r *Relay) Wake(ctx context.Context, buyerID int64) error {
	id := RelayWorkflowID(r.BotID, buyerID)
	_, err := r.Temporal.SignalWithStartWorkflow(ctx, id, SignalRelay, nil, client.StartWorkflowOptions{
		ID: id, TaskQueue: r.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         fmt.Sprintf("Support messages of buyer %d", buyerID),
		TypedSearchAttributes: temporal.NewSearchAttributes(contract.AttrUserID.ValueSet(buyerID)),
	}, RelayWorkflowType, RelayInput{BuyerID: buyerID})
	if err != nil {
		return fmt.Errorf("signal %s: %w", id, err)
	}
	return nil
}
