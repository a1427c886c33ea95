package faultsuite

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/internal/dev/testenv"
)

var long = flag.Bool("long", false, "long mode: thousands of orders and more fault rounds (also FAULT_LONG=1)")

// size is how hard one run pushes.
type size struct {
	orders, concurrency, minRounds int
	settle                         time.Duration // bound on resolution once faults stop
}

func runSize(t *testing.T) size {
	if *long || os.Getenv("FAULT_LONG") == "1" {
		return size{orders: 2000, concurrency: 24, minRounds: 3, settle: 6 * time.Minute}
	}
	testenv.Integration(t)
	return size{orders: 200, concurrency: 24, minRounds: 1, settle: 3 * time.Minute}
}

// plans the buyers pick from: two bundles, so concurrent purchases of one
// bundle (the hard case for claiming after an unknown outcome) and of
// different bundles both happen.
var plans = []string{"esim_1GB_7D_GB_V2", "esim_1GB_7D_GB_V2", "esim_3GB_30D_EU_V2"}

func TestFaultSuite(t *testing.T) {
	sz := runSize(t)
	w := newWorld(t)
	start := time.Now()
	plan := w.pickPlans(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go w.redeliver(bg)
	res := newResolutions()
	go res.watch(bg, w)

	l := newLedger()
	var buyers sync.WaitGroup
	sem := make(chan struct{}, sz.concurrency)
	buyersDone := make(chan struct{})
	go func() {
		for i := 0; i < sz.orders; i++ {
			sem <- struct{}{}
			buyers.Add(1)
			go func(i int) {
				defer func() { <-sem; buyers.Done() }()
				w.buy(ctx, l, i, plan[i%len(plan)])
			}(i)
		}
		buyers.Wait()
		close(buyersDone)
	}()

	faults := &faultLog{}
	rounds := 0
injecting:
	for {
		for _, s := range steps() {
			n, err := s.do(ctx, w)
			if err != nil {
				t.Errorf("fault %q: %v", s.kind, err)
			}
			faults.add(s.kind, n)
			time.Sleep(300 * time.Millisecond)
		}
		rounds++
		select {
		case <-buyersDone:
			if rounds >= sz.minRounds {
				break injecting
			}
		default:
		}
	}
	<-buyersDone
	faultsStopped := time.Now()
	w.tg.ClearFaults()
	w.esim.ClearFaults()
	t.Logf("buyers done and faults stopped after %s (%d rounds)", faultsStopped.Sub(start).Round(time.Second), rounds)

	// Reconciliation runs as it would on its schedule: anything Telegram
	// charged that the store never heard of is recovered here.
	if _, err := w.client.ReconcileNow(ctx); err != nil {
		t.Errorf("reconcile: %v", err)
	}
	settled := w.waitSettled(ctx, t, l, sz.settle)
	stopBG()
	rep := w.check(ctx, t, l, res, faults)
	rep.supportNotices = w.checkSupportRefunds(ctx, t, l)
	rep.orders, rep.settleTime = len(l.orders), settled.Sub(faultsStopped)
	rep.print(t)
}

// pickPlans keeps the plans the catalogue actually sells.
func (w *world) pickPlans(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, p := range plans {
		if pl, err := w.client.Store.GetPlan(ctx, p); err == nil && pl.OnSale {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no plan of the suite is on sale")
	}
	return out
}
