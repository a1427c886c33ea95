package budget_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// clock is a hand-moved time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLocalBook(t *testing.T) {
	const gap = 100 * time.Millisecond
	esim := budget.Lane{Key: "esimgo", Gap: gap}
	bot := budget.Lane{Key: "telegram", Gap: 10 * time.Millisecond}
	chat := budget.Lane{Key: "telegram-chat:1", Gap: time.Second}
	type step struct {
		advance time.Duration
		req     budget.Request
		hold    time.Duration // Hold esimgo for this long instead of booking
		booked  bool
		wait    time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"calls queue one gap apart", []step{
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: gap},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 2 * gap},
		}},
		{"a lane frees as time passes", []step{
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 0},
			{advance: 250 * time.Millisecond, req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 0},
		}},
		{"a costly call keeps its cost in gaps free", []step{
			{req: budget.Request{Lanes: []budget.Lane{esim}, Cost: 5}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 5 * gap},
		}},
		{"beyond its maximum wait a call books nothing", []step{
			{req: budget.Request{Lanes: []budget.Lane{esim}, Cost: 10}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{esim}, MaxWait: time.Second / 2}, booked: false, wait: time.Second},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: time.Second},
		}},
		{"background takes only an idle lane", []step{
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{esim}, Priority: budget.Background}, booked: false, wait: gap},
			{advance: gap, req: budget.Request{Lanes: []budget.Lane{esim}, Priority: budget.Background}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: gap},
		}},
		{"a message waits for its bot and its chat", []step{
			{req: budget.Request{Lanes: []budget.Lane{bot, chat}}, booked: true, wait: 0},
			{req: budget.Request{Lanes: []budget.Lane{bot}}, booked: true, wait: 10 * time.Millisecond},
			{req: budget.Request{Lanes: []budget.Lane{bot, chat}}, booked: true, wait: time.Second},
			{req: budget.Request{Lanes: []budget.Lane{bot}}, booked: true, wait: time.Second + 10*time.Millisecond},
		}},
		{"a provider's hold closes the lane", []step{
			{hold: 3 * time.Second},
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 3 * time.Second},
			{hold: time.Second}, // shorter than what is booked: no effect
			{req: budget.Request{Lanes: []budget.Lane{esim}}, booked: true, wait: 3*time.Second + gap},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
			l := &budget.Local{Now: c.now}
			for i, s := range tc.steps {
				c.t = c.t.Add(s.advance)
				if s.hold > 0 {
					if err := l.Hold(context.Background(), esim.Key, s.hold); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, err := l.Book(context.Background(), s.req)
				if err != nil {
					t.Fatal(err)
				}
				if got.Booked != s.booked || got.Wait != s.wait {
					t.Errorf("step %d: got %+v, want booked %v wait %v", i, got, s.booked, s.wait)
				}
			}
		})
	}
}

func TestWaitRefusesRatherThanQueueTooLong(t *testing.T) {
	l := budget.NewLocal()
	lane := budget.Lane{Key: "esimgo", Gap: time.Minute}
	ctx := context.Background()
	if err := budget.Wait(ctx, l, budget.Request{Lanes: []budget.Lane{lane}}); err != nil {
		t.Fatalf("first call on an idle lane: %v", err)
	}
	for _, r := range []budget.Request{
		{Lanes: []budget.Lane{lane}, MaxWait: time.Second},
		{Lanes: []budget.Lane{lane}, MaxWait: time.Second, Priority: budget.Background},
	} {
		err := budget.Wait(ctx, l, r)
		var busy *budget.BusyError
		if !errors.As(err, &busy) || busy.Key != "esimgo" || busy.RetryAfter <= 0 || busy.Priority != r.Priority {
			t.Errorf("%s call: got %v, want a BusyError with a wait", r.Priority, err)
		}
	}
	// A context deadline bounds the wait as MaxWait does.
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := budget.Wait(dctx, l, budget.Request{Lanes: []budget.Lane{lane}}); !budget.IsBusy(err) {
		t.Errorf("call with a 1 s deadline behind a minute's queue: %v", err)
	}
	// Nothing was booked by the refused calls: the queue is still one gap long.
	s, err := l.Book(ctx, budget.Request{Lanes: []budget.Lane{lane}})
	if err != nil || !s.Booked || s.Wait > time.Minute {
		t.Errorf("after refusals the next slot is %+v (%v), want within one gap", s, err)
	}
}

func TestBackgroundWaitsForAnIdleLane(t *testing.T) {
	l := budget.NewLocal()
	lane := budget.Lane{Key: "esimgo", Gap: 30 * time.Millisecond}
	ctx := context.Background()
	for range 3 {
		if s, err := l.Book(ctx, budget.Request{Lanes: []budget.Lane{lane}}); err != nil || !s.Booked {
			t.Fatalf("book: %+v %v", s, err)
		}
	}
	if err := budget.Wait(ctx, l, budget.Request{Lanes: []budget.Lane{lane}, Priority: budget.Background}); err != nil {
		t.Fatalf("background call behind a short queue: %v", err)
	}
	// It booked only once the queue was gone: the next interactive call
	// waits one gap behind it, not behind the three before.
	s, err := l.Book(ctx, budget.Request{Lanes: []budget.Lane{lane}})
	if err != nil || !s.Booked || s.Wait > lane.Gap {
		t.Errorf("next slot %+v (%v), want at most one gap away", s, err)
	}
}

func TestGap(t *testing.T) {
	for _, tc := range []struct {
		perSecond float64
		want      time.Duration
	}{{10, 108108108}, {30, 36036036}, {1, 1081081081}, {0, 0}, {-1, 0}} {
		if got := budget.Gap(tc.perSecond); got != tc.want {
			t.Errorf("Gap(%v) = %v, want %v", tc.perSecond, got, tc.want)
		}
	}
}

func TestContextCarriesPriorityAndMaxWait(t *testing.T) {
	ctx := context.Background()
	if budget.PriorityOf(ctx) != budget.Interactive || budget.MaxWaitOf(ctx) != 0 {
		t.Fatal("a plain context must be interactive with no bound")
	}
	ctx = budget.WithMaxWait(budget.WithPriority(ctx, budget.Background), time.Second)
	if budget.PriorityOf(ctx) != budget.Background || budget.MaxWaitOf(ctx) != time.Second {
		t.Errorf("got %v, %v", budget.PriorityOf(ctx), budget.MaxWaitOf(ctx))
	}
}

// The gate counts the calls that really left: a call woken late for its
// slot cannot leave right behind the next one and put one call too many
// into the provider's second.
func TestLocalPassKeepsMaxPerWindow(t *testing.T) {
	const gap = 100 * time.Millisecond
	lane := budget.Lane{Key: "esimgo", Gap: gap, Max: 3} // 3 calls within any 300 ms
	chat := budget.Lane{Key: "chat", Gap: time.Second, Max: 1}
	type step struct {
		advance time.Duration
		lanes   []budget.Lane
		cost    int
		passed  bool
		wait    time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"three pass, the fourth waits for the first to leave the window", []step{
			{lanes: []budget.Lane{lane}, passed: true},
			{advance: 10 * time.Millisecond, lanes: []budget.Lane{lane}, passed: true},
			{advance: 10 * time.Millisecond, lanes: []budget.Lane{lane}, passed: true},
			{advance: 10 * time.Millisecond, lanes: []budget.Lane{lane}, passed: false, wait: 270 * time.Millisecond},
			{advance: 270 * time.Millisecond, lanes: []budget.Lane{lane}, passed: true},
		}},
		{"a call counts its cost", []step{
			{lanes: []budget.Lane{lane}, passed: true},
			{lanes: []budget.Lane{lane}, cost: 3, passed: false, wait: 300 * time.Millisecond},
			{lanes: []budget.Lane{lane}, cost: 2, passed: true},
			{advance: 300 * time.Millisecond, lanes: []budget.Lane{lane}, cost: 9, passed: true}, // more than Max counts as Max
			{lanes: []budget.Lane{lane}, passed: false, wait: 300 * time.Millisecond},
		}},
		{"every lane must let the call through", []step{
			{lanes: []budget.Lane{lane, chat}, passed: true},
			{lanes: []budget.Lane{lane}, passed: true},
			{lanes: []budget.Lane{lane, chat}, passed: false, wait: time.Second},
			{lanes: []budget.Lane{lane}, passed: true}, // the refused call noted nothing
		}},
		{"a lane without Max has no gate", []step{
			{lanes: []budget.Lane{{Key: "free", Gap: gap}}, passed: true},
			{lanes: []budget.Lane{{Key: "free", Gap: gap}}, passed: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
			l := &budget.Local{Now: c.now}
			for i, s := range tc.steps {
				c.t = c.t.Add(s.advance)
				got, err := l.Pass(context.Background(), budget.Request{Lanes: s.lanes, Cost: s.cost})
				if err != nil {
					t.Fatal(err)
				}
				if got.Booked != s.passed || got.Wait != s.wait {
					t.Errorf("step %d: got %+v, want passed %v wait %v", i, got, s.passed, s.wait)
				}
			}
		})
	}
}

func TestLaneFor(t *testing.T) {
	for _, tc := range []struct {
		perSecond float64
		max       int
	}{{10, 10}, {30, 30}, {1, 1}, {0.5, 1}, {100, 100}, {1000, 0}, {0, 0}} {
		l := budget.LaneFor("k", tc.perSecond)
		if l.Key != "k" || l.Max != tc.max || l.Gap != budget.Gap(tc.perSecond) {
			t.Errorf("LaneFor(%v) = %+v, want max %d", tc.perSecond, l, tc.max)
		}
	}
	// A smaller share: 30 a second at 85 % leaves a call every 39 ms, and
	// the gate counts 30 within 1.18 s.
	if l := budget.LaneWith("bot", 30, 0.85); l.Gap != 39215686 || l.Max != 30 {
		t.Errorf("LaneWith(30, 0.85) = %+v", l)
	}
}
