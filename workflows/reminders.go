package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
)

// InstallRemindersWorkflowType is run by the install-reminder schedule
// (app.EnsureInstallReminderSchedule), so operators see every round, what
// it sent and what failed, in the Web UI.
const InstallRemindersWorkflowType = "InstallRemindersWorkflow"

// InstallRemindersWorkflow runs one round of install reminders. One sweep
// every few minutes costs the same however many eSIMs are sold, where a
// timer per delivered eSIM cost every order an extra workflow (about a
// quarter of an order's Temporal work; docs/performance.md).
func InstallRemindersWorkflow(ctx workflow.Context) (activities.ReminderSweep, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A round of reminderBatch eSIMs at background priority can take
		// minutes; heartbeats show it alive, and a retry (or the next
		// round) skips what was already sent.
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3},
	})
	var res activities.ReminderSweep
	err := workflow.ExecuteActivity(ctx, a.RemindDueInstalls).Get(ctx, &res)
	return res, err
}
