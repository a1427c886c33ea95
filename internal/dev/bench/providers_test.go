package bench

import (
	"testing"
	"time"
)

func TestBusiestSecond(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, base.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, tc := range []struct {
		name                  string
		times                 []time.Time
		sliding, first, clock int
	}{
		{"none", nil, 0, 0, 0},
		{"one", at(5), 1, 0, 1},
		{"a second apart is two windows", at(0, 1000), 1, 0, 1},
		{"just inside one second", at(0, 999), 2, 0, 2},
		{"across a clock second", at(600, 900, 1100, 1400), 4, 0, 2},
		{"the busiest second wins", at(0, 1500, 1600, 1700, 2499, 2600), 4, 1, 3},
		{"unsorted", at(2500, 100, 1600, 1700), 3, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaxPerClockSecond(tc.times); got != tc.clock {
				t.Errorf("per clock second: %d, want %d", got, tc.clock)
			}
			if got, first := MaxInWindow(tc.times, time.Second); got != tc.sliding || first != tc.first {
				t.Errorf("in any second: %d from %d, want %d from %d", got, first, tc.sliding, tc.first)
			}
		})
	}
}
