package workflows

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// tryLocalFirst runs an activity once as a local activity inside the
// current workflow task and, only if that try fails in a way a retry could
// fix, runs it again as a regular activity under actx's full retry policy.
//
// On the happy path this saves the server a task dispatch and two history
// writes per step, which is most of what one order costs it. It is safe
// because the activities it is used for never rely on Temporal's attempt
// counter alone: PlaceESIMOrder counts its attempts in the ledger (a local
// activity re-run after a worker restart starts again at attempt 1), and
// sending a QR twice is harmless. beforeRetry runs once, before the slow
// path, so the run can show operators that it is waiting.
func tryLocalFirst(lctx, actx workflow.Context, beforeRetry func(), activity, arg, result any, permanent ...string) error {
	err := workflow.ExecuteLocalActivity(lctx, activity, arg).Get(lctx, result)
	if err == nil || !retryable(err, permanent) {
		return err
	}
	beforeRetry()
	return workflow.ExecuteActivity(actx, activity, arg).Get(actx, result)
}

func retryable(err error, permanent []string) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return !app.NonRetryable() && !slices.Contains(permanent, app.Type())
	}
	return !temporal.IsCanceledError(err)
}
