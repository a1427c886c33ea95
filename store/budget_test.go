package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
)

// Gaps of an hour make the milliseconds a test takes negligible, so slots
// can be compared in whole gaps without asserting any timing.
const hour = time.Hour

func inGaps(d time.Duration) int { return int((d + hour/2) / hour) }

func TestBudgetLanesBookInOrder(t *testing.T) {
	s, _ := testenv.Store(t)
	l := s.Budget()
	ctx := context.Background()
	esim := budget.Lane{Key: "esimgo", Gap: hour}
	chat := budget.Lane{Key: "telegram-chat:5079065042", Gap: 3 * hour}
	for i, tc := range []struct {
		req    budget.Request
		booked bool
		gaps   int
	}{
		{budget.Request{Lanes: []budget.Lane{esim}}, true, 0},
		{budget.Request{Lanes: []budget.Lane{esim}}, true, 1},
		{budget.Request{Lanes: []budget.Lane{esim}, Cost: 5}, true, 2},
		{budget.Request{Lanes: []budget.Lane{esim}}, true, 7},
		{budget.Request{Lanes: []budget.Lane{esim}, MaxWait: 2 * hour}, false, 8},
		{budget.Request{Lanes: []budget.Lane{esim}, Priority: budget.Background}, false, 8},
		{budget.Request{Lanes: []budget.Lane{esim, chat}}, true, 8},
		{budget.Request{Lanes: []budget.Lane{chat}}, true, 11},
		{budget.Request{Lanes: []budget.Lane{{Key: "idle", Gap: hour}}, Priority: budget.Background}, true, 0},
	} {
		got, err := l.Book(ctx, tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if got.Booked != tc.booked || inGaps(got.Wait) != tc.gaps {
			t.Errorf("booking %d: got %+v (%d gaps), want booked %v after %d gaps", i, got, inGaps(got.Wait), tc.booked, tc.gaps)
		}
	}
	if err := l.Hold(ctx, "telegram", 5*hour); err != nil {
		t.Fatal(err)
	}
	got, err := l.Book(ctx, budget.Request{Lanes: []budget.Lane{{Key: "telegram", Gap: hour}}})
	if err != nil || inGaps(got.Wait) != 5 {
		t.Errorf("after a 5 h hold: %+v %v", got, err)
	}
}

// Two processes booking at once share one queue: every call gets its own
// slot, one gap after another, whichever process booked it.
func TestBudgetLanesAreSharedByProcesses(t *testing.T) {
	_, url := testenv.Store(t)
	ctx := context.Background()
	var limiters []budget.Limiter
	for range 2 {
		s, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		limiters = append(limiters, s.Budget())
	}
	const calls = 40
	var mu sync.Mutex
	var slots []int
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			s, err := limiters[i%2].Book(ctx, budget.Request{Lanes: []budget.Lane{{Key: "esimgo", Gap: hour}}})
			if err != nil || !s.Booked {
				t.Errorf("book: %+v %v", s, err)
				return
			}
			mu.Lock()
			slots = append(slots, inGaps(s.Wait))
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(slots)
	for i, g := range slots {
		if g != i {
			t.Fatalf("slots in gaps: %v, want 0…%d each once", slots, calls-1)
		}
	}
}

func TestBudgetLanesOfOldChatsArePruned(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO budget_lanes (key, free_at) VALUES ('telegram-chat:1', now() - interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	l := s.Budget()
	for i := range 1000 {
		lane := budget.Lane{Key: fmt.Sprintf("telegram-chat:%d", 2+i%7), Gap: time.Microsecond}
		if _, err := l.Book(ctx, budget.Request{Lanes: []budget.Lane{lane}}); err != nil {
			t.Fatal(err)
		}
	}
	var old, recent int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE key = 'telegram-chat:1'), count(*) FROM budget_lanes`).Scan(&old, &recent); err != nil {
		t.Fatal(err)
	}
	if old != 0 || recent != 7 {
		t.Errorf("after 1000 bookings: the hour-old lane is there %d times, %d lanes in all; want 0 and 7", old, recent)
	}
}

// The gate in PostgreSQL: at most Max departures within Max gaps, whatever
// process they left from; a refused call notes nothing.
func TestBudgetGateCountsDepartures(t *testing.T) {
	s, _ := testenv.Store(t)
	l := s.Budget()
	ctx := context.Background()
	lane := budget.Lane{Key: "esimgo", Gap: hour, Max: 3} // 3 within any 3 hours
	chat := budget.Lane{Key: "telegram:1:chat:5079065042", Gap: hour, Max: 1}
	for i, tc := range []struct {
		lanes  []budget.Lane
		cost   int
		passed bool
		gaps   int
	}{
		{[]budget.Lane{lane}, 1, true, 0},
		{[]budget.Lane{lane}, 1, true, 0},
		{[]budget.Lane{lane, chat}, 1, true, 0},
		{[]budget.Lane{lane}, 1, false, 3},
		{[]budget.Lane{chat}, 1, false, 1},
		{[]budget.Lane{{Key: "free", Gap: hour}}, 1, true, 0},
	} {
		got, err := l.Pass(ctx, budget.Request{Lanes: tc.lanes, Cost: tc.cost})
		if err != nil {
			t.Fatal(err)
		}
		if got.Booked != tc.passed || inGaps(got.Wait) != tc.gaps {
			t.Errorf("call %d: got %+v (%d gaps), want passed %v after %d gaps", i, got, inGaps(got.Wait), tc.passed, tc.gaps)
		}
	}
	// Costs count as departures: a lane with room for one more refuses a
	// call of cost 2 and keeps at most Max entries.
	other := budget.Lane{Key: "costly", Gap: hour, Max: 3}
	for i, tc := range []struct {
		cost   int
		passed bool
	}{{2, true}, {2, false}, {1, true}, {5, false}} {
		got, err := l.Pass(ctx, budget.Request{Lanes: []budget.Lane{other}, Cost: tc.cost})
		if err != nil || got.Booked != tc.passed {
			t.Errorf("costly call %d: %+v %v, want passed %v", i, got, err, tc.passed)
		}
	}
	var kept int
	if err := s.Pool.QueryRow(ctx, `SELECT cardinality(sent) FROM budget_lanes WHERE key = 'costly'`).Scan(&kept); err != nil || kept != 3 {
		t.Errorf("the lane keeps %d departures (%v), want 3", kept, err)
	}
}
