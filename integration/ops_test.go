package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

func (s *shop) metric(name string) float64 {
	s.t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+]+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func TestBusinessMetricsMoveAfterOrders(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	if _, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle is not valid"})
	r := s.buy(boris, planGB)
	if _, err := s.Telegram.Pay(ctx, r.InvoiceLink, boris); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(boris, r.OrderID, "refunded", 30*time.Second)

	checks := []struct {
		name string
		min  float64
	}{
		{`esimstore_stars_taken_total`, 274},
		{`esimstore_stars_refunded_total`, 137},
		{`esimstore_order_transitions_total{status="fulfilled"}`, 1},
		{`esimstore_order_transitions_total{status="refunded"}`, 1},
		{`esimstore_refunds_total{reason="refund_reason_esim"}`, 1},
		{`esimstore_precheckout_latency_seconds_count`, 2},
		{`esimstore_payment_to_qr_seconds_count`, 1},
		{`esimstore_esimgo_errors_total{class="invalid"}`, 1},
		{`esimstore_telegram_webhook_updates_total{kind="successful_payment"}`, 2},
	}
	for _, c := range checks {
		if got := s.metric(c.name); got < c.min {
			t.Errorf("%s = %v, want ≥ %v", c.name, got, c.min)
		}
	}
	if got := s.metric(`esimstore_http_requests_total{code="201",method="POST",route="/api/orders"}`); got < 2 {
		t.Errorf("http request metric = %v", got)
	}
}

func TestOperatorsFindOrdersBySearchAttributes(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	if _, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	waiting := s.buy(boris, planGB)

	list := func(query string) []string {
		resp, err := s.App.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		var ids []string
		for _, e := range resp.Executions {
			ids = append(ids, e.Execution.WorkflowId)
		}
		return ids
	}
	tq := fmt.Sprintf(`TaskQueue = %q`, s.Cfg.TemporalTaskQueue)
	tests := []struct {
		query string
		want  string
	}{
		{fmt.Sprintf(`OrderStatus = "fulfilled" AND TelegramUserId = %d AND %s`, alice.ID, tq), "order-" + c.OrderID},
		{fmt.Sprintf(`OrderStatus = "awaiting_payment" AND TelegramUserId = %d AND %s`, boris.ID, tq), "order-" + waiting.OrderID},
		{fmt.Sprintf(`PlanId = %q AND StarsAmount = 137 AND TelegramUserId = %d AND %s`, planGB, alice.ID, tq), "order-" + c.OrderID},
	}
	for _, tt := range tests {
		var got []string
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if got = list(tt.query); len(got) == 1 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: got %v, want [%s]", tt.query, got, tt.want)
		}
	}
	// The fulfilled order shows a summary for operators, and no QR bytes or secrets in its history.
	desc, err := s.App.Temporal.DescribeWorkflowExecution(ctx, "order-"+c.OrderID, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.ExecutionConfig == nil || desc.ExecutionConfig.UserMetadata == nil || desc.ExecutionConfig.UserMetadata.Summary == nil {
		t.Error("workflow has no static summary")
	}
	iter := s.App.Temporal.GetWorkflowHistory(ctx, "order-"+c.OrderID, "", false, 0)
	var size int
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		raw := ev.String()
		size += len(raw)
		for _, secret := range []string{"\\x89PNG", s.Cfg.TelegramBotToken, s.Cfg.ESIMGoAPIKey, s.Cfg.TelegramWebhookSecret} {
			if regexp.MustCompile(regexp.QuoteMeta(secret)).MatchString(raw) {
				t.Errorf("history event %s contains %q", ev.GetEventType(), secret)
			}
		}
	}
	if size == 0 || size > 200_000 {
		t.Errorf("history size %d bytes", size)
	}
}

func TestPlanSyncScheduleIsVisibleToOperators(t *testing.T) {
	s := startStore(t, nil)
	desc, err := s.App.Temporal.ScheduleClient().GetHandle(context.Background(), "plan-sync").Describe(context.Background())
	if err != nil {
		t.Fatalf("plan-sync schedule: %v", err)
	}
	if len(desc.Schedule.Spec.Intervals) != 1 || desc.Schedule.Spec.Intervals[0].Every != s.Cfg.PlanSyncInterval {
		t.Errorf("schedule spec = %+v", desc.Schedule.Spec)
	}
	// The plan table was filled from the catalogue, priced per the contract.
	var plans []map[string]any
	s.call("GET", "/api/plans?country=GB", nil, nil, &plans)
	found := false
	for _, p := range plans {
		if p["id"] == planGB {
			found = true
			if p["price_usd"] != "1.77" || p["price_stars"] != float64(137) {
				t.Errorf("plan %s priced %v / %v, want 1.77 / 137", planGB, p["price_usd"], p["price_stars"])
			}
		}
	}
	if !found {
		t.Errorf("plan %s not synced", planGB)
	}
}

func TestReadinessChecksDatabaseTemporalAndWorker(t *testing.T) {
	s := startStore(t, nil)
	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if code := s.call("GET", "/readyz", nil, nil, &ready); code != 200 || !ready.Ready {
		t.Fatalf("readyz %d %+v", code, ready)
	}
	for _, name := range []string{"postgresql", "temporal", "worker", "catalogue"} {
		if ready.Checks[name] != "ok" {
			t.Errorf("check %s = %q", name, ready.Checks[name])
		}
	}
	// With the database gone, the store says it is not ready.
	if _, err := s.App.Store.Pool.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	s.App.Store.Close()
	// The public answer names what is down, never the driver's error text
	// (hosts, ports, user names): that goes to the log.
	if code := s.call("GET", "/readyz", nil, nil, &ready); code != 503 || ready.Checks["postgresql"] != "down" ||
		ready.Checks["catalogue"] != "down" {
		t.Fatalf("readyz after the database closed: %d %+v", code, ready)
	}
	for name, v := range ready.Checks {
		if v != "ok" && v != "down" {
			t.Errorf("check %s answers %q, want ok or down", name, v)
		}
	}
}
