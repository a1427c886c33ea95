package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler feeds the Temporal SDK's metrics (workflow task latency,
// activity failures, poller counts, …) into the same registry, for
// client.Options.MetricsHandler. Names follow the SDK's Prometheus
// convention (contrib/tally's naming scope): counters end in _total,
// timers become histograms in seconds, so Temporal's published dashboards
// work unchanged.
//
// It is a small adapter rather than contrib/tally: tally buffers and
// flushes on a timer (a second aggregation layer and goroutine), and the
// only contrib/tally release our module proxy serves is from 2022.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return temporalHandler{c: m.temporal}
}

// temporalBuckets cover a gRPC call (milliseconds) up to a whole order's
// end-to-end workflow latency (an invoice waits up to INVOICE_TTL).
var temporalBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600,
}

type kind int

const (
	kindCounter kind = iota
	kindGauge
	kindTimer
)

func (k kind) String() string {
	return [...]string{"counter", "gauge", "timer"}[k]
}

// temporalCollector is registered unchecked (it describes nothing) because
// the SDK decides label sets at run time and the same metric name can
// arrive with different tag keys. A vec per name and key set keeps each
// series consistent; Prometheus accepts differing label sets in one family.
type temporalCollector struct {
	mu    sync.RWMutex
	kinds map[string]kind // a name keeps the kind it was first used as
	vecs  map[string]*temporalVec
}

type temporalVec struct {
	counter *prometheus.CounterVec
	gauge   *prometheus.GaugeVec
	timer   *prometheus.HistogramVec
}

func newTemporalCollector() *temporalCollector {
	return &temporalCollector{kinds: map[string]kind{}, vecs: map[string]*temporalVec{}}
}

func (c *temporalCollector) Describe(chan<- *prometheus.Desc) {}

func (c *temporalCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, v := range c.vecs {
		switch {
		case v.counter != nil:
			v.counter.Collect(ch)
		case v.gauge != nil:
			v.gauge.Collect(ch)
		default:
			v.timer.Collect(ch)
		}
	}
}

// vec returns the vec for name and the tag keys, creating it on first use,
// and the label values in key order.
func (c *temporalCollector) vec(k kind, name string, tags map[string]string) (*temporalVec, []string) {
	keys := make([]string, 0, len(tags))
	for key := range tags {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	values := make([]string, len(keys))
	for i, key := range keys {
		values[i] = tags[key]
	}
	name = c.claimName(k, name)
	id := name + "\x00" + strings.Join(keys, "\x00")

	c.mu.RLock()
	v := c.vecs[id]
	c.mu.RUnlock()
	if v != nil {
		return v, values
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v = c.vecs[id]; v != nil {
		return v, values
	}
	v = &temporalVec{}
	help := "Temporal SDK metric " + name + "."
	switch k {
	case kindCounter:
		v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, keys)
	case kindGauge:
		v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, keys)
	case kindTimer:
		v.timer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: temporalBuckets}, keys)
	}
	c.vecs[id] = v
	return v, values
}

// claimName fixes name to one kind: a family cannot be both a counter and
// a gauge, and a conflict would fail the scrape, so a later use of another
// kind gets its own name.
func (c *temporalCollector) claimName(k kind, name string) string {
	for {
		c.mu.RLock()
		got, ok := c.kinds[name]
		c.mu.RUnlock()
		if ok && got == k {
			return name
		}
		if ok {
			name += "_" + k.String()
			continue
		}
		c.mu.Lock()
		if _, ok := c.kinds[name]; !ok {
			c.kinds[name] = k
		}
		c.mu.Unlock()
	}
}

type temporalHandler struct {
	c    *temporalCollector
	tags map[string]string // sanitized keys, no empty values
}

func (h temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		k = sanitize(k)
		if strings.HasPrefix(k, "__") { // reserved for Prometheus itself
			k = "tag" + k
		}
		// An empty value means "absent" to Prometheus; keeping it would make
		// {a="x",b=""} and {a="x"} two series Prometheus sees as one.
		if v == "" {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	return temporalHandler{c: h.c, tags: merged}
}

func (h temporalHandler) Counter(name string) client.MetricsCounter {
	v, values := h.c.vec(kindCounter, withSuffix(sanitize(name), "_total"), h.tags)
	return counter{v.counter.WithLabelValues(values...)}
}

func (h temporalHandler) Gauge(name string) client.MetricsGauge {
	v, values := h.c.vec(kindGauge, sanitize(name), h.tags)
	return gauge{v.gauge.WithLabelValues(values...)}
}

func (h temporalHandler) Timer(name string) client.MetricsTimer {
	v, values := h.c.vec(kindTimer, withSuffix(sanitize(name), "_seconds"), h.tags)
	return timer{v.timer.WithLabelValues(values...)}
}

type counter struct{ c prometheus.Counter }

// Inc ignores negative deltas: a Prometheus counter panics on them and the
// SDK never means to decrease a counter.
func (c counter) Inc(d int64) {
	if d > 0 {
		c.c.Add(float64(d))
	}
}

type gauge struct{ g prometheus.Gauge }

func (g gauge) Update(v float64) { g.g.Set(v) }

type timer struct{ o prometheus.Observer }

func (t timer) Record(d time.Duration) { t.o.Observe(d.Seconds()) }

func withSuffix(name, suffix string) string {
	if strings.HasSuffix(name, suffix) {
		return name
	}
	return name + suffix
}

// sanitize maps a name onto Prometheus' [a-zA-Z_][a-zA-Z0-9_]* alphabet,
// as contrib/tally's PrometheusSanitizeOptions do.
func sanitize(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
