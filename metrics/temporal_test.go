package metrics_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/metrics"
)

func TestTemporalHandler(t *testing.T) {
	tests := []struct {
		name string
		do   func(m *metrics.Metrics)
		want []string
	}{
		{"counter gets _total and tags as labels", func(m *metrics.Metrics) {
			h := m.TemporalHandler().WithTags(map[string]string{"namespace": "default", "task_queue": "esim-orders"})
			h.Counter("temporal_workflow_completed").Inc(2)
			h.Counter("temporal_workflow_completed").Inc(1)
		}, []string{`temporal_workflow_completed_total{namespace="default",task_queue="esim-orders"} 3`}},
		{"timer is a histogram in seconds", func(m *metrics.Metrics) {
			m.TemporalHandler().WithTags(map[string]string{"operation": "StartWorkflowExecution"}).
				Timer("temporal_request_latency").Record(30 * time.Millisecond)
		}, []string{
			`temporal_request_latency_seconds_bucket{operation="StartWorkflowExecution",le="0.025"} 0`,
			`temporal_request_latency_seconds_bucket{operation="StartWorkflowExecution",le="0.05"} 1`,
			`temporal_request_latency_seconds_count{operation="StartWorkflowExecution"} 1`,
		}},
		{"gauge keeps the last value", func(m *metrics.Metrics) {
			g := m.TemporalHandler().Gauge("temporal_num_pollers")
			g.Update(4)
			g.Update(2)
		}, []string{"temporal_num_pollers 2"}},
		{"same name with different tag keys", func(m *metrics.Metrics) {
			h := m.TemporalHandler()
			h.WithTags(map[string]string{"operation": "Poll"}).Counter("temporal_request").Inc(1)
			h.WithTags(map[string]string{"operation": "Poll", "namespace": "default"}).Counter("temporal_request").Inc(1)
		}, []string{
			`temporal_request_total{operation="Poll"} 1`,
			`temporal_request_total{namespace="default",operation="Poll"} 1`,
		}},
		{"later tags override, empty values drop", func(m *metrics.Metrics) {
			m.TemporalHandler().
				WithTags(map[string]string{"worker_type": "ActivityWorker", "activity_type": "x"}).
				WithTags(map[string]string{"worker_type": "WorkflowWorker", "activity_type": ""}).
				Counter("temporal_poller_start").Inc(1)
		}, []string{`temporal_poller_start_total{worker_type="WorkflowWorker"} 1`}},
		{"names and keys are sanitized", func(m *metrics.Metrics) {
			m.TemporalHandler().WithTags(map[string]string{"task-queue": "q"}).Counter("temporal.sticky-cache.hit").Inc(1)
		}, []string{`temporal_sticky_cache_hit_total{task_queue="q"} 1`}},
		{"a name used as two kinds stays scrapeable", func(m *metrics.Metrics) {
			h := m.TemporalHandler()
			h.Gauge("temporal_thing").Update(1)
			h.Timer("temporal_thing").Record(time.Second) // different family: temporal_thing_seconds
			h.Gauge("temporal_thing_seconds").Update(5)   // clashes with the timer's family
		}, []string{"temporal_thing 1", "temporal_thing_seconds_count 1", "temporal_thing_seconds_gauge 5"}},
		{"negative counter deltas are ignored", func(m *metrics.Metrics) {
			c := m.TemporalHandler().Counter("temporal_odd")
			c.Inc(3)
			c.Inc(-1)
		}, []string{"temporal_odd_total 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			tt.do(m)
			assertContains(t, scrape(t, m), tt.want...)
		})
	}
}

// The SDK emits from many goroutines; run with -race.
func TestTemporalHandlerConcurrent(t *testing.T) {
	m := metrics.New()
	h := m.TemporalHandler().WithTags(map[string]string{"namespace": "default"})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				h.Counter("temporal_request").Inc(1)
				h.Timer("temporal_request_latency").Record(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	out := scrape(t, m)
	if !strings.Contains(out, `temporal_request_total{namespace="default"} 1600`) {
		t.Errorf("lost increments:\n%s", out)
	}
}
