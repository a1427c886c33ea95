package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/telegram/telegramtest"
	"github.com/starsesim/esimstore/workflows"
)

// recordHistory saves a finished order's history as a replay fixture in
// workflows/testdata when RECORD_HISTORIES=1 (run `make histories` after a
// deliberate workflow change, and commit the result).
func (s *shop) recordHistory(orderID, name string) {
	s.t.Helper()
	if os.Getenv("RECORD_HISTORIES") == "" {
		return
	}
	ctx := context.Background()
	// Wait for the run to close so the fixture covers the whole path.
	if err := s.App.Temporal.GetWorkflow(ctx, "order-"+orderID, "").Get(ctx, nil); err != nil {
		s.t.Fatalf("wait for %s: %v", orderID, err)
	}
	s.recordRun("order-"+orderID, "", name)
}

// recordRun saves one closed run's history as a replay fixture.
func (s *shop) recordRun(workflowID, runID, name string) {
	s.t.Helper()
	if os.Getenv("RECORD_HISTORIES") == "" {
		return
	}
	iter := s.App.Temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join("..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("recorded %s (%d events)", path, len(h.Events))
}

// TestRecordHistories produces the replay fixtures of every main path.
// Without RECORD_HISTORIES it still runs each path and checks its outcome.
func TestRecordHistories(t *testing.T) {
	t.Run("paid_fulfilled", func(t *testing.T) {
		s := startStore(t, func(c *configT) { c.SupportWindow = 2e9 })
		c := s.buy(alice, planGB)
		s.mustPay(c, alice)
		s.waitStatus(alice, c.OrderID, "fulfilled", 30e9)
		s.recordHistory(c.OrderID, "paid_fulfilled")
	})
	t.Run("esim_refused_refunded", func(t *testing.T) {
		s := startStore(t, nil)
		s.refuseESIM()
		c := s.buy(alice, planGB)
		s.mustPay(c, alice)
		s.waitStatus(alice, c.OrderID, "refunded", 30e9)
		s.recordHistory(c.OrderID, "esim_refused_refunded")
	})
	t.Run("expired", func(t *testing.T) {
		s := startStore(t, func(c *configT) { c.InvoiceTTL = 2e9 })
		c := s.buy(alice, planGB)
		s.waitStatus(alice, c.OrderID, "expired", 20e9)
		s.recordHistory(c.OrderID, "expired")
	})
	t.Run("late_payment_resumed_refunded", func(t *testing.T) {
		s := startStore(t, func(c *configT) { c.InvoiceTTL = 2e9 })
		c := s.buy(alice, planGB)
		s.waitStatus(alice, c.OrderID, "expired", 20e9)
		res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice, telegramtest.PayOptions{SkipPreCheckout: true})
		if err != nil || !res.Delivered {
			t.Fatalf("late pay: %+v %v", res, err)
		}
		s.waitStatus(alice, c.OrderID, "refunded", 30e9)
		s.recordHistory(c.OrderID, "late_payment_resumed_refunded")
	})
	t.Run("top_up_installed", func(t *testing.T) {
		// A top-up of an installed eSIM (the order), and the eSIM's own
		// workflow, started by the install callback.
		s := startStore(t, func(c *configT) { c.SupportWindow = 2e9 })
		ctx := context.Background()
		_, iccid := s.delivered(alice, planGB)
		if err := s.ESIM.Install(iccid); err != nil {
			t.Fatal(err)
		}
		a := s.topUp(alice, planGB, iccid)
		if a.Status != 201 {
			t.Fatalf("top-up: %+v", a)
		}
		s.mustPay(created{OrderID: a.OrderID, InvoiceLink: a.InvoiceLink}, alice)
		s.waitStatus(alice, a.OrderID, "fulfilled", 30e9)
		s.recordHistory(a.OrderID, "top_up_installed")
		if err := s.App.Temporal.GetWorkflow(ctx, contract.ESIMWorkflowID(iccid), "").Get(ctx, nil); err != nil {
			t.Fatalf("eSIM workflow: %v", err)
		}
		if n := len(textsContaining(s.Telegram, alice.ID, "is installed ✓")); n != 1 {
			t.Fatalf("installed notices = %d", n)
		}
		s.recordRun(contract.ESIMWorkflowID(iccid), "", "esim_callbacks")
	})
	t.Run("install_reminders", func(t *testing.T) {
		s := startStore(t, func(c *configT) { c.InstallReminderAfter = 1e9 })
		ctx := context.Background()
		s.delivered(alice, planGB)
		time.Sleep(s.Cfg.InstallReminderAfter)
		run, err := s.App.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: s.App.InstallReminderScheduleID() + "-fixture", TaskQueue: s.Cfg.TemporalTaskQueue,
		}, workflows.InstallRemindersWorkflowType)
		if err != nil {
			t.Fatal(err)
		}
		var res activities.ReminderSweep
		if err := run.Get(ctx, &res); err != nil || res.Reminded != 1 {
			t.Fatalf("reminder round: %+v %v", res, err)
		}
		s.recordRun(run.GetID(), run.GetRunID(), "install_reminders")
	})
	t.Run("support_refund_after_delivery", func(t *testing.T) {
		s := startStore(t, nil)
		c := s.buy(alice, planGB)
		s.mustPay(c, alice)
		s.waitStatus(alice, c.OrderID, "fulfilled", 30e9)
		if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "unused"}, nil); code != 202 {
			t.Fatalf("refund: %d", code)
		}
		s.waitStatus(alice, c.OrderID, "refunded", 30e9)
		s.recordHistory(c.OrderID, "support_refund_after_delivery")
	})
}
