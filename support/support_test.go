package support

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/telegram"
)

// The relay sends whenever it is woken, loops at once after a full batch,
// and closes after relayIdle without news.
func TestRelayWorkflow(t *testing.T) {
	env := newEnv()
	env.RegisterActivity(&RelayActivities{})
	results := []int{relayBatch, 3, 1} // a full batch, the rest, then the woken round
	calls := 0
	env.OnActivity(acts.RelaySupportMessages, mock.Anything, int64(42)).Return(func(_ context.Context, _ int64) (int, error) {
		calls++
		return results[calls-1], nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalRelay, nil) }, relayIdle/2)
	env.ExecuteWorkflow(RelayWorkflow, RelayInput{BuyerID: 42})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, err %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if calls != 3 {
		t.Fatalf("activity ran %d times, want 3", calls)
	}
}

// A relay that stays busy continues as new instead of growing its history.
func TestRelayContinuesAsNew(t *testing.T) {
	env := newEnv()
	env.RegisterActivity(&RelayActivities{})
	env.OnActivity(acts.RelaySupportMessages, mock.Anything, int64(42)).Return(relayBatch, nil)
	env.ExecuteWorkflow(RelayWorkflow, RelayInput{BuyerID: 42})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
}

// newEnv is a test environment that does not print the SDK's debug log.
func newEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	return s.NewTestWorkflowEnvironment()
}

func TestGone(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&telegram.APIError{Code: 400, Description: "Bad Request: message to copy not found"}, true},
		{&telegram.APIError{Code: 400, Description: "Bad Request: message can't be copied"}, true},
		{&telegram.APIError{Code: 400, Description: "Bad Request: chat not found"}, false},
		{&telegram.APIError{Code: 502, Description: "Bad Gateway"}, false},
		{errors.New("dial tcp: refused"), false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := gone(tc.err); got != tc.want {
			t.Errorf("gone(%v) = %v", tc.err, got)
		}
	}
}

func TestStaffBy(t *testing.T) {
	got := staffBy(telegram.User{ID: 6_200_000_001, FirstName: "Zoë", LastName: "<S>", Username: "zoe"})
	if got != "Zoë <S> (@zoe) tg:6200000001" {
		t.Fatalf("staffBy = %q", got)
	}
	if got := displayName(&telegram.User{ID: 7}); got != "id 7" {
		t.Fatalf("nameless = %q", got)
	}
}
