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
		name           string
		times          []time.Time
		sliding, clock int
	}{
		{"none", nil, 0, 0},
		{"a second apart", at(0, 1000), 1, 1},
		{"across a clock second", at(600, 900, 1100, 1400), 4, 2},
		{"unsorted", at(2500, 100, 1600, 1700), 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := maxPerClockSecond(tc.times); got != tc.clock {
				t.Errorf("per clock second: %d, want %d", got, tc.clock)
			}
			if got, _ := maxInWindow(tc.times, time.Second); got != tc.sliding {
				t.Errorf("in any second: %d, want %d", got, tc.sliding)
			}
		})
	}
}
