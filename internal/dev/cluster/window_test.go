package cluster

import (
	"testing"
	"time"
)

func TestMaxInWindow(t *testing.T) {
	at := func(ms ...int) []time.Time {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var out []time.Time
		for _, m := range ms {
			out = append(out, base.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		times       []time.Time
		most, first int
	}{
		{"none", nil, 0, 0},
		{"one", at(5), 1, 0},
		{"a second apart is two windows", at(0, 1000), 1, 0},
		{"just inside one second", at(0, 999), 2, 0},
		{"the busiest second wins", at(0, 1500, 1600, 1700, 2499, 2600), 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			most, first := maxInWindow(tc.times, time.Second)
			if most != tc.most || first != tc.first {
				t.Errorf("maxInWindow = %d from %d, want %d from %d", most, first, tc.most, tc.first)
			}
		})
	}
}

// maxInWindow is the most of the sorted times inside any window-long span,
// and the index of the first of them.
func maxInWindow(times []time.Time, window time.Duration) (most, first int) {
	lo := 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= window {
			lo++
		}
		if hi-lo+1 > most {
			most, first = hi-lo+1, lo
		}
	}
	return most, first
}
