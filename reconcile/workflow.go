package reconcile

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WorkflowType is the name operators see for reconciliation runs.
const WorkflowType = "ReconcileWorkflow"

// acts names the activity by method expression, so a rename fails to compile.
var acts *Activities

// Workflow runs one reconciliation pass. The work is one activity: it
// keeps its place in PostgreSQL (the checkpoint), so a retry resumes
// where the last attempt stopped, and the workflow stays trivially
// deterministic.
func Workflow(ctx workflow.Context) (Result, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			// The next scheduled run starts over from the checkpoint anyway.
			MaximumAttempts: 5,
		},
	})
	var res Result
	err := workflow.ExecuteActivity(ctx, acts.ReconcileStars).Get(ctx, &res)
	return res, err
}
