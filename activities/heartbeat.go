package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeatInterval keeps well inside the workflow's HeartbeatTimeout.
const heartbeatInterval = 2 * time.Second

// keepAlive heartbeats while a slow call runs, so a worker that dies
// mid-call is noticed within the heartbeat timeout rather than the whole
// start-to-close timeout, and the retry (which looks before it buys) comes
// quickly.
func keepAlive(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatInterval)
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
