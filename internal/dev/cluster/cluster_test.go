//go:build cluster

package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/bench"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// world is the running cluster and what the checks need next to it.
type world struct {
	c     *Cluster
	store *store.Store
	http  *http.Client
	// marks are the eSIM Go request log's phases, for the budget check.
	marks []phase
}

type phase struct {
	name       string
	start, end time.Time
}

// invoiceTTL is short so the late-payment path fits the run.
const invoiceTTL = 20 * time.Second

// TestCluster is `make cluster-test`: the store in its production shape,
// checked. It is built only with the cluster tag (make cluster-test sets
// it; make test vets and lints it with the tag but does not run it): it
// needs the Temporal server binaries (make cluster-tools) and minutes of
// its own, outside make test's budget. Every check is a subtest, so `go test -v` prints a PASS or FAIL
// line for each, and a summary table closes the run.
func TestCluster(t *testing.T) {
	w := newWorld(t)
	checks := []struct {
		name string
		run  func(*testing.T)
	}{
		{"main paths through both API processes", w.mainPaths},
		{"burst of 300 with a worker SIGKILLed and the Temporal server restarted", w.burst},
		{"rolling restart of the workers", w.rollingRestart},
		{"eSIM Go requests per second across both workers", w.esimBudget},
		{"bench against the cluster's Temporal server", w.bench},
	}
	var results []string
	for _, ch := range checks {
		ok := t.Run(ch.name, ch.run)
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
		}
		results = append(results, fmt.Sprintf("  %s  %s", verdict, ch.name))
	}
	t.Logf("\ncluster-test summary (logs in %s)\n%s", w.c.Opts.Dir, strings.Join(results, "\n"))
}

func newWorld(t *testing.T) *world {
	t.Helper()
	appBin := os.Getenv("CLUSTER_APP_BINARY")
	if appBin == "" {
		t.Fatal("CLUSTER_APP_BINARY is not set: run `make cluster-test`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Name: "esim_cluster_test", PortBase: 27000, AppBinary: appBin, Fresh: true,
		AppEnv: []string{"INVOICE_TTL=" + invoiceTTL.String()}, Progress: os.Stdout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("logs in %s; databases %s_* kept for a look", c.Opts.Dir, c.Opts.Name)
			return
		}
		dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
		defer dcancel()
		if err := c.DropDatabases(dctx); err != nil {
			t.Log(err)
		}
	})
	st, err := store.Open(ctx, c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &world{c: c, store: st, http: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

func (w *world) mark(name string, start time.Time) {
	w.marks = append(w.marks, phase{name: name, start: start, end: time.Now()})
}

// mainPaths drives one buyer down each of the store's paths. The front
// door alternates between the API processes request by request, so the
// create, the pre-checkout and the payment of one order land on different
// processes.
func (w *world) mainPaths(t *testing.T) {
	ctx := context.Background()
	before := w.c.Front.Hits()
	// The late payment needs its order to expire first: start it now.
	late := buyer(5_000_000_005)
	lateOrder := w.mustCreate(t, late, "/api/orders")

	t.Run("purchase", func(t *testing.T) {
		u := buyer(5_000_000_001)
		c := w.mustCreate(t, u, "/api/orders")
		ch := w.mustPay(t, c, u)
		v := w.waitStatus(t, u, c.OrderID, "fulfilled", time.Minute)
		if v.ESIM == nil || !strings.HasPrefix(v.ESIM.LPA, "LPA:1$") {
			t.Errorf("fulfilled order without install details: %+v", v)
		}
		waitUntil(t, 10*time.Second, "QR photo", func() bool { return w.photos(u.ID) == 1 })
		if e, err := w.store.ESIMOrderByCharge(ctx, ch); err != nil || e.ICCID != v.ESIM.ICCID {
			t.Errorf("ledger eSIM order of %s: %+v %v", ch, e, err)
		}
		if n := w.c.Telegram.Refunds()[ch]; n != 0 {
			t.Errorf("refunds of a delivered order: %d", n)
		}
	})

	t.Run("refund when eSIM Go refuses", func(t *testing.T) {
		w.c.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle is not valid"})
		defer w.c.ESIM.ClearFault(esimgotest.EndpointCreateOrder)
		u := buyer(5_000_000_002)
		c := w.mustCreate(t, u, "/api/orders")
		ch := w.mustPay(t, c, u)
		w.waitStatus(t, u, c.OrderID, "refunded", time.Minute)
		if n := w.c.Telegram.Refunds()[ch]; n != 1 {
			t.Errorf("refunds of %s = %d, want 1", ch, n)
		}
		if _, err := w.store.ESIMOrderByCharge(ctx, ch); err == nil {
			t.Errorf("refused charge %s has an eSIM order", ch)
		}
	})

	t.Run("outcome unknown: eSIM Go commits, the answer is lost", func(t *testing.T) {
		orders, posts := len(w.c.ESIM.Orders()), len(w.c.ESIM.RequestsTo(esimgotest.EndpointCreateOrder))
		w.c.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
		defer w.c.ESIM.ClearFault(esimgotest.EndpointCreateOrder)
		u := buyer(5_000_000_003)
		c := w.mustCreate(t, u, "/api/orders")
		ch := w.mustPay(t, c, u)
		v := w.waitStatus(t, u, c.OrderID, "fulfilled", 2*time.Minute)
		if n := len(w.c.ESIM.Orders()) - orders; n != 1 {
			t.Errorf("eSIM Go orders placed = %d, want 1 (claimed, not bought again)", n)
		}
		if n := len(w.c.ESIM.RequestsTo(esimgotest.EndpointCreateOrder)) - posts; n != 1 {
			t.Errorf("POST /orders sent %d times, want 1", n)
		}
		if e, err := w.store.ESIMOrderByCharge(ctx, ch); err != nil || v.ESIM == nil || e.ICCID != v.ESIM.ICCID {
			t.Errorf("ledger eSIM order of %s: %+v %v", ch, e, err)
		}
	})

	t.Run("support refund", func(t *testing.T) {
		revokes := len(w.c.ESIM.RequestsTo(esimgotest.EndpointRevoke))
		u := buyer(5_000_000_004)
		c := w.mustCreate(t, u, "/api/orders")
		ch := w.mustPay(t, c, u)
		w.waitStatus(t, u, c.OrderID, "fulfilled", time.Minute)
		code, err := w.call(ctx, http.MethodPost, "/admin/orders/"+c.OrderID+"/refund", "Bearer "+w.c.AdminToken,
			map[string]string{"reason": "travel cancelled"}, nil)
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("support refund: %d %v", code, err)
		}
		w.waitStatus(t, u, c.OrderID, "refunded", time.Minute)
		if n := w.c.Telegram.Refunds()[ch]; n != 1 {
			t.Errorf("refunds of %s = %d, want 1", ch, n)
		}
		waitUntil(t, 30*time.Second, "bundle revoked at eSIM Go", func() bool {
			return len(w.c.ESIM.RequestsTo(esimgotest.EndpointRevoke)) == revokes+1
		})
	})

	t.Run("subscription renewal", func(t *testing.T) {
		u := buyer(5_000_000_006)
		c := w.mustCreate(t, u, "/api/subscriptions")
		first := w.mustPay(t, c, u)
		v := w.waitStatus(t, u, c.SubscriptionID, "fulfilled", time.Minute)
		if v.ESIM == nil {
			t.Fatalf("subscription fulfilled without an eSIM: %+v", v)
		}
		res, err := w.c.Telegram.Renew(ctx, first)
		if err != nil || res.ChargeID == "" {
			t.Fatalf("renewal: %+v %v", res, err)
		}
		waitUntil(t, time.Minute, "top-up on the same eSIM", func() bool { return len(w.c.ESIM.BundlesOn(v.ESIM.ICCID)) == 2 })
		if e, err := w.store.ESIMOrderByCharge(ctx, res.ChargeID); err != nil || e.ICCID != v.ESIM.ICCID {
			t.Errorf("ledger top-up of %s: %+v %v", res.ChargeID, e, err)
		}
		if n := len(w.c.Telegram.Refunds()); n != 2 { // the refused order's and the support refund's
			t.Errorf("refunds so far = %d, want 2", n)
		}
	})

	t.Run("late payment of an expired order is refunded", func(t *testing.T) {
		w.waitStatus(t, late, lateOrder.OrderID, "expired", invoiceTTL+time.Minute)
		if res, _ := w.c.Telegram.Pay(ctx, lateOrder.InvoiceLink, late); res.Approved {
			t.Errorf("checkout of an expired order approved: %+v", res)
		}
		res, err := w.c.Telegram.Pay(ctx, lateOrder.InvoiceLink, late, telegramtest.PayOptions{SkipPreCheckout: true})
		if err != nil || res.ChargeID == "" {
			t.Fatalf("late payment: %+v %v", res, err)
		}
		w.waitStatus(t, late, lateOrder.OrderID, "refunded", time.Minute)
		if n := w.c.Telegram.Refunds()[res.ChargeID]; n != 1 {
			t.Errorf("refunds of the late charge = %d, want 1", n)
		}
		if _, err := w.store.ESIMOrderByCharge(ctx, res.ChargeID); err == nil {
			t.Error("the late charge got an eSIM")
		}
	})

	t.Run("webhook deliveries spread over both API processes", func(t *testing.T) {
		after := w.c.Front.Hits()
		var spread []string
		for _, p := range w.c.APIs() {
			n := after[p.Addr]["webhook"] - before[p.Addr]["webhook"]
			spread = append(spread, fmt.Sprintf("%s %d", p.Name, n))
			if n == 0 {
				t.Errorf("%s received no webhook delivery", p.Name)
			}
		}
		t.Logf("webhook deliveries: %s", strings.Join(spread, ", "))
	})
}

// burst offers 300 orders at 25/s; a few seconds in, a worker is killed
// (and replaced, as an orchestrator would) and then the Temporal server is
// restarted. Every charge must end fulfilled or refunded, exactly once.
func (w *world) burst(t *testing.T) {
	const n, rate = 300, 25.0
	ctx := context.Background()
	cr := newCrowd()
	start := time.Now()
	faults := make(chan error, 1)
	go func() {
		faults <- func() error {
			time.Sleep(3 * time.Second)
			victim := w.c.Workers()[0]
			w.c.KillWorker(victim)
			t.Logf("%5.1fs  SIGKILLed %s", time.Since(start).Seconds(), victim.Name)
			time.Sleep(2 * time.Second)
			p, err := w.c.StartWorker(ctx)
			if err != nil {
				return fmt.Errorf("replacement worker: %w", err)
			}
			t.Logf("%5.1fs  %s replaces it", time.Since(start).Seconds(), p.Name)
			time.Sleep(2 * time.Second)
			t.Logf("%5.1fs  restarting the Temporal server", time.Since(start).Seconds())
			if err := w.c.RestartTemporal(ctx); err != nil {
				return fmt.Errorf("restart temporal: %w", err)
			}
			t.Logf("%5.1fs  Temporal server back", time.Since(start).Seconds())
			return nil
		}()
	}()
	w.load(ctx, cr, n, rate, 6_000_000_000)
	if err := <-faults; err != nil {
		t.Fatal(err)
	}
	t.Logf("%5.1fs  every buyer has paid or given up", time.Since(start).Seconds())
	w.waitSettled(t, cr, 5*time.Minute)
	w.mark("burst", start)
	t.Logf("%5.1fs  settled", time.Since(start).Seconds())
	r := w.checkMoney(t, cr)
	t.Logf("%d orders: %s", len(cr.orders), r)
	if len(cr.orders)+r.unpaid < n {
		t.Errorf("%d buyers unaccounted for", n-len(cr.orders)-r.unpaid)
	}
	w.checkWorkflows(t, cr)
}

// rollingRestart replaces the workers one by one (start the new one, wait
// until it polls, stop the old one gracefully) while orders keep coming.
// No order may get stuck and no workflow task may fail.
func (w *world) rollingRestart(t *testing.T) {
	const n, rate = 100, 4.0
	ctx := context.Background()
	cr := newCrowd()
	start := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); w.load(ctx, cr, n, rate, 6_100_000_000) }()
	time.Sleep(3 * time.Second)
	for _, old := range w.c.Workers() {
		p, err := w.c.StartWorker(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.c.StopWorker(old); err != nil {
			t.Error(err)
		}
		t.Logf("%5.1fs  %s replaced %s", time.Since(start).Seconds(), p.Name, old.Name)
	}
	<-done
	w.waitSettled(t, cr, 3*time.Minute)
	w.mark("rolling restart", start)
	r := w.checkMoney(t, cr)
	t.Logf("%d orders: %s", len(cr.orders), r)
	if r.refunded > 0 || r.unpaid > 0 {
		t.Errorf("a rolling restart should cost nothing: %d refunded, %d buyers could not pay", r.refunded, r.unpaid)
	}

	// Workflow task failures are where non-determinism shows: a worker
	// replaying a history its code would not have written.
	cr.mu.Lock()
	ids := make([]string, 0, len(cr.orders))
	for id := range cr.orders {
		ids = append(ids, id)
	}
	cr.mu.Unlock()
	var mu sync.Mutex
	failed := map[string]int{}
	forEach(ids, 8, func(id string) {
		it := w.c.Temporal.GetWorkflowHistory(ctx, contract.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				mu.Lock()
				failed["history unreadable: "+err.Error()]++
				mu.Unlock()
				return
			}
			if a := e.GetWorkflowTaskFailedEventAttributes(); a != nil {
				mu.Lock()
				failed[a.GetCause().String()]++
				mu.Unlock()
			}
		}
	})
	if len(failed) > 0 {
		t.Errorf("workflow task failures in %d orders' histories: %v", len(ids), failed)
	}
	if lines := grepLogs(w.c.WorkerLogs(), "nondetermin", "TMPRL1100"); len(lines) > 0 {
		t.Errorf("non-determinism in the worker logs:\n%s", strings.Join(head(lines), "\n"))
	}
	w.checkWorkflows(t, cr)
}

// esimBudget checks that eSIM Go never saw more than its limit
// (ESIMGoLimit) from the cluster's processes together, as eSIM Go counts:
// per second of the clock, with no request answered 429. Every process
// books its requests on the budget lanes in PostgreSQL. The most requests
// within any one second (a sliding window, stricter than eSIM Go) is
// reported too: on this machine a request now and then reaches the fake
// tens of milliseconds late, next to the one after it. CLUSTER_ESIMGO_BUDGET
// sets another bound.
func (w *world) esimBudget(t *testing.T) {
	reqs := w.c.ESIM.Requests()
	slices.SortFunc(reqs, func(a, b esimgotest.Request) int { return a.Time.Compare(b.Time) })
	times := make([]time.Time, 0, len(reqs))
	limited := 0
	for _, r := range reqs {
		times = append(times, r.Time)
		if r.Limited {
			limited++
		}
	}
	mostClock := bench.MaxPerClockSecond(times)
	// times follows reqs (sorted above), so the window's index points into reqs too.
	worst, at := bench.MaxInWindow(times, time.Second)
	byEndpoint := map[string]int{}
	for _, r := range reqs[at : at+worst] {
		byEndpoint[r.Endpoint]++
	}
	t.Logf("eSIM Go requests: %d in all, %d answered 429; at most %d in any 1 s window (from %s: %v), %d in a clock second",
		len(times), limited, worst, times[at].Format("15:04:05.000"), byEndpoint, mostClock)
	for _, p := range w.marks {
		var in []time.Time
		for _, tm := range times {
			if !tm.Before(p.start) && tm.Before(p.end) {
				in = append(in, tm)
			}
		}
		most, _ := bench.MaxInWindow(in, time.Second)
		t.Logf("  %-16s %4d requests in %5.1fs, at most %2d in 1 s", p.name, len(in), p.end.Sub(p.start).Seconds(), most)
	}
	limit := ESIMGoLimit
	if v := os.Getenv("CLUSTER_ESIMGO_BUDGET"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil {
			t.Fatalf("CLUSTER_ESIMGO_BUDGET: %v", err)
		}
	}
	if mostClock > limit || limited > 0 {
		t.Errorf("%d requests in a clock second and %d answered 429; budget %d a second", mostClock, limited, limit)
	}
}

// bench runs `esimstore bench` against the cluster's Temporal server (its
// own app process, task queue and database), with the server's CPU and its
// PostgreSQL backends measured too.
func (w *world) bench(t *testing.T) {
	bin := os.Getenv("CLUSTER_BENCH_BINARY")
	if bin == "" {
		t.Fatal("CLUSTER_BENCH_BINARY (a dev build of esimstore) is not set: run `make cluster-test`")
	}
	dir := filepath.Join(w.c.Opts.Dir, "bench")
	report := filepath.Join(w.c.Opts.Dir, "bench.json")
	cmd := exec.Command(bin, "bench", "--temporal-address", w.c.TemporalAddress(),
		"--temporal-pid", strconv.Itoa(w.c.TemporalPID()), "--temporal-databases", strings.Join(w.c.TemporalDatabases(), ","),
		"--rate", "10", "--duration", "30s", "--warmup", "5s", "--quiet", "--dir", dir, "--json", report)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("esimstore bench: %v", err)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Orders.Lost != 0 || rep.Orders.Completed == 0 || rep.Orders.DuplicateQR != 0 {
		t.Errorf("bench orders: %+v", rep.Orders)
	}
	if rep.Temporal == nil || rep.TemporalPostgres == nil {
		t.Errorf("the report lacks the Temporal server's CPU (%v) or its PostgreSQL's (%v)", rep.Temporal, rep.TemporalPostgres)
	}
}

// grepLogs returns the log lines containing any of the words (case-insensitive).
func grepLogs(files []string, words ...string) []string {
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.ToLower(sc.Text())
			for _, w := range words {
				if strings.Contains(line, strings.ToLower(w)) {
					out = append(out, filepath.Base(f)+": "+sc.Text())
					break
				}
			}
		}
		fh.Close()
	}
	return out
}
