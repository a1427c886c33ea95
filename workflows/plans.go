package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
)

// PlanSyncWorkflowType is run by the "plan-sync" Temporal Schedule, so
// operators see every sync (and its failures) in the Web UI.
const PlanSyncWorkflowType = "SyncPlansWorkflow"

// SyncPlansWorkflow refreshes the plan table from eSIM Go's catalogue.
func SyncPlansWorkflow(ctx workflow.Context) (activities.SyncResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	var res activities.SyncResult
	err := workflow.ExecuteActivity(ctx, a.SyncPlans).Get(ctx, &res)
	return res, err
}
