package checkout

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBuyerRate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const ann, bob = int64(5_079_065_042), int64(1<<52 - 1)
	type step struct {
		user     int64
		at       time.Duration // after t0
		wantOK   bool
		wantWait time.Duration // when refused
	}
	tests := []struct {
		name      string
		perMinute float64
		burst     int
		steps     []step
	}{
		{"burst, then refused until a token is back", 20, 3, []step{
			{ann, 0, true, 0}, {ann, 0, true, 0}, {ann, 0, true, 0},
			{ann, 0, false, 3 * time.Second},
			{ann, time.Second, false, 2 * time.Second}, // a refusal takes nothing
			{ann, 3 * time.Second, true, 0},
			{ann, 3 * time.Second, false, 3 * time.Second},
		}},
		{"buyers have their own buckets", 60, 1, []step{
			{ann, 0, true, 0}, {ann, 0, false, time.Second},
			{bob, 0, true, 0}, {bob, 0, false, time.Second},
			{ann, time.Second, true, 0},
		}},
		{"an idle buyer's bucket refills only up to the burst", 60, 2, []step{
			{ann, 0, true, 0}, {ann, 0, true, 0},
			{ann, time.Hour, true, 0}, {ann, time.Hour, true, 0},
			{ann, time.Hour, false, time.Second},
		}},
		{"slow rate: a long wait", 1, 1, []step{
			{ann, 0, true, 0}, {ann, 0, false, time.Minute}, {ann, 45 * time.Second, false, 15 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewBuyerRate(tt.perMinute, tt.burst, 100)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				ok, wait := r.Allow(s.user, t0.Add(s.at))
				if ok != s.wantOK || (!ok && wait.Round(time.Millisecond) != s.wantWait) {
					t.Fatalf("step %d (buyer %d at +%s): ok %v wait %s, want ok %v wait %s",
						i, s.user, s.at, ok, wait, s.wantOK, s.wantWait)
				}
			}
		})
	}
}

// The map of limiters is bounded: past its size the least recently seen
// buyer is forgotten (and starts again with a full bucket), the active one
// is kept.
func TestBuyerRateForgetsLeastRecentlySeen(t *testing.T) {
	r, err := NewBuyerRate(1, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, u := range []int64{1, 2} {
		if ok, _ := r.Allow(u, now); !ok {
			t.Fatalf("first request of %d refused", u)
		}
	}
	if ok, _ := r.Allow(1, now); ok { // 1 is now the most recently seen
		t.Fatal("buyer 1 got a second request within its minute")
	}
	if ok, _ := r.Allow(3, now); !ok { // evicts 2
		t.Fatal("first request of 3 refused")
	}
	if n := r.buyers.Len(); n != 2 {
		t.Fatalf("remembers %d buyers, want 2", n)
	}
	if ok, _ := r.Allow(1, now); ok {
		t.Error("buyer 1 was forgotten although it was seen most recently")
	}
	if ok, _ := r.Allow(2, now); !ok {
		t.Error("buyer 2 should have been forgotten and start with a full bucket")
	}
}

func TestNewBuyerRateRejectsNonsense(t *testing.T) {
	for _, c := range []struct {
		perMinute     float64
		burst, buyers int
	}{{0, 1, 1}, {-1, 1, 1}, {1, 0, 1}, {1, 1, 0}} {
		if _, err := NewBuyerRate(c.perMinute, c.burst, c.buyers); err == nil {
			t.Errorf("NewBuyerRate(%v, %d, %d) accepted", c.perMinute, c.burst, c.buyers)
		}
	}
}

func TestLimitErrors(t *testing.T) {
	tests := []struct {
		err      error
		is       error
		retryS   int
		contains string
	}{
		{&OpenOrdersError{Max: 10}, ErrTooManyOpenOrders, 0, "at most 10"},
		{&RateLimitedError{RetryAfter: 2500 * time.Millisecond}, ErrRateLimited, 3, "2.5s"},
		{&RateLimitedError{RetryAfter: time.Millisecond}, ErrRateLimited, 1, "1ms"},
		{&RateLimitedError{RetryAfter: time.Minute}, ErrRateLimited, 60, "1m0s"},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("chat order: %w", tt.err)
		if !errors.Is(wrapped, tt.is) {
			t.Errorf("%v is not %v", wrapped, tt.is)
		}
		var rl *RateLimitedError
		if errors.As(wrapped, &rl) && rl.RetryAfterSeconds() != tt.retryS {
			t.Errorf("%v: Retry-After %d s, want %d", tt.err, rl.RetryAfterSeconds(), tt.retryS)
		}
		if got := tt.err.Error(); !strings.Contains(got, tt.contains) {
			t.Errorf("%q lacks %q", got, tt.contains)
		}
	}
}

// One buyer's starts run one at a time while other buyers' run alongside,
// and the lock table empties once nobody holds a lock.
func TestBuyerLocks(t *testing.T) {
	var l buyerLocks
	var inside [3]atomic.Int32
	var overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := i % 3
			unlock := l.lock(int64(u))
			if inside[u].Add(1) != 1 {
				overlaps.Add(1)
			}
			runtime.Gosched()
			inside[u].Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d starts of one buyer overlapped", n)
	}
	if n := len(l.held); n != 0 {
		t.Errorf("%d lock entries left behind", n)
	}
	// Another buyer is not held up: this returns while buyer 1 is locked.
	unlock := l.lock(1)
	l.lock(2)()
	unlock()
}
