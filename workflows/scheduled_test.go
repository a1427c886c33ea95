package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/starsesim/esimstore/activities"
)

func TestInstallRemindersWorkflowRunsOneRound(t *testing.T) {
	tests := []struct {
		name     string
		failures int // rounds that fail before one succeeds
		wantErr  bool
		calls    int
	}{
		{"a round", 0, false, 1},
		{"a failed round is retried", 2, false, 3},
		{"three failures fail the run", 3, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			s.SetLogger(nopLogger{})
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(InstallRemindersWorkflow)
			env.RegisterActivity(&activities.Activities{})
			calls := 0
			env.OnActivity(a.RemindDueInstalls, mock.Anything).Return(func(context.Context) (activities.ReminderSweep, error) {
				calls++
				if calls <= tt.failures {
					return activities.ReminderSweep{}, errors.New("telegram unavailable")
				}
				return activities.ReminderSweep{Due: 3, Reminded: 2, Skipped: 1}, nil
			})
			env.ExecuteWorkflow(InstallRemindersWorkflow)
			var res activities.ReminderSweep
			err := env.GetWorkflowError()
			if err == nil {
				err = env.GetWorkflowResult(&res)
			}
			if (err != nil) != tt.wantErr || calls != tt.calls {
				t.Fatalf("err %v, %d calls; want error %v after %d", err, calls, tt.wantErr, tt.calls)
			}
			if !tt.wantErr && res != (activities.ReminderSweep{Due: 3, Reminded: 2, Skipped: 1}) {
				t.Fatalf("result %+v", res)
			}
		})
	}
}
