package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/starsesim/esimstore/internal/dev/devserver"
)

// Run brings the store up, loads it and returns the report. A store that
// fails to start is an error; failed or lost orders are not (they are in
// the report, for the caller to judge).
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	rep := &Report{Started: time.Now(), Machine: machine(), Load: loadOf(o)}
	s, err := startStack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if s.temporal == nil {
		rep.Load.TemporalDB, rep.Load.TemporalArgs, rep.Load.TemporalEnv = "external "+o.TemporalAddress, nil, nil
	}

	l := newLoader(s)
	begin := time.Now()
	warmEnd := begin.Add(o.WarmUp)
	stopAt := warmEnd.Add(o.Duration)

	// CPU and memory are taken over the measured window only, so start-up
	// (migrations, plan sync) and warm-up do not count.
	var app, temporal, self *procWatch
	var workers []*procWatch
	var pg, temporalPG *pgWatch
	windowStarted := make(chan struct{})
	go func() {
		select {
		case <-time.After(time.Until(warmEnd)):
		case <-ctx.Done():
		}
		app, temporal, self = watchProc(s.appPID()), watchProc(s.temporalPID()), watchProc(0)
		for _, pid := range s.workerPIDs() {
			workers = append(workers, watchProc(pid))
		}
		pg, temporalPG = watchPostgres(s.dbName()), watchPostgres(o.TemporalDatabases...)
		close(windowStarted)
	}()
	stopProgress := progressLine(ctx, o, l, begin)

	l.run(ctx, o, warmEnd, stopAt)
	<-windowStarted
	if d := time.Until(stopAt); d > 0 {
		time.Sleep(d) // a closed loop's buyers may finish a little early
	}
	rep.App, rep.Temporal, rep.LoadGen, rep.Postgres = app.stop(), temporal.stop(), self.stop(), pg.stop()
	rep.TemporalPostgres = temporalPG.stop()
	for _, wk := range workers {
		rep.Workers = append(rep.Workers, wk.stop())
	}
	if s.temporalPID() == 0 {
		rep.Temporal = nil
	}
	l.awaitDeliveries(ctx, o.Drain)
	stopProgress()
	s.saveMetrics()
	s.saveArrivals(begin)
	if err := s.appExited(); err != nil {
		return nil, fmt.Errorf("the app exited during the run: %v", err)
	}
	tally(rep, l, s.tracker, warmEnd, stopAt)
	rep.Providers = providerStats(s.esim, s.tg, o, begin, rep.Orders.Completed)
	rep.Goals = rep.Targets()
	return rep, nil
}

// tally turns the observations into the report's figures.
func tally(rep *Report, l *loader, t *tracker, warmEnd, stopAt time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var create, pc, deliv, refund, ackPC, ackPay, total []time.Duration
	o := &rep.Orders
	o.Failures = map[string]int{}
	inWindow := 0
	var firstPay, lastPay, lastQR time.Time
	for _, r := range l.snapshot() {
		if !r.paySent.IsZero() && r.paid && !r.refund {
			if firstPay.IsZero() || r.paySent.Before(firstPay) {
				firstPay = r.paySent
			}
			if r.paySent.After(lastPay) {
				lastPay = r.paySent
			}
		}
		if r.delivered.After(lastQR) {
			lastQR = r.delivered
		}
		o.Started++
		if r.orderID != "" {
			o.Created++
		}
		if r.paid {
			o.Paid++
		}
		if !r.delivered.IsZero() {
			o.Completed++
			if !r.delivered.Before(warmEnd) && r.delivered.Before(stopAt) {
				inWindow++
			}
		}
		switch {
		case r.createErr != "":
			o.Failed++
			o.Failures[trim(r.createErr)]++
		case r.failure != "":
			o.Failed++
			o.Failures[trim(r.failure)]++
		case r.paid && r.delivered.IsZero() && r.refunded.IsZero():
			o.Lost++
		}
		if !r.refunded.IsZero() {
			o.Refunded++
		}
		if r.warm {
			continue
		}
		o.Measured++
		if r.orderID != "" {
			create = append(create, r.created.Sub(r.start))
		}
		if !r.pcSent.IsZero() && !r.pcAnswered.IsZero() {
			pc = append(pc, r.pcAnswered.Sub(r.pcSent))
		}
		if r.pcAck > 0 {
			ackPC = append(ackPC, r.pcAck)
		}
		if r.payAck > 0 {
			ackPay = append(ackPay, r.payAck)
		}
		if !r.paySent.IsZero() && !r.delivered.IsZero() {
			deliv = append(deliv, r.delivered.Sub(r.paySent))
			total = append(total, r.delivered.Sub(r.start))
		}
		if !r.paySent.IsZero() && !r.refunded.IsZero() {
			refund = append(refund, r.refunded.Sub(r.paySent))
		}
	}
	o.DuplicateQR, o.StrayQR = t.extraPic, t.stray
	if len(o.Failures) == 0 {
		o.Failures = nil
	}
	rep.CreateOrder, rep.PreCheckout, rep.Delivery = summarise(create), summarise(pc), summarise(deliv)
	rep.Refund = summarise(refund)
	rep.WebhookAckPC, rep.WebhookAckPaid, rep.OrderTotal = summarise(ackPC), summarise(ackPay), summarise(total)
	rep.ThroughputPerSec = round(float64(inWindow)/stopAt.Sub(warmEnd).Seconds(), 2)
	if span := lastQR.Sub(firstPay); !firstPay.IsZero() && span > 0 {
		rep.Burst.DeliveredPerSec = round(float64(o.Completed)/span.Seconds(), 2)
		rep.Burst.DrainSec = round(max(lastQR.Sub(lastPay), 0).Seconds(), 2)
	}
}

// trim keeps failure reasons groupable (no ids in them, bounded length).
func trim(s string) string {
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func progressLine(ctx context.Context, o Options, l *loader, begin time.Time) (stop func()) {
	if o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				started, paid, delivered := l.progress()
				phase := "warm-up"
				switch el := time.Since(begin); {
				case el > o.WarmUp+o.Duration:
					phase = "drain"
				case el > o.WarmUp:
					phase = "measure"
				}
				fmt.Fprintf(o.Progress, "%5.0fs %-7s started %6d  paid %6d  QR sent %6d\n",
					time.Since(begin).Seconds(), phase, started, paid, delivered)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	m.Host, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

func loadOf(o Options) Load {
	l := Load{Mode: "concurrency", Concurrency: o.Concurrency, DurationSec: o.Duration.Seconds(),
		WarmUpSec: o.WarmUp.Seconds(), TelegramLatencyMS: float64(o.TelegramLatency.Milliseconds()),
		ESIMLatencyMS: float64(o.ESIMLatency.Milliseconds()), TemporalDB: o.TemporalDBFile, TemporalArgs: o.TemporalArgs,
		TemporalEnv: o.TemporalEnv, AppEnv: o.AppEnv, ESIMGoLimit: o.ESIMGoLimit, TelegramLimit: o.TelegramLimit,
		Workers: o.Workers, RefundEvery: o.RefundEvery}
	if l.TemporalArgs == nil {
		l.TemporalArgs = devserver.TunedArgs
	}
	if l.TemporalEnv == nil {
		l.TemporalEnv = devserver.TunedEnv
	}
	if o.Rate > 0 {
		l.Mode, l.Rate, l.Concurrency = "rate", o.Rate, 0
	}
	if l.TemporalDB == "" {
		l.TemporalDB = "memory"
	}
	return l
}
