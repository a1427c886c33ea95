package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestMigrateTwiceIsNoOp(t *testing.T) {
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	first, err := store.Migrate(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("first migrate applied nothing")
	}
	second, err := store.Migrate(ctx, url)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(second) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", second)
	}
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, table := range []string{"plans", "orders", "payments", "esim_orders", "refunds", "order_events", "telegram_updates"} {
		var n int
		if err := s.Pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestSchemaGuardsMoney(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	_, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Plan', 1024, 7, 1.36, 1.77, 137)`)
	if err != nil {
		t.Fatal(err)
	}
	var usd string
	if err := s.Pool.QueryRow(ctx, `SELECT wholesale_usd::text FROM plans WHERE id='p1'`).Scan(&usd); err != nil || usd != "1.3600" {
		t.Fatalf("wholesale stored as %q (%v), want exact 1.3600", usd, err)
	}
	insertPayment := `INSERT INTO payments (telegram_payment_charge_id, order_id, user_id, currency, total_amount, invoice_payload)
		VALUES ('ch1', 'o1', 1, 'XTR', 137, 'o1')`
	if _, err := s.Pool.Exec(ctx, insertPayment); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, insertPayment); err == nil {
		t.Fatal("a second payment row with the same charge id was accepted")
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO order_events (order_id, event_key, kind) VALUES ('o1', 'o1:created', 'created')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE order_events SET kind = 'x'`); err == nil {
		t.Fatal("order_events accepted an UPDATE; it must be append-only")
	}
	if _, err := s.Pool.Exec(ctx, `DELETE FROM order_events`); err == nil {
		t.Fatal("order_events accepted a DELETE; it must be append-only")
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO telegram_updates (update_id, kind, raw) VALUES (7, 'message', '{}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO telegram_updates (update_id, kind, raw) VALUES (7, 'message', '{}')`); err == nil {
		t.Fatal("duplicate update_id accepted")
	}
}

// The wiring proof: a workflow on the real dev server, run by a real worker,
// whose activity writes a row through pgx.
func TestWorkflowWritesThroughPgx(t *testing.T) {
	s, _ := testenv.Store(t)
	c := testenv.Client(t)
	queue := testenv.TaskQueue(t)

	w := worker.New(c, queue, worker.Options{})
	writeEvent := func(ctx context.Context, orderID string) error {
		_, err := s.Pool.Exec(ctx, `INSERT INTO order_events (order_id, event_key, kind) VALUES ($1, $1 || ':wired', 'wired')
			ON CONFLICT (event_key) DO NOTHING`, orderID)
		return err
	}
	wf := func(ctx workflow.Context, orderID string) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
		return workflow.ExecuteActivity(ctx, "WriteEvent", orderID).Get(ctx, nil)
	}
	w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "WiringWorkflow"})
	w.RegisterActivityWithOptions(writeEvent, activity.RegisterOptions{Name: "WriteEvent"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "WiringWorkflow", "o-wired")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	var kind string
	if err := s.Pool.QueryRow(ctx, `SELECT kind FROM order_events WHERE order_id = 'o-wired'`).Scan(&kind); err != nil {
		t.Fatalf("row not written: %v", err)
	}
	if kind != "wired" {
		t.Fatalf("kind = %q", kind)
	}
}

func TestOrderDetailsGroupsRowsByOrder(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Plan', 1024, 7, 1.36, 1.77, 137)`); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"o1", "o2", "o3"} {
		if err := s.CreateOrder(ctx, store.Order{ID: id, UserID: 5_079_065_042, ChatID: 5_079_065_042, PlanID: "p1", Status: "awaiting_payment",
			PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137, QuoteExpiresAt: time.Now(), Source: "miniapp"}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j <= i; j++ { // o1 gets one payment, o2 two, o3 three
			if _, err := s.RecordPayment(ctx, store.Payment{ChargeID: fmt.Sprintf("%s-ch%d", id, j), OrderID: id, UserID: 5_079_065_042,
				Currency: "XTR", TotalAmount: 137, InvoicePayload: id}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.RequestRefund(ctx, store.RefundRow{ChargeID: "o2-ch1", OrderID: "o2", UserID: 5_079_065_042, Stars: 137, Reason: "dup", RequestedBy: "system"}); err != nil {
		t.Fatal(err)
	}
	details, err := s.OrderDetails(ctx, store.OrderFilter{UserID: 5_079_065_042})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, d := range details {
		for _, p := range d.Payments {
			if p.OrderID != d.Order.ID {
				t.Errorf("payment %s attached to %s", p.ChargeID, d.Order.ID)
			}
		}
		got[d.Order.ID] = [2]int{len(d.Payments), len(d.Refunds)}
	}
	want := map[string][2]int{"o1": {1, 0}, "o2": {2, 1}, "o3": {3, 0}}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: payments/refunds = %v, want %v", id, got[id], w)
		}
	}
	one, err := s.OrderDetail(ctx, "o3")
	if err != nil || len(one.Payments) != 3 {
		t.Fatalf("OrderDetail(o3) = %d payments, %v", len(one.Payments), err)
	}
}

func TestBeginESIMAttemptCountsEarlierAttempts(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	var last time.Time
	for want := 0; want < 3; want++ {
		a, err := s.BeginESIMAttempt(ctx, "o1", "ch1")
		if err != nil {
			t.Fatal(err)
		}
		if a.Prior != want {
			t.Fatalf("attempt %d: prior = %d, want %d", want+1, a.Prior, want)
		}
		if want == 0 && !a.PriorAt.IsZero() || want > 0 && !a.PriorAt.Equal(last) {
			t.Fatalf("attempt %d: prior attempt at %v, the previous began at %v", want+1, a.PriorAt, last)
		}
		var at time.Time
		if err := s.Pool.QueryRow(ctx, `SELECT last_at FROM esim_attempts WHERE charge_id = 'ch1'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		last = at
	}
	if a, err := s.BeginESIMAttempt(ctx, "o2", "ch2"); err != nil || a.Prior != 0 {
		t.Fatalf("another charge: prior = %d (%v), want 0", a.Prior, err)
	}
}

// An attempt that waited (for an earlier one to settle, for a lookup, for
// its slot in eSIM Go's budget) restarts its clock when its request
// leaves: the next attempt reckons from then, not from the attempt's
// first note, how long an order of it may take to appear.
func TestRestartedAttemptIsReckonedFromItsRequest(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.BeginESIMAttempt(ctx, "o1", "ch1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE esim_attempts SET last_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	if err := s.RestartESIMAttempt(ctx, "ch1"); err != nil {
		t.Fatal(err)
	}
	a, err := s.BeginESIMAttempt(ctx, "o1", "ch1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Prior != 1 || time.Since(a.PriorAt) > 30*time.Second {
		t.Errorf("next attempt sees %d before, the latest begun %s ago; want 1, begun at the restart", a.Prior, time.Since(a.PriorAt))
	}
}

func TestSaveHandledUpdateIsOneHandledRow(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.SaveUpdate(ctx, 5, "message", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{5, 6, 6} {
		if err := s.SaveHandledUpdate(ctx, id, "pre_checkout_query", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	var rows, handled int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*), count(processed_at) FROM telegram_updates`).Scan(&rows, &handled); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || handled != 2 {
		t.Fatalf("%d rows, %d handled; want 2 and 2", rows, handled)
	}
	if err := s.SaveHandledUpdate(ctx, 7, "pre_checkout_query", []byte(`not json`)); err == nil {
		t.Error("a body that is not JSON was stored")
	}
}

// Telegram user ids use up to 52 bits; every read path filtering by buyer
// must carry them as int8 (a bare "$1 = 0" made PostgreSQL infer int4).
func TestListOrdersByBuyerTakes64BitIDs(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Plan', 1024, 7, 1.36, 1.77, 137)`); err != nil {
		t.Fatal(err)
	}
	ids := []int64{1, 1<<31 - 1, 1 << 31, 5_079_065_042, 1<<52 - 1}
	for _, id := range ids {
		if err := s.CreateOrder(ctx, store.Order{ID: fmt.Sprintf("o-%d", id), UserID: id, ChatID: id, PlanID: "p1",
			Status: "awaiting_payment", PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137,
			QuoteExpiresAt: time.Now(), Source: "miniapp"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			list, err := s.ListOrders(ctx, store.OrderFilter{UserID: id, Status: "awaiting_payment", PlanID: "p1"})
			if err != nil {
				t.Fatalf("ListOrders: %v", err)
			}
			if len(list) != 1 || list[0].UserID != id {
				t.Fatalf("ListOrders = %+v, want only the order of %d", list, id)
			}
			details, err := s.OrderDetails(ctx, store.OrderFilter{UserID: id})
			if err != nil || len(details) != 1 {
				t.Fatalf("OrderDetails = %d, %v", len(details), err)
			}
			subs, err := s.ListSubscriptions(ctx, id)
			if err != nil || len(subs) != 0 {
				t.Fatalf("ListSubscriptions = %v, %v", subs, err)
			}
		})
	}
	all, err := s.ListOrders(ctx, store.OrderFilter{})
	if err != nil || len(all) != len(ids) {
		t.Fatalf("unfiltered ListOrders = %d, %v", len(all), err)
	}
}

// CountOpenOrders counts only the buyer's unpaid orders whose quote is
// still valid, and stops at max.
func TestCountOpenOrders(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Plan', 1024, 7, 1.36, 1.77, 137)`); err != nil {
		t.Fatal(err)
	}
	const buyer, other = int64(5_079_065_042), int64(5_079_065_043)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	add := func(id string, user int64, status string, expires time.Time) {
		t.Helper()
		if err := s.CreateOrder(ctx, store.Order{ID: id, UserID: user, ChatID: user, PlanID: "p1",
			Status: contract.Status(status), PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137,
			QuoteExpiresAt: expires, Source: "miniapp"}); err != nil {
			t.Fatal(err)
		}
	}
	add("open-1", buyer, "awaiting_payment", now.Add(time.Minute))
	add("open-2", buyer, "awaiting_payment", now.Add(29*time.Minute))
	add("open-3", buyer, "awaiting_payment", now.Add(time.Second))
	add("quote-expired", buyer, "awaiting_payment", now.Add(-time.Second)) // its workflow has not marked it yet
	add("paid", buyer, "paid", now.Add(time.Minute))
	add("fulfilled", buyer, "fulfilled", now.Add(time.Minute))
	add("expired", buyer, "expired", now.Add(-time.Hour))
	add("someone-else", other, "awaiting_payment", now.Add(time.Minute))

	tests := []struct {
		name string
		user int64
		max  int
		want int
	}{
		{"counts only open orders of the buyer", buyer, 10, 3},
		{"stops at max", buyer, 2, 2},
		{"other buyer", other, 10, 1},
		{"buyer without orders", 1, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.CountOpenOrders(ctx, tt.user, now, tt.max)
			if err != nil || got != tt.want {
				t.Fatalf("CountOpenOrders = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
