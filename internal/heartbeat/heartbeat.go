// Package heartbeat keeps a long activity visibly alive. A worker that dies
// mid-call is noticed within the activity's HeartbeatTimeout rather than its
// whole start-to-close timeout, so the retry (which looks before it acts)
// comes quickly; and a slow provider call does not look like a dead worker.
package heartbeat

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// Interval keeps well inside every HeartbeatTimeout the store sets (10 s).
const Interval = 2 * time.Second

// Keep heartbeats every Interval until stop is called or ctx ends. Outside
// an activity (a plain call in a test) it does nothing.
func Keep(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
