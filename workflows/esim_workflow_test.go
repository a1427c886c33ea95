package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
)

// A top-up order buys onto the buyer's eSIM and tells the delivery so.
func TestTopUpOrderPassesTheESIMThrough(t *testing.T) {
	h := newHarness(t)
	h.in.ICCID = "8944538532008160222"
	var placed activities.PlaceInput
	var delivered activities.DeliverInput
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlaceInput) (contract.ESIM, error) {
		placed = in
		return contract.ESIM{Reference: "ref-top", ICCID: in.ICCID, SMDPAddress: "rsp.example.com", MatchingID: "M-1"}, nil
	})
	h.env.OnActivity(a.DeliverESIM, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeliverInput) (activities.DeliverResult, error) {
		delivered = in
		return activities.DeliverResult{Delivered: true}, nil
	})
	h.pay(time.Minute, payment("c1"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || placed.ICCID != h.in.ICCID || delivered.TopUpOf != h.in.ICCID ||
		delivered.PlanID != h.in.PlanID || delivered.ESIM.Reference != "ref-top" {
		t.Fatalf("status %s, placed %+v, delivered %+v", v.Status, placed, delivered)
	}
}

func TestTopUpOrderRefusedIsRefunded(t *testing.T) {
	h := newHarness(t)
	h.in.ICCID = "8944538532008160222"
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(contract.ESIM{},
		temporal.NewNonRetryableApplicationError("no", contract.ErrTypeIncompatible, nil))
	h.pay(time.Minute, payment("c1"))
	if v := h.run(); v.Status != contract.StatusRefunded || h.refunds.Load() != 1 || h.delivered.Load() != 0 {
		t.Fatalf("status %s, refunds %d, deliveries %d", v.Status, h.refunds.Load(), h.delivered.Load())
	}
}

type esimHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	mu        sync.Mutex
	handled   []string
	reminders []time.Time
	fail      map[string]bool
}

var esimStart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newESIMHarness(t *testing.T) *esimHarness {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(nopLogger{})
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ESIMWorkflow)
	env.RegisterActivity(&activities.Activities{})
	env.SetStartTime(esimStart)
	h := &esimHarness{t: t, env: env, fail: map[string]bool{}}
	env.OnActivity(a.HandleESIMCallback, mock.Anything, mock.Anything).Return(func(_ context.Context, hash string) (string, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail[hash] {
			return "", temporal.NewNonRetryableApplicationError("broken", "Test", nil)
		}
		h.handled = append(h.handled, hash)
		return activities.OutcomeRecorded, nil
	}).Maybe()
	env.OnActivity(a.RemindInstall, mock.Anything, mock.Anything).Return(func(_ context.Context, _ string) (string, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.reminders = append(h.reminders, h.env.Now())
		return "reminded", nil
	}).Maybe()
	return h
}

func (h *esimHarness) signal(d time.Duration, name string, arg any) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(name, arg) }, d)
}

func TestESIMWorkflowHandlesCallbacksInOrderAndCloses(t *testing.T) {
	h := newESIMHarness(t)
	h.fail["bad"] = true
	h.env.RegisterDelayedCallback(func() {
		for _, hash := range []string{"a", "bad", "b", "c"} {
			h.env.SignalWorkflow(contract.SignalCallback, contract.CallbackSignal{Hash: hash})
		}
	}, 0)
	h.env.ExecuteWorkflow(ESIMWorkflow, contract.ESIMInput{ICCID: "8944"})
	if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, err %v", h.env.IsWorkflowCompleted(), h.env.GetWorkflowError())
	}
	if !slices.Equal(h.handled, []string{"a", "b", "c"}) {
		t.Fatalf("handled %v, want a, b, c in order (a failing one does not stop the rest)", h.handled)
	}
	if len(h.reminders) != 0 {
		t.Fatalf("a reminder without a delivery: %v", h.reminders)
	}
}

func TestESIMWorkflowRemindsOnceAfterTheDelay(t *testing.T) {
	h := newESIMHarness(t)
	due := esimStart.Add(24 * time.Hour)
	// Started by the delivery's signal-with-start.
	h.signal(0, contract.SignalDelivered, contract.DeliveredSignal{OrderID: "o1", RemindAt: due})
	// A second delivery (a retried one) does not move or repeat it; a
	// callback meanwhile is handled at once.
	h.signal(2*time.Minute, contract.SignalDelivered, contract.DeliveredSignal{OrderID: "o1", RemindAt: due.Add(time.Hour)})
	h.signal(3*time.Hour, contract.SignalCallback, contract.CallbackSignal{Hash: "x"})
	h.env.ExecuteWorkflow(ESIMWorkflow, contract.ESIMInput{ICCID: "8944"})
	if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, err %v", h.env.IsWorkflowCompleted(), h.env.GetWorkflowError())
	}
	if len(h.reminders) != 1 || h.reminders[0].Before(due) || h.reminders[0].After(due.Add(time.Second)) {
		t.Fatalf("reminded at %v, want once at %v", h.reminders, due)
	}
	if !slices.Equal(h.handled, []string{"x"}) {
		t.Fatalf("handled %v", h.handled)
	}
}

func TestESIMWorkflowContinuesAsNewCarryingTheReminder(t *testing.T) {
	h := newESIMHarness(t)
	due := esimStart.Add(24 * time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(contract.SignalDelivered, contract.DeliveredSignal{OrderID: "o1", RemindAt: due})
		for range esimSignalsPerRun {
			h.env.SignalWorkflow(contract.SignalCallback, contract.CallbackSignal{Hash: "h"})
		}
	}, 0)
	h.env.ExecuteWorkflow(ESIMWorkflow, contract.ESIMInput{ICCID: "8944"})
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	if len(h.handled) != esimSignalsPerRun {
		t.Fatalf("handled %d before continuing", len(h.handled))
	}
	var next contract.ESIMInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.ICCID != "8944" || !next.RemindAt.Equal(due) || next.Reminded {
		t.Fatalf("carried %+v, want the pending reminder at %v", next, due)
	}
}
