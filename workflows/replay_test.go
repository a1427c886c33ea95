package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/codec"
	"github.com/starsesim/esimstore/config"
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
	// Each main path in the workflows' one shape. When a change needs a
	// versioned fork, the fixtures of the old shape stay next to these
	// until no run of it is open (docs/architecture.md#workflow-versioning).
	// esim_callbacks_reminder is such a fixture: an ESIMWorkflow run with
	// the install-reminder timer of releases before the reminder sweep,
	// recorded by them and kept (not re-recorded) while such runs may be open.
	want := []string{"esim_refused_refunded", "expired", "paid_fulfilled", "support_refund_after_delivery",
		"late_payment_resumed_refunded", "subscription_first_run", "top_up_installed", "esim_callbacks",
		"esim_callbacks_reminder", "install_reminders"}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join("testdata", name+".json")); err != nil {
			t.Errorf("missing replay fixture %s: %v", name, err)
		}
	}
	// The fixtures are recorded in the sandbox, so their payloads are
	// encrypted with its public key (docs/architecture.md#replay-fixtures);
	// the replayer decodes them as a worker would. Plain payloads pass
	// through, as they do for runs started before encryption.
	keys, err := codec.ParseKeys(config.SandboxPayloadKeys)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := codec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.DataConverter(cd)
	opts := worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: codec.FailureConverter(dc)}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			// Recorded with the codec: "binary/encrypted", base64 in the JSON.
			if raw, err := os.ReadFile(f); err != nil || !strings.Contains(string(raw), "YmluYXJ5L2VuY3J5cHRlZA==") {
				t.Errorf("%s holds no encrypted payload (%v): re-record it with make histories", f, err)
			}
			r, err := worker.NewWorkflowReplayerWithOptions(opts)
			if err != nil {
				t.Fatal(err)
			}
			r.RegisterWorkflowWithOptions(OrderWorkflow, workflow.RegisterOptions{Name: contract.WorkflowType})
			r.RegisterWorkflowWithOptions(SubscriptionWorkflow, workflow.RegisterOptions{Name: contract.SubscriptionWorkflowType})
			r.RegisterWorkflowWithOptions(ESIMWorkflow, workflow.RegisterOptions{Name: contract.ESIMWorkflowType})
			r.RegisterWorkflowWithOptions(InstallRemindersWorkflow, workflow.RegisterOptions{Name: InstallRemindersWorkflowType})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nopLogger{}, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
