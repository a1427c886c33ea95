//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starsesim/esimstore/contract"
)

// ledgers is one look at the three records of the money: Telegram's, eSIM
// Go's (both fakes, which outlive every process) and the store's own.
type ledgers struct {
	tgCharges  map[string]bool // Telegram: incoming charges
	tgRefunds  map[string]int  // Telegram: charge → successful refunds
	esimOrders map[string]bool // eSIM Go: order references
	payments   map[string]string
	refundsDB  map[string]string // charge → status
	esimByRef  map[string]string // ledger: eSIM Go reference → charge
	fulfilled  map[string]bool   // charges with an eSIM and its install details
	orders     map[string]contract.Status
	// held: unpaid orders whose checkout was approved; the workflow waits
	// an hour for a payment Telegram may still send.
	held map[string]bool
}

func (w *world) snapshot(ctx context.Context) (ledgers, error) {
	s := ledgers{tgCharges: map[string]bool{}, tgRefunds: w.c.Telegram.Refunds(), esimOrders: map[string]bool{},
		payments: map[string]string{}, refundsDB: map[string]string{}, esimByRef: map[string]string{},
		fulfilled: map[string]bool{}, orders: map[string]contract.Status{}, held: map[string]bool{}}
	for _, tx := range w.c.Telegram.Transactions() {
		if tx.Source != nil {
			s.tgCharges[tx.ID] = true
		}
	}
	for _, o := range w.c.ESIM.Orders() {
		s.esimOrders[o.Reference] = true
	}
	for _, q := range []struct {
		sql string
		f   func(a, b string)
	}{
		{`SELECT telegram_payment_charge_id, order_id FROM payments`, func(a, b string) { s.payments[a] = b }},
		{`SELECT telegram_payment_charge_id, status FROM refunds`, func(a, b string) { s.refundsDB[a] = b }},
		{`SELECT esimgo_reference, charge_id FROM esim_orders`, func(a, b string) { s.esimByRef[a] = b }},
		{`SELECT charge_id, '' FROM esim_orders WHERE matching_id IS NOT NULL`, func(a, _ string) { s.fulfilled[a] = true }},
		{`SELECT id, status FROM orders`, func(a, b string) { s.orders[a] = contract.Status(b) }},
		{`SELECT o.id, '' FROM orders o WHERE o.status = 'awaiting_payment'
			AND exists (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.kind = 'checkout_approved')
			AND NOT exists (SELECT 1 FROM payments p WHERE p.order_id = o.id)`, func(a, _ string) { s.held[a] = true }},
	} {
		rows, err := w.store.Pool.Query(ctx, q.sql)
		if err != nil {
			return s, fmt.Errorf("snapshot: %w", err)
		}
		pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ A, B string }])
		if err != nil {
			return s, fmt.Errorf("snapshot: %w", err)
		}
		for _, p := range pairs {
			q.f(p.A, p.B)
		}
	}
	return s, nil
}

// open lists what keeps a crowd's orders from being settled: charges
// neither fulfilled nor refunded, and orders not final (held ones aside).
func (s ledgers) open(cr *crowd) (charges, orders []string) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	for id := range cr.charges {
		if !s.fulfilled[id] && s.tgRefunds[id] == 0 {
			charges = append(charges, id)
		}
	}
	for id := range cr.orders {
		if st := s.orders[id]; !st.Final() && !s.held[id] {
			orders = append(orders, id+"="+string(st))
		}
	}
	// Charges Telegram took for the crowd's orders that the buyers never
	// heard back about (a payment answer lost in an outage) count too.
	for ch, order := range s.payments {
		if cr.orders[order] && !cr.charges[ch] && !s.fulfilled[ch] && s.tgRefunds[ch] == 0 {
			charges = append(charges, ch)
		}
	}
	sort.Strings(charges)
	sort.Strings(orders)
	return charges, orders
}

// waitSettled polls until the crowd's money is settled and no update
// waits for delivery, within bound.
func (w *world) waitSettled(t *testing.T, cr *crowd, bound time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(bound)
	var last string
	for time.Now().Before(deadline) {
		s, err := w.snapshot(ctx)
		if err == nil {
			charges, orders := s.open(cr)
			if len(charges) == 0 && len(orders) == 0 && w.c.Telegram.Pending() == 0 {
				return
			}
			last = fmt.Sprintf("%d charges unresolved %v, %d orders not final %v, %d updates pending",
				len(charges), head(charges), len(orders), head(orders), w.c.Telegram.Pending())
		} else {
			last = err.Error()
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("not settled within %s: %s", bound, last)
}

func head(xs []string) []string { return xs[:min(len(xs), 5)] }

// tally is what a money check found.
type tally struct {
	charges, fulfilled, refunded, lost, both, dupESIM, doubleRefunds, held, unpaid int
}

func (r tally) String() string {
	return fmt.Sprintf("charges %d: fulfilled %d, refunded %d; lost %d, fulfilled and refunded %d, "+
		"duplicate eSIM Go orders %d, double refunds %d; unpaid buyers %d (held %d)",
		r.charges, r.fulfilled, r.refunded, r.lost, r.both, r.dupESIM, r.doubleRefunds, r.unpaid, r.held)
}

// checkMoney asserts the money rules: on the crowd's charges, each one
// fulfilled or refunded and never both; on the whole ledger, no eSIM Go
// order without its charge, none bought twice, no charge refunded twice,
// and the store's records agreeing with Telegram's.
func (w *world) checkMoney(t *testing.T, cr *crowd) tally {
	t.Helper()
	s, err := w.snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	r := tally{unpaid: cr.unpaid}
	mine := map[string]bool{}
	for ch, order := range s.payments {
		if cr.orders[order] {
			mine[ch] = true
		}
	}
	for ch := range cr.charges {
		mine[ch] = true
	}
	for ch := range mine {
		r.charges++
		f, rf := s.fulfilled[ch], s.tgRefunds[ch] > 0
		switch {
		case f && rf:
			r.both++
			t.Errorf("charge %s both fulfilled and refunded", ch)
		case f:
			r.fulfilled++
		case rf:
			r.refunded++
		default:
			r.lost++
			t.Errorf("charge %s (order %s) neither fulfilled nor refunded", ch, s.payments[ch])
		}
	}
	for id := range cr.orders {
		if s.held[id] {
			r.held++
		}
	}
	for ch, n := range s.tgRefunds {
		if n > 1 {
			r.doubleRefunds++
			t.Errorf("charge %s refunded %d times", ch, n)
		}
	}
	for ch := range s.tgCharges {
		if _, ok := s.payments[ch]; !ok {
			t.Errorf("charge %s taken by Telegram is not in payments", ch)
		}
	}
	for ch := range s.payments {
		if !s.tgCharges[ch] {
			t.Errorf("payments holds %s, which Telegram never charged", ch)
		}
	}
	for ch, st := range s.refundsDB {
		if st == "done" && s.tgRefunds[ch] == 0 {
			t.Errorf("ledger marks %s refunded; Telegram did not refund it", ch)
		}
	}
	perCharge := map[string]int{}
	for ref, ch := range s.esimByRef {
		perCharge[ch]++
		if !s.esimOrders[ref] {
			t.Errorf("ledger eSIM order %s does not exist at eSIM Go", ref)
		}
	}
	for ref := range s.esimOrders {
		if _, ok := s.esimByRef[ref]; !ok {
			r.dupESIM++
			t.Errorf("eSIM Go order %s belongs to no charge in the ledger", ref)
		}
	}
	for ch, n := range perCharge {
		if n > 1 {
			r.dupESIM += n - 1
			t.Errorf("charge %s has %d eSIM Go orders", ch, n)
		}
	}
	return r
}

// checkWorkflows asks each order's workflow for its status: it must agree
// with the read model.
func (w *world) checkWorkflows(t *testing.T, cr *crowd) {
	t.Helper()
	ctx := context.Background()
	s, err := w.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cr.mu.Lock()
	ids := make([]string, 0, len(cr.orders))
	for id := range cr.orders {
		ids = append(ids, id)
	}
	cr.mu.Unlock()
	var mu sync.Mutex
	var wrong []string
	forEach(ids, 8, func(id string) {
		val, err := w.c.Temporal.QueryWorkflow(ctx, contract.WorkflowID(id), "", contract.QueryStatus)
		var v contract.View
		if err == nil {
			err = val.Get(&v)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			wrong = append(wrong, fmt.Sprintf("%s: query: %v", id, err))
		case v.Status != s.orders[id]:
			wrong = append(wrong, fmt.Sprintf("%s: workflow says %s, ledger %s", id, v.Status, s.orders[id]))
		}
	})
	if len(wrong) > 0 {
		sort.Strings(wrong)
		t.Errorf("%d of %d workflows disagree with the ledger: %v", len(wrong), len(ids), head(wrong))
	}
}

// forEach runs f over items with at most n at a time.
func forEach(items []string, n int, f func(string)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(it)
		}()
	}
	wg.Wait()
}
