package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestTargetsJudgeEachGoal(t *testing.T) {
	good := func() *Report {
		return &Report{
			Load:             Load{Mode: "rate", Rate: 20, DurationSec: 60},
			PreCheckout:      Latency{N: 10, P99: 50},
			CreateOrder:      Latency{N: 10, P99: 150},
			Delivery:         Latency{N: 10, P50: 300, P99: 1000},
			ThroughputPerSec: 50,
			App:              &ProcStats{PeakRSSMB: 200},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Report)
		missed string // the one goal that must be missed; "" for none
		note   string // a note that must be printed
	}{
		{"every goal exactly met", func(*Report) {}, "", ""},
		{"slow pre-checkout", func(r *Report) { r.PreCheckout.P99 = 50.1 }, "pre-checkout", ""},
		{"slow create", func(r *Report) { r.CreateOrder.P99 = 151 }, "create order", ""},
		{"slow QR at p50", func(r *Report) { r.Delivery.P50 = 301 }, "payment → QR", ""},
		{"slow QR at p99", func(r *Report) { r.Delivery.P99 = 1001 }, "payment → QR", ""},
		{"no pre-checkout measured", func(r *Report) { r.PreCheckout = Latency{} }, "pre-checkout", ""},
		{"low throughput", func(r *Report) { r.ThroughputPerSec = 49.9 }, "orders/s", ""},
		{"a lost order", func(r *Report) { r.Orders.Lost = 1 }, "orders/s", ""},
		{"too short a run", func(r *Report) { r.Load.DurationSec = 30 }, "orders/s", "sustained for 60 s"},
		{"big app", func(r *Report) { r.App.PeakRSSMB = 200.1 }, "RSS", ""},
		{"other rate", func(r *Report) { r.Load.Rate = 50 }, "", "stated at 20 orders/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			for _, g := range r.Targets() {
				wantMet := tc.missed == "" || !strings.Contains(g.Name, tc.missed)
				if g.Met != wantMet {
					t.Errorf("%s: met = %v (measured %s)", g.Name, g.Met, g.Measured)
				}
			}
			var out bytes.Buffer
			r.Print(&out)
			if tc.note != "" && !strings.Contains(out.String(), tc.note) {
				t.Errorf("printed report lacks %q:\n%s", tc.note, out.String())
			}
		})
	}
}

func TestCPUPerOrder(t *testing.T) {
	r := &Report{Load: Load{DurationSec: 60}, ThroughputPerSec: 20, Machine: Machine{CPUs: 2},
		App: &ProcStats{CPUSeconds: 24}, Temporal: &ProcStats{CPUSeconds: 36}}
	if got := r.cpuPerOrder(r.App); got != 20 {
		t.Errorf("app: %v ms per order, want 20", got)
	}
	var out bytes.Buffer
	r.Print(&out)
	if !strings.Contains(out.String(), "at most ~40 orders/s on 2 CPUs") {
		t.Errorf("no capacity line in:\n%s", out.String())
	}
}

func TestProviderTargetsJudgeEachGoal(t *testing.T) {
	good := func() *Report {
		return &Report{
			Load:        Load{Mode: "rate", Rate: 10, DurationSec: 60, ESIMGoLimit: 10, TelegramLimit: 30, RefundEvery: 10},
			Refund:      Latency{N: 60, P99: 1000},
			Orders:      Orders{Paid: 600, Completed: 540, Refunded: 60},
			PreCheckout: Latency{N: 600, P99: 50},
			Delivery:    Latency{N: 600, P99: 4500},
			Burst:       Burst{DeliveredPerSec: 9, DrainSec: 3},
			Providers: Providers{
				ESIMGo:             Provider{Limit: 10, Calls: 600, Limited: 6, Share429: 1, MaxIn1s: 10},
				Telegram:           Provider{Limit: 30, Calls: 600, Limited: 6, Share429: 1, MaxIn1s: 30},
				TelegramMaxPerChat: 1,
			},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Report)
		missed string
	}{
		{"every goal exactly met", func(*Report) {}, ""},
		{"a lost order", func(r *Report) { r.Orders.Lost, r.Orders.Completed = 1, 599 }, "lost 0"},
		{"slow pre-checkout in the burst", func(r *Report) { r.PreCheckout.P99 = 51 }, "pre-checkout"},
		{"under 90 % of the ceiling", func(r *Report) { r.Burst.DeliveredPerSec = 8.99 }, "orders/s (90 %"},
		{"too many 429", func(r *Report) { r.Providers.ESIMGo.Share429 = 1.01 }, "eSIM Go calls answered 429"},
		{"eSIM Go over its limit", func(r *Report) { r.Providers.ESIMGo.MaxIn1s = 11 }, "requests in any 1 s"},
		{"late orders overtaken", func(r *Report) { r.Delivery.P99 = 4501 }, "FIFO"},
		{"Telegram over its limit", func(r *Report) { r.Providers.Telegram.MaxIn1s = 31 }, "messages in any 1 s"},
		{"two in one chat", func(r *Report) { r.Providers.TelegramMaxPerChat = 2 }, "per chat"},
		{"too many flood answers", func(r *Report) { r.Providers.Telegram.Share429 = 2 }, "messages answered 429"},
		{"refunds behind QR photos", func(r *Report) { r.Refund.P99 = 1001 }, "payment → refund"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			targets := r.providerTargets()
			if len(targets) != 10 {
				t.Fatalf("%d provider targets, want 10", len(targets))
			}
			for _, g := range targets {
				wantMet := tc.missed == "" || !strings.Contains(g.Name, tc.missed)
				if g.Met != wantMet {
					t.Errorf("%s: met = %v (measured %s)", g.Name, g.Met, g.Measured)
				}
			}
		})
	}
	if ts := (&Report{}).providerTargets(); ts != nil {
		t.Errorf("a run without limits has provider targets: %v", ts)
	}
}
