package faultsuite

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starsesim/esimstore/contract"
)

// ledgers is one consistent look at all three records of the money.
type ledgers struct {
	tgCharges  map[string]int64 // Telegram: incoming charge → Stars
	tgRefunds  map[string]int   // Telegram: charge → successful refunds
	esimOrders map[string]bool  // eSIM Go: order references
	payments   map[string]string
	refundsDB  map[string]string // charge → status
	esimByRef  map[string]string // ledger: reference → charge
	fulfilled  map[string]bool   // charge → has an eSIM with install details
	orders     map[string]contract.Status
	// bySupport: charges support refunded; they may also be fulfilled.
	bySupport map[string]bool
	// held: unpaid orders whose checkout was approved; by design the
	// workflow waits approvalGrace (1 h) for the payment Telegram may
	// still send, e.g. when the approval reached Telegram too late.
	held map[string]bool
}

func (w *world) snapshot(ctx context.Context) (ledgers, error) {
	s := ledgers{tgCharges: map[string]int64{}, tgRefunds: w.tg.Refunds(), esimOrders: map[string]bool{},
		payments: map[string]string{}, refundsDB: map[string]string{}, esimByRef: map[string]string{},
		fulfilled: map[string]bool{}, orders: map[string]contract.Status{}, held: map[string]bool{}, bySupport: map[string]bool{}}
	for _, tx := range w.tg.Transactions() {
		if tx.Source != nil {
			s.tgCharges[tx.ID] = tx.Amount
		}
	}
	for _, o := range w.esim.Orders() {
		s.esimOrders[o.Reference] = true
	}
	pool := w.client.Store.Pool
	collect := func(q string, f func(a, b string)) error {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			return err
		}
		pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ A, B string }])
		for _, p := range pairs {
			f(p.A, p.B)
		}
		return err
	}
	for _, c := range []struct {
		q string
		f func(a, b string)
	}{
		{`SELECT telegram_payment_charge_id, order_id FROM payments`, func(a, b string) { s.payments[a] = b }},
		{`SELECT telegram_payment_charge_id, status FROM refunds`, func(a, b string) { s.refundsDB[a] = b }},
		{`SELECT esimgo_reference, charge_id FROM esim_orders`, func(a, b string) { s.esimByRef[a] = b }},
		{`SELECT charge_id, '' FROM esim_orders WHERE matching_id IS NOT NULL`, func(a, _ string) { s.fulfilled[a] = true }},
		{`SELECT id, status FROM orders`, func(a, b string) { s.orders[a] = contract.Status(b) }},
		{`SELECT telegram_payment_charge_id, '' FROM refunds WHERE reason_code = '` + string(contract.RefundSupport) + `'`,
			func(a, _ string) { s.bySupport[a] = true }},
		{`SELECT o.id, '' FROM orders o WHERE o.status = 'awaiting_payment'
			AND exists (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.kind = 'checkout_approved')
			AND NOT exists (SELECT 1 FROM payments p WHERE p.order_id = o.id)`, func(a, _ string) { s.held[a] = true }},
	} {
		if err := collect(c.q, c.f); err != nil {
			return s, fmt.Errorf("snapshot: %w", err)
		}
	}
	return s, nil
}

// unresolved lists charges Telegram took that are neither fulfilled nor refunded.
func (s ledgers) unresolved() []string {
	var out []string
	for id := range s.tgCharges {
		if !s.fulfilled[id] && s.tgRefunds[id] == 0 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// resolutions records when each charge was first seen resolved.
type resolutions struct {
	mu     sync.Mutex
	at     map[string]time.Time
	seenAt map[string]time.Time
}

func newResolutions() *resolutions {
	return &resolutions{at: map[string]time.Time{}, seenAt: map[string]time.Time{}}
}

func (r *resolutions) watch(ctx context.Context, w *world) {
	for ctx.Err() == nil {
		if s, err := w.snapshot(ctx); err == nil {
			r.observe(s)
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (r *resolutions) observe(s ledgers) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for id := range s.tgCharges {
		if _, ok := r.seenAt[id]; !ok {
			r.seenAt[id] = now
		}
		if _, done := r.at[id]; !done && (s.fulfilled[id] || s.tgRefunds[id] > 0) {
			r.at[id] = now
		}
	}
}

// waitSettled polls until every charge is resolved, every order is final
// and no update waits for delivery, within bound; it returns when.
func (w *world) waitSettled(ctx context.Context, t *testing.T, l *ledger, bound time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(bound)
	var last string
	for time.Now().Before(deadline) {
		_ = w.tg.Flush(ctx)
		s, err := w.snapshot(ctx)
		if err == nil {
			open := s.unresolved()
			var notFinal []string
			for id, st := range s.orders {
				if !st.Final() && !s.held[id] {
					notFinal = append(notFinal, id+"="+string(st))
				}
			}
			if len(open) == 0 && len(notFinal) == 0 && w.tg.Pending() == 0 {
				return time.Now()
			}
			last = fmt.Sprintf("%d charges unresolved %v, %d orders not final %v, %d updates pending",
				len(open), head(open), len(notFinal), head(notFinal), w.tg.Pending())
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("not settled within %s after the faults stopped: %s", bound, last)
	if s, err := w.snapshot(ctx); err == nil {
		for id, st := range s.orders {
			if !st.Final() && !s.held[id] {
				d, err := w.client.Temporal.DescribeWorkflowExecution(ctx, contract.WorkflowID(id), "")
				if err != nil {
					t.Errorf("order %s (%s): describe workflow: %v", id, st, err)
					continue
				}
				t.Errorf("order %s (%s): workflow %s, pending activities %d", id, st,
					d.GetWorkflowExecutionInfo().GetStatus(), len(d.GetPendingActivities()))
			}
		}
	}
	return time.Now()
}

func head(xs []string) []string { return xs[:min(len(xs), 5)] }

// report is the suite's summary table.
type report struct {
	orders, charges, fulfilled, refunded, lost, both, dupESIM, doubleRefunds int
	supportAfterDelivery, supportNotices                                     int
	faults                                                                   *faultLog
	scenarios                                                                map[scenario]int
	unpaid                                                                   int
	held                                                                     int
	longest                                                                  time.Duration
	settleTime                                                               time.Duration
	topUps, callbacks, alerts, dupAlerts, forgedStored                       int
}

// check asserts the money rules on the settled ledgers.
func (w *world) check(ctx context.Context, t *testing.T, l *ledger, res *resolutions, faults *faultLog) report {
	t.Helper()
	s, err := w.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res.observe(s)
	rep := report{faults: faults, scenarios: l.scenarios, unpaid: l.unpaid, charges: len(s.tgCharges), held: len(s.held)}

	for id := range s.tgCharges {
		f, r := s.fulfilled[id], s.tgRefunds[id] > 0
		switch {
		case f && r && s.bySupport[id]:
			rep.supportAfterDelivery++ // support refunds a delivered eSIM too
		case f && r:
			rep.both++
			t.Errorf("charge %s both fulfilled and refunded", id)
		case f:
			rep.fulfilled++
		case r:
			rep.refunded++
		default:
			rep.lost++
			t.Errorf("charge %s (order %s) neither fulfilled nor refunded", id, s.payments[id])
		}
		if _, ok := s.payments[id]; !ok {
			t.Errorf("charge %s taken by Telegram is not in payments", id)
		}
		if r && s.refundsDB[id] != "done" {
			t.Errorf("charge %s refunded by Telegram, ledger says %q", id, s.refundsDB[id])
		}
		if d, ok := res.at[id]; ok {
			rep.longest = max(rep.longest, d.Sub(res.seenAt[id]))
		}
	}
	for id, n := range s.tgRefunds {
		if n > 1 {
			rep.doubleRefunds++
			t.Errorf("charge %s refunded %d times", id, n)
		}
	}
	for id := range s.payments {
		if _, ok := s.tgCharges[id]; !ok {
			t.Errorf("payments holds %s, which Telegram never charged (forged?)", id)
		}
	}
	for id, st := range s.refundsDB {
		if st == "done" && s.tgRefunds[id] == 0 {
			t.Errorf("ledger marks %s refunded; Telegram did not refund it", id)
		}
	}
	// eSIM Go orders the ledger does not own were bought twice for some
	// charge (or for none): money rule 2.
	charges := map[string]int{}
	for ref, ch := range s.esimByRef {
		charges[ch]++
		if !s.esimOrders[ref] {
			t.Errorf("ledger eSIM order %s does not exist at eSIM Go", ref)
		}
	}
	for ref := range s.esimOrders {
		if _, ok := s.esimByRef[ref]; !ok {
			rep.dupESIM++
			t.Errorf("eSIM Go order %s belongs to no charge in the ledger", ref)
		}
	}
	for ch, n := range charges {
		if n > 1 {
			rep.dupESIM += n - 1
			t.Errorf("charge %s has %d eSIM orders", ch, n)
		}
	}
	w.checkWorkflows(ctx, t, s)
	w.checkAfterSale(ctx, t, l, &rep)
	return rep
}

// checkAfterSale: no forged callback reached the inbox, and no buyer got
// the same low-data alert or installed notice twice for one eSIM, however
// often eSIM Go delivered the callback.
func (w *world) checkAfterSale(ctx context.Context, t *testing.T, l *ledger, rep *report) {
	t.Helper()
	w.mu.Lock()
	forged := slices.Clone(w.forged)
	w.mu.Unlock()
	rep.forgedStored = w.count(ctx, fmt.Sprintf(`SELECT count(*) FROM esimgo_callbacks WHERE body_sha256 IN ('%s')`,
		strings.Join(append(forged, "-"), "','")))
	if rep.forgedStored > 0 {
		t.Errorf("%d forged eSIM Go callbacks were stored", rep.forgedStored)
	}
	rep.callbacks = w.count(ctx, `SELECT count(*) FROM esimgo_callbacks`)
	users := map[int64]bool{}
	l.mu.Lock()
	for _, u := range l.orders {
		users[u] = true
	}
	rep.topUps = l.topUps
	l.mu.Unlock()
	for u := range users {
		seen := map[string]int{}
		for _, m := range w.tg.Chat(u) {
			if !m.FromBot {
				continue
			}
			switch {
			case strings.HasPrefix(m.Text, "⚠️ 80 % of"):
				rep.alerts++
				seen["80 "+tailOf(m.Text)]++
			case strings.HasPrefix(m.Text, "⛔ All"):
				rep.alerts++
				seen["100 "+tailOf(m.Text)]++
			case strings.HasPrefix(m.Text, "Your eSIM …") && strings.Contains(m.Text, "is installed ✓"):
				seen["installed "+tailOf(m.Text)]++
			}
		}
		for k, n := range seen {
			if n > 1 {
				rep.dupAlerts += n - 1
				t.Errorf("buyer %d got %q %d times", u, k, n)
			}
		}
	}
}

// tailOf is the "…1234" an after-sale message names its eSIM by.
func tailOf(text string) string {
	i := strings.Index(text, "…")
	if i < 0 || len(text) < i+len("…")+4 {
		return ""
	}
	return text[i+len("…") : i+len("…")+4]
}

// checkWorkflows asks every order's workflow for its status: it must agree
// with the read model.
func (w *world) checkWorkflows(ctx context.Context, t *testing.T, s ledgers) {
	t.Helper()
	mismatches := 0
	for id, st := range s.orders {
		val, err := w.client.Temporal.QueryWorkflow(ctx, contract.WorkflowID(id), "", contract.QueryStatus)
		if err != nil {
			t.Errorf("query workflow of order %s: %v", id, err)
			continue
		}
		var v contract.View
		if err := val.Get(&v); err != nil {
			t.Errorf("decode status of %s: %v", id, err)
			continue
		}
		if v.Status != st && mismatches < 10 {
			mismatches++
			t.Errorf("order %s: workflow says %s, ledger says %s", id, v.Status, st)
		}
	}
}

func (r report) print(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nfault suite summary\n")
	row := func(k string, v any) { fmt.Fprintf(&b, "  %-52s %v\n", k, v) }
	row("orders", r.orders)
	row("charges (Telegram ledger)", r.charges)
	row("buyers who never paid (app down, gave up)", r.unpaid)
	for _, sc := range []scenario{scNormal, scDupes, scDouble, scExpired, scBlocked, scSupport, scTopUp} {
		row("buyers: "+string(sc), r.scenarios[sc])
	}
	for _, k := range r.faults.order {
		row("fault: "+k, r.faults.counts[k])
	}
	row("unpaid orders held open after a late approval", r.held)
	row("fulfilled", r.fulfilled)
	row("refunded", r.refunded)
	row("refunded by support after the eSIM was bought", r.supportAfterDelivery)
	row("support refund notices read verbatim", r.supportNotices)
	row("lost (must be 0)", r.lost)
	row("fulfilled and refunded, not by support (must be 0)", r.both)
	row("duplicate eSIM Go orders (must be 0)", r.dupESIM)
	row("double refunds (must be 0)", r.doubleRefunds)
	row("top-up orders", r.topUps)
	row("eSIM Go callbacks stored (duplicates stored once)", r.callbacks)
	row("low-data alerts sent", r.alerts)
	row("duplicate alerts or notices (must be 0)", r.dupAlerts)
	row("forged callbacks stored (must be 0)", r.forgedStored)
	row("longest time to resolution", r.longest.Round(100*time.Millisecond))
	row("settled after faults stopped in", r.settleTime.Round(100*time.Millisecond))
	t.Log(b.String())
}
