package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
)

// TestReplayRecordedHistories replays real histories of each main path
// (recorded from the integration tests on the dev server; see
// integration/history_test.go). A change to OrderWorkflow that would break
// running orders fails here with a non-determinism error.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Each path in the current shape, the same paths as the first process
	// shape recorded them (*_process0), and the first run before its
	// install-details change (paid_fulfilled_v0).
	paths := []string{"esim_refused_refunded", "expired", "paid_fulfilled", "support_refund_after_delivery",
		"late_payment_resumed_refunded", "subscription_first_run"}
	want := []string{"paid_fulfilled_v0"}
	for _, p := range paths {
		want = append(want, p, p+"_process0")
	}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join("testdata", name+".json")); err != nil {
			t.Errorf("missing replay fixture %s: %v", name, err)
		}
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(OrderWorkflow, workflow.RegisterOptions{Name: contract.WorkflowType})
			r.RegisterWorkflowWithOptions(SubscriptionWorkflow, workflow.RegisterOptions{Name: contract.SubscriptionWorkflowType})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nopLogger{}, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
