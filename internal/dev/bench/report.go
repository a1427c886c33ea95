package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Report is one run's result; it is also the JSON file's schema.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	Load    Load      `json:"load"`

	// Latencies in milliseconds, over the orders started in the window.
	CreateOrder    Latency `json:"create_order"` // POST /api/orders → 201 with the link
	PreCheckout    Latency `json:"pre_checkout"` // pre_checkout_query posted → answerPreCheckoutQuery received
	Delivery       Latency `json:"delivery"`     // successful_payment posted → sendPhoto received
	Refund         Latency `json:"refund"`       // successful_payment posted → refundStarPayment received (RefundEvery)
	WebhookAckPC   Latency `json:"webhook_ack_pre_checkout"`
	WebhookAckPaid Latency `json:"webhook_ack_payment"`
	OrderTotal     Latency `json:"order_total"` // create sent → sendPhoto received

	Orders Orders `json:"orders"`
	// ThroughputPerSec is orders whose QR was sent inside the window,
	// divided by the window.
	ThroughputPerSec float64 `json:"throughput_per_sec"`

	// Providers is what fake eSIM Go and fake Telegram saw; Burst how a
	// backlog drained.
	Providers Providers `json:"providers"`
	Burst     Burst     `json:"burst"`

	// App is the `serve` process, or `api` in a run with Workers.
	App      *ProcStats   `json:"app"`
	Workers  []*ProcStats `json:"workers,omitempty"`
	Temporal *ProcStats   `json:"temporal_dev_server"`
	LoadGen  *ProcStats   `json:"load_generator"` // the bench process: load generator and both fakes
	// Postgres is the CPU of the backends serving the run's database
	// (memory is shared buffers, not theirs: not reported).
	Postgres *ProcStats `json:"postgresql"`
	// TemporalPostgres is the same for a PostgreSQL-backed Temporal
	// server's databases (Options.TemporalDatabases).
	TemporalPostgres *ProcStats `json:"temporal_postgresql,omitempty"`

	// Goals is Targets() at the time of the run, for tools reading the JSON.
	Goals []Target `json:"targets,omitempty"`
}

// Machine is where the figures were taken.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	Host      string `json:"host"`
	LoadAvg   string `json:"load_avg_at_start"` // other work on the machine
}

// Load is what was offered.
type Load struct {
	Mode              string   `json:"mode"` // "rate" or "concurrency"
	Rate              float64  `json:"rate_per_sec,omitempty"`
	Concurrency       int      `json:"concurrency,omitempty"`
	DurationSec       float64  `json:"duration_sec"`
	WarmUpSec         float64  `json:"warmup_sec"`
	TelegramLatencyMS float64  `json:"telegram_latency_ms"`
	ESIMLatencyMS     float64  `json:"esim_latency_ms"`
	TemporalDB        string   `json:"temporal_db"`
	TemporalArgs      []string `json:"temporal_args"`
	TemporalEnv       []string `json:"temporal_env,omitempty"`
	AppEnv            []string `json:"app_env,omitempty"`
	ESIMGoLimit       int      `json:"esimgo_limit,omitempty"`
	TelegramLimit     int      `json:"telegram_limit,omitempty"`
	Workers           int      `json:"workers,omitempty"`
	RefundEvery       int      `json:"refund_every,omitempty"`
}

// Orders counts outcomes over every order of the run (warm-up included:
// an order lost during warm-up is still lost).
type Orders struct {
	Started   int `json:"started"`
	Measured  int `json:"measured"` // started inside the window
	Created   int `json:"created"`
	Paid      int `json:"paid"`
	Completed int `json:"completed"` // QR sent
	Refunded  int `json:"refunded"`  // refunded as planned (Options.RefundEvery)
	Failed    int `json:"failed"`    // create or payment failed (no money moved, or it was refused)
	// Lost are orders whose payment the webhook acknowledged but whose QR
	// never came within the drain time: the figure that must be zero.
	Lost int `json:"lost"`
	// DuplicateQR counts second sendPhoto calls for one order; StrayQR
	// photos for no order of this run.
	DuplicateQR int            `json:"duplicate_qr"`
	StrayQR     int            `json:"stray_qr"`
	Failures    map[string]int `json:"failures,omitempty"` // reason → count
}

// Latency summarises one measurement in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	ms := func(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }
	return Latency{N: len(ds), Mean: ms(sum / time.Duration(len(ds))), P50: ms(pct(ds, 50)), P95: ms(pct(ds, 95)),
		P99: ms(pct(ds, 99)), Max: ms(ds[len(ds)-1])}
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func round(v float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(v*f) / f
}

// WriteJSON saves the report.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadReport loads a report written by WriteJSON.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// latencies lists the report's latency rows in table order.
func (r *Report) latencies() []struct {
	name string
	l    Latency
} {
	return []struct {
		name string
		l    Latency
	}{
		{"create order (POST → 201)", r.CreateOrder},
		{"pre-checkout (query → answer)", r.PreCheckout},
		{"delivery (payment → QR)", r.Delivery},
		{"refund (payment → refund)", r.Refund},
		{"webhook ack: pre_checkout", r.WebhookAckPC},
		{"webhook ack: payment", r.WebhookAckPaid},
		{"order total (create → QR)", r.OrderTotal},
	}
}

// Print writes the human table.
func (r *Report) Print(w io.Writer) {
	l := r.Load
	shape := fmt.Sprintf("%d concurrent buyers", l.Concurrency)
	if l.Mode == "rate" {
		shape = fmt.Sprintf("%.1f orders/s offered", l.Rate)
	}
	fmt.Fprintf(w, "\nesimstore bench — %s for %.0fs (warm-up %.0fs), %d CPUs, load avg at start %s\n",
		shape, l.DurationSec, l.WarmUpSec, r.Machine.CPUs, r.Machine.LoadAvg)
	fmt.Fprintf(w, "fake latency: telegram %.0f ms, esim go %.0f ms; temporal db %q\n",
		l.TelegramLatencyMS, l.ESIMLatencyMS, l.TemporalDB)
	fmt.Fprintf(w, "fake limits: esim go %s, telegram %s; app processes: %s\n\n", limitText(l.ESIMGoLimit, "req/s"),
		limitText(l.TelegramLimit, "msg/s per bot, 1/s per chat"), processText(l.Workers))
	fmt.Fprintf(w, "%-31s %6s %8s %8s %8s %8s %8s\n", "latency (ms)", "n", "mean", "p50", "p95", "p99", "max")
	for _, row := range r.latencies() {
		fmt.Fprintf(w, "%-31s %6d %8.1f %8.1f %8.1f %8.1f %8.1f\n", row.name, row.l.N, row.l.Mean, row.l.P50, row.l.P95,
			row.l.P99, row.l.Max)
	}
	o := r.Orders
	fmt.Fprintf(w, "\nthroughput %.1f orders/s completed in the window\n", r.ThroughputPerSec)
	fmt.Fprintf(w, "orders: started %d (measured %d), created %d, paid %d, completed %d, refunded %d, failed %d, LOST %d",
		o.Started, o.Measured, o.Created, o.Paid, o.Completed, o.Refunded, o.Failed, o.Lost)
	if o.DuplicateQR+o.StrayQR > 0 {
		fmt.Fprintf(w, ", duplicate QR %d, stray QR %d", o.DuplicateQR, o.StrayQR)
	}
	fmt.Fprintln(w)
	for reason, n := range o.Failures {
		fmt.Fprintf(w, "  %5d × %s\n", n, reason)
	}
	r.printProviders(w)
	fmt.Fprintf(w, "\n%-22s %9s %7s %11s %9s %9s\n", "process (window)", "cpu s", "cores", "cpu ms/order", "peak MB", "end MB")
	var total float64
	procs := []struct {
		name string
		s    *ProcStats
	}{{"app", r.App}}
	if len(r.Workers) > 0 {
		procs[0].name = "app: api"
	}
	for i, wk := range r.Workers {
		procs = append(procs, struct {
			name string
			s    *ProcStats
		}{fmt.Sprintf("app: worker %d", i+1), wk})
	}
	for _, p := range append(procs, []struct {
		name string
		s    *ProcStats
	}{{r.temporalName(), r.Temporal}, {"load gen + fakes", r.LoadGen}, {"postgresql backends", r.Postgres},
		{"temporal's postgresql", r.TemporalPostgres}}...) {
		if p.s == nil {
			continue
		}
		perOrder := r.cpuPerOrder(p.s)
		total += perOrder
		fmt.Fprintf(w, "%-22s %9.2f %7.2f %12.1f %9.1f %9.1f\n", p.name, p.s.CPUSeconds, p.s.CPUCores, perOrder, p.s.PeakRSSMB, p.s.EndRSSMB)
	}
	if total > 0 {
		fmt.Fprintf(w, "%-22s %9s %7s %12.1f   → at most ~%.0f orders/s on %d CPUs\n", "all", "", "", total,
			float64(r.Machine.CPUs)*1000/total, r.Machine.CPUs)
	}
	printTargets(w, r.Targets())
}

func limitText(n int, unit string) string {
	if n <= 0 {
		return "none"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

func processText(workers int) string {
	if workers <= 0 {
		return "1 × esimstore serve"
	}
	return fmt.Sprintf("1 × esimstore api + %d × esimstore worker", workers)
}

// printProviders is the providers' table: calls per order, 429s, the
// busiest second, and the ceiling the provider's limit sets.
func (r *Report) printProviders(w io.Writer) {
	p := r.Providers
	fmt.Fprintf(w, "\n%-20s %7s %9s %6s %7s %11s %9s %7s %10s\n", "provider (run)", "calls", "per order", "429", "429 %",
		"max in 1 s", "clock 1 s", "limit", "ceiling/s")
	for _, row := range []struct {
		name string
		p    Provider
	}{{"esim go requests", p.ESIMGo}, {"telegram messages", p.Telegram}} {
		limit, ceiling := "-", "-"
		if row.p.Limit > 0 {
			limit = fmt.Sprint(row.p.Limit)
			ceiling = fmt.Sprintf("%.1f", row.p.Ceiling)
		}
		fmt.Fprintf(w, "%-20s %7d %9.2f %6d %7.2f %11d %9d %7s %10s\n", row.name, row.p.Calls, row.p.PerOrder, row.p.Limited,
			row.p.Share429, row.p.MaxIn1s, row.p.MaxInClockSecond, limit, ceiling)
	}
	fmt.Fprintf(w, "telegram: %.2f Bot API calls per order in all; at most %d messages to one chat in 1 s\n",
		p.TelegramCallsPerOrder, p.TelegramMaxPerChat)
	fmt.Fprintf(w, "delivered %.2f orders/s from the first payment to the last QR; the backlog drained %.1f s after the last payment\n",
		r.Burst.DeliveredPerSec, r.Burst.DrainSec)
}

// temporalName says which Temporal server the run measured.
func (r *Report) temporalName() string {
	if strings.HasPrefix(r.Load.TemporalDB, "external") {
		return "temporal server"
	}
	return "temporal dev server"
}

// Compare prints new/old ratios (below 1 is better for latencies, CPU and
// memory; above 1 is better for throughput).
func Compare(w io.Writer, old, cur *Report) {
	ratio := func(n, o float64) string {
		if o == 0 {
			return "   n/a"
		}
		return fmt.Sprintf("%6.2f", n/o)
	}
	fmt.Fprintf(w, "\ncompare (new ÷ old)  old: %s  new: %s\n", old.Started.Format(time.RFC3339), cur.Started.Format(time.RFC3339))
	fmt.Fprintf(w, "%-31s %6s %6s %6s %6s\n", "latency", "p50", "p95", "p99", "max")
	ol := old.latencies()
	for i, row := range cur.latencies() {
		o := ol[i].l
		fmt.Fprintf(w, "%-31s %s %s %s %s\n", row.name, ratio(row.l.P50, o.P50), ratio(row.l.P95, o.P95),
			ratio(row.l.P99, o.P99), ratio(row.l.Max, o.Max))
	}
	fmt.Fprintf(w, "%-31s %s   (%.1f → %.1f orders/s)\n", "throughput", ratio(cur.ThroughputPerSec, old.ThroughputPerSec),
		old.ThroughputPerSec, cur.ThroughputPerSec)
	if cur.App != nil && old.App != nil {
		fmt.Fprintf(w, "%-31s %s   (%.2f → %.2f s)\n", "app cpu seconds", ratio(cur.App.CPUSeconds, old.App.CPUSeconds),
			old.App.CPUSeconds, cur.App.CPUSeconds)
		fmt.Fprintf(w, "%-31s %s   (%.1f → %.1f MB)\n", "app peak rss", ratio(cur.App.PeakRSSMB, old.App.PeakRSSMB),
			old.App.PeakRSSMB, cur.App.PeakRSSMB)
	}
	fmt.Fprintf(w, "%-31s %d → %d\n", "lost orders", old.Orders.Lost, cur.Orders.Lost)
	fmt.Fprintf(w, "%-31s %d → %d\n", "failed orders", old.Orders.Failed, cur.Orders.Failed)
}
