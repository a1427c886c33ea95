package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
)

// starts records which activities ran, and how.
type starts struct {
	mu            sync.Mutex
	local, normal map[string]int
}

func watchStarts(h *harness) *starts {
	s := &starts{local: map[string]int{}, normal: map[string]int{}}
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.local[info.ActivityType.Name]++
	})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.normal[info.ActivityType.Name]++
	})
	return s
}

// On the happy path the purchase and the delivery each run once, as local
// activities inside the payment's workflow task.
func TestPaymentPathRunsAsLocalActivities(t *testing.T) {
	for _, tc := range []struct {
		name          string
		local, normal int // starts of PlaceESIMOrder and of DeliverESIM
	}{
		{"first try succeeds", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			s := watchStarts(h)
			h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(
				contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1"}, nil)
			h.pay(time.Second, payment("ch-1"))
			v := h.run()
			if v.Status != contract.StatusFulfilled {
				t.Fatalf("status = %s (%s)", v.Status, v.LastError)
			}
			for _, name := range []string{"PlaceESIMOrder", "DeliverESIM"} {
				if s.local[name] != tc.local || s.normal[name] != tc.normal {
					t.Errorf("%s: %d local, %d regular; want %d and %d", name, s.local[name], s.normal[name], tc.local, tc.normal)
				}
			}
		})
	}
}

func TestFirstTryFailureFallsBackToRetriedActivity(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus contract.Status
		wantNormal int // regular PlaceESIMOrder starts
	}{
		{"transient error retries as a regular activity", temporal.NewApplicationError("503", "ESIMserver"), contract.StatusFulfilled, 2},
		{"permanent refusal refunds without a retry", temporal.NewNonRetryableApplicationError("bad bundle", contract.ErrTypePermanentESIM, nil), contract.StatusRefunded, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			s := watchStarts(h)
			var calls int
			var mu sync.Mutex
			h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.PlaceInput) (contract.ESIM, error) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls < 3 {
					return contract.ESIM{}, tc.err
				}
				return contract.ESIM{Reference: "ref-1"}, nil
			})
			h.pay(time.Second, payment("ch-1"))
			v := h.run()
			if v.Status != tc.wantStatus {
				t.Fatalf("status = %s, want %s", v.Status, tc.wantStatus)
			}
			if s.local["PlaceESIMOrder"] != 1 || s.normal["PlaceESIMOrder"] != tc.wantNormal {
				t.Errorf("PlaceESIMOrder: %d local, %d regular; want 1 and %d", s.local["PlaceESIMOrder"], s.normal["PlaceESIMOrder"], tc.wantNormal)
			}
		})
	}
}

func TestDeliveryFirstTryFailureRetries(t *testing.T) {
	h := newHarness(t)
	s := watchStarts(h)
	var mu sync.Mutex
	var calls int
	h.env.OnActivity(a.DeliverESIM, mock.Anything, mock.Anything).Return(func(context.Context, activities.DeliverInput) (activities.DeliverResult, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return activities.DeliverResult{}, temporal.NewApplicationError("telegram 502", "TelegramServer")
		}
		return activities.DeliverResult{Delivered: true}, nil
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if v.Status != contract.StatusFulfilled || v.LastError != "" || calls != 2 {
		t.Fatalf("status=%s last error %q calls=%d", v.Status, v.LastError, calls)
	}
	if s.local["DeliverESIM"] != 1 || s.normal["DeliverESIM"] != 1 {
		t.Errorf("DeliverESIM: %d local, %d regular; want 1 and 1", s.local["DeliverESIM"], s.normal["DeliverESIM"])
	}
}

// Support's refund lands while the first purchase try is still running:
// the try finishes (its eSIM is in the ledger), nothing is delivered, the
// bundle is revoked and the charge refunded once.
func TestSupportRefundDuringFirstTryRevokesWhatItBought(t *testing.T) {
	h := newHarness(t)
	var res *string
	h.env.OnActivity(a.PlaceESIMOrder, mock.Anything, mock.Anything).Return(func(context.Context, activities.PlaceInput) (contract.ESIM, error) {
		h.placed.Add(1)
		res = refundUpdate(h, "changed my mind")
		return contract.ESIM{Reference: "ref-1", ICCID: "8944", SMDPAddress: "rsp.example.com", MatchingID: "M-1"}, nil
	})
	h.pay(time.Second, payment("ch-1"))
	v := h.run()
	if res == nil || *res != "ok" {
		t.Fatalf("refund update: %v", res)
	}
	if v.Status != contract.StatusRefunded || h.placed.Load() != 1 || h.delivered.Load() != 0 || h.revoked.Load() != 1 || h.refunds.Load() != 1 {
		t.Fatalf("status=%s placed=%d delivered=%d revoked=%d refunds=%d", v.Status, h.placed.Load(), h.delivered.Load(),
			h.revoked.Load(), h.refunds.Load())
	}
}
