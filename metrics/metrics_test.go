package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/metrics"
)

// scrape returns the text exposition of m's registry, as Prometheus sees it.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	// The handler continues past collector errors; a test must not.
	if _, err := m.Registry().Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", rec.Code, rec.Body)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertContains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("metrics output lacks %q", w)
		}
	}
}

func TestBusinessMetricsAppear(t *testing.T) {
	tests := []struct {
		name string
		do   func(*metrics.Metrics)
		want []string
	}{
		{"transition", func(m *metrics.Metrics) { m.OrdersByState.WithLabelValues("fulfilled").Inc() },
			[]string{`esimstore_order_transitions_total{status="fulfilled"} 1`}},
		{"stars taken", func(m *metrics.Metrics) { m.StarsTaken.Add(137) },
			[]string{"esimstore_stars_taken_total 137"}},
		{"stars refunded", func(m *metrics.Metrics) { m.StarsRefunded.Add(42) },
			[]string{"esimstore_stars_refunded_total 42"}},
		{"refund reason", func(m *metrics.Metrics) { m.RefundsByReason.WithLabelValues("esim_failed").Inc() },
			[]string{`esimstore_refunds_total{reason="esim_failed"} 1`}},
		{"pre-checkout latency", func(m *metrics.Metrics) { m.PreCheckoutLatency.Observe(0.003) },
			[]string{`esimstore_precheckout_latency_seconds_bucket{le="0.001"} 0`,
				`esimstore_precheckout_latency_seconds_bucket{le="0.005"} 1`,
				`esimstore_precheckout_latency_seconds_bucket{le="10"} 1`,
				"esimstore_precheckout_latency_seconds_count 1"}},
		{"payment to QR", func(m *metrics.Metrics) { m.PaymentToQRLatency.Observe(4) },
			[]string{`esimstore_payment_to_qr_seconds_bucket{le="5"} 1`}},
		{"esim go error", func(m *metrics.Metrics) { m.ESIMGoErrors.WithLabelValues("insufficient_balance").Inc() },
			[]string{`esimstore_esimgo_errors_total{class="insufficient_balance"} 1`}},
		{"reconciliation", func(m *metrics.Metrics) { m.ReconciliationFindings.WithLabelValues("paid_not_signalled").Add(2) },
			[]string{`esimstore_reconciliation_findings_total{kind="paid_not_signalled"} 2`}},
		{"webhook", func(m *metrics.Metrics) { m.WebhookUpdates.WithLabelValues("pre_checkout_query").Inc() },
			[]string{`esimstore_telegram_webhook_updates_total{kind="pre_checkout_query"} 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			tt.do(m)
			assertContains(t, scrape(t, m), tt.want...)
		})
	}
}

func TestNewRegistersRuntimeAndZeroStatuses(t *testing.T) {
	out := scrape(t, metrics.New())
	assertContains(t, out,
		"go_goroutines",
		`esimstore_order_transitions_total{status="awaiting_payment"} 0`,
		`esimstore_order_transitions_total{status="expired"} 0`,
	)
}

// Registries are per instance, so two processes' worth of metrics in one
// test binary do not collide.
func TestInstancesAreIndependent(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.StarsTaken.Add(5)
	if out := scrape(t, b); !strings.Contains(out, "esimstore_stars_taken_total 0") {
		t.Errorf("second registry saw the first one's Stars:\n%s", out)
	}
}

// observer mirrors api.Observer; the API wires *Metrics in as one.
type observer interface {
	PreCheckoutAnswered(ok bool, took time.Duration)
	WebhookUpdate(kind string)
}

func TestObserver(t *testing.T) {
	m := metrics.New()
	var o observer = m
	o.PreCheckoutAnswered(true, 20*time.Millisecond)
	o.PreCheckoutAnswered(false, 2*time.Millisecond)
	o.WebhookUpdate("message")
	assertContains(t, scrape(t, m),
		`esimstore_precheckout_answers_total{result="ok"} 1`,
		`esimstore_precheckout_answers_total{result="refused"} 1`,
		"esimstore_precheckout_latency_seconds_count 2",
		`esimstore_precheckout_latency_seconds_bucket{le="0.0025"} 1`,
		`esimstore_telegram_webhook_updates_total{kind="message"} 1`,
	)
}
