package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
)

// The store's periodic work: each run of a Temporal Schedule (app.EnsureSchedules)
// is one of these workflows, so operators see every run, its result and its
// failures in the Web UI.

// PlanSyncWorkflowType is run by the "plan-sync" Temporal Schedule.
const PlanSyncWorkflowType = "SyncPlansWorkflow"

// SyncPlansWorkflow refreshes the plan table from eSIM Go's catalogue.
func SyncPlansWorkflow(ctx workflow.Context) (activities.SyncResult, error) {
	return runOnce[activities.SyncResult](ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 5},
	}, a.SyncPlans)
}

// InstallRemindersWorkflowType is run by the install-reminder schedule.
const InstallRemindersWorkflowType = "InstallRemindersWorkflow"

// InstallRemindersWorkflow runs one round of install reminders. One sweep
// every few minutes costs the same however many eSIMs are sold, where a
// timer per delivered eSIM cost every order an extra workflow (about a
// quarter of an order's Temporal work; docs/performance.md).
func InstallRemindersWorkflow(ctx workflow.Context) (activities.ReminderSweep, error) {
	return runOnce[activities.ReminderSweep](ctx, workflow.ActivityOptions{
		// A round of reminderBatch eSIMs at background priority can take
		// minutes; heartbeats show it alive, and a retry (or the next
		// round) skips what was already sent.
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3},
	}, a.RemindDueInstalls)
}

// runOnce runs a scheduled workflow's one activity and returns its result.
func runOnce[T any](ctx workflow.Context, opts workflow.ActivityOptions, activity any) (T, error) {
	var res T
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), activity).Get(ctx, &res)
	return res, err
}
