// Package metrics owns the store's Prometheus registry: the business
// metrics operators alert on, HTTP metrics from an Echo middleware, and the
// Temporal SDK's own metrics, all served from one /metrics endpoint.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/starsesim/esimstore/contract"
)

// Namespace prefixes every metric the store defines itself; the Temporal
// SDK's metrics keep their own temporal_ prefix so its dashboards work.
const Namespace = "esimstore"

// Metrics holds the store's collectors. A process makes one with New and
// hands it to the API, the worker and the Temporal client.
type Metrics struct {
	registry *prometheus.Registry
	temporal *temporalCollector

	// OrdersByState counts order status transitions by the status entered.
	OrdersByState *prometheus.CounterVec
	// StarsTaken counts Stars received in successful payments.
	StarsTaken prometheus.Counter
	// StarsRefunded counts Stars returned with refundStarPayment.
	StarsRefunded prometheus.Counter
	// RefundsByReason counts completed refunds by why they happened.
	RefundsByReason *prometheus.CounterVec
	// PreCheckoutLatency is the time from receiving a pre_checkout_query to
	// answering it; Telegram gives up after 10 s.
	PreCheckoutLatency prometheus.Histogram
	// PreCheckoutAnswers counts pre-checkout answers by result (ok or
	// refused): a jump in refusals means buyers cannot pay.
	PreCheckoutAnswers *prometheus.CounterVec
	// PaymentToQRLatency is the time from successful_payment to the QR
	// reaching the buyer: the number buyers feel.
	PaymentToQRLatency prometheus.Histogram
	// ESIMGoErrors counts failed eSIM Go calls by class, the name of the
	// esimgo.ErrorKind (insufficient_balance, unauthorized, …).
	ESIMGoErrors *prometheus.CounterVec
	// BundleRevokeFailures counts support refunds of a fulfilled order whose
	// bundle eSIM Go would not take back: the buyer keeps a working eSIM and
	// the eSIM Go balance is not credited, so support follows each one up.
	BundleRevokeFailures prometheus.Counter
	// ReconciliationFindings counts mismatches the reconciler found, by kind.
	ReconciliationFindings *prometheus.CounterVec
	// HTTPRequests and HTTPDuration are filled by EchoMiddleware.
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	// WebhookUpdates counts Telegram updates received, by kind.
	WebhookUpdates *prometheus.CounterVec

	// After the sale.
	// ESIMGoCallbacks counts eSIM Go callbacks accepted (signature valid),
	// by alert type; ESIMGoCallbacksRejected those refused with 401.
	ESIMGoCallbacks         *prometheus.CounterVec
	ESIMGoCallbacksRejected prometheus.Counter
	// ESIMGoBalanceAlerts counts LowBalance and InsufficientBalance
	// callbacks, by type: page on any increase.
	ESIMGoBalanceAlerts *prometheus.CounterVec
	// ESIMGoBalance is the eSIM Go balance (USD) as last reported by a
	// balance alert.
	ESIMGoBalance prometheus.Gauge
	// UsageAlerts counts low-data alerts sent to buyers, by threshold.
	UsageAlerts *prometheus.CounterVec
}

// preCheckoutBuckets are fine below a second, where a healthy answer lands,
// and still resolve the approach to Telegram's 10 s limit.
var preCheckoutBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2, 3, 5, 7.5, 10,
}

// paymentToQRBuckets span a normal delivery (seconds) up to the fulfilment
// deadline (30 minutes by default) and beyond.
var paymentToQRBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600}

var httpBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// New makes a fresh registry with the process and Go runtime collectors and
// every store metric registered. Its own registry (not the global default)
// keeps tests independent and the endpoint free of stray library metrics.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	f := factory{reg}
	m := &Metrics{
		registry: reg,
		OrdersByState: f.counterVec("order_transitions_total",
			"Order status transitions, by the status entered.", "status"),
		StarsTaken:    f.counter("stars_taken_total", "Telegram Stars received in successful payments."),
		StarsRefunded: f.counter("stars_refunded_total", "Telegram Stars returned with refundStarPayment."),
		RefundsByReason: f.counterVec("refunds_total",
			"Completed refunds, by reason.", "reason"),
		PreCheckoutLatency: f.histogram("precheckout_latency_seconds",
			"Time from receiving a pre_checkout_query to answering it.", preCheckoutBuckets),
		PreCheckoutAnswers: f.counterVec("precheckout_answers_total",
			"Answers to pre_checkout_query, by result (ok or refused).", "result"),
		PaymentToQRLatency: f.histogram("payment_to_qr_seconds",
			"Time from a successful payment to the QR code reaching the buyer.", paymentToQRBuckets),
		ESIMGoErrors: f.counterVec("esimgo_errors_total",
			"Failed eSIM Go API calls, by error class.", "class"),
		BundleRevokeFailures: f.counter("bundle_revoke_failures_total",
			"Support refunds whose eSIM bundle could not be revoked at eSIM Go."),
		ReconciliationFindings: f.counterVec("reconciliation_findings_total",
			"Mismatches found by the reconciler, by kind.", "kind"),
		HTTPRequests: f.counterVec("http_requests_total",
			"HTTP requests served, by method, route template and status code.", "method", "route", "code"),
		HTTPDuration: f.histogramVec("http_request_duration_seconds",
			"HTTP request handling time, by method and route template.", httpBuckets, "method", "route"),
		WebhookUpdates: f.counterVec("telegram_webhook_updates_total",
			"Telegram webhook updates received, by kind.", "kind"),
		ESIMGoCallbacks: f.counterVec("esimgo_callbacks_total",
			"eSIM Go callbacks accepted with a valid signature, by alert type.", "type"),
		ESIMGoCallbacksRejected: f.counter("esimgo_callbacks_rejected_total",
			"eSIM Go callbacks refused for a missing or wrong signature."),
		ESIMGoBalanceAlerts: f.counterVec("esimgo_balance_alerts_total",
			"eSIM Go balance alerts (LowBalance, InsufficientBalance) received.", "type"),
		ESIMGoBalance: f.gauge("esimgo_balance_usd", "The eSIM Go balance as the last balance alert reported it."),
		UsageAlerts: f.counterVec("usage_alerts_total",
			"Low-data alerts sent to buyers, by threshold (80, 100).", "threshold"),
	}
	for _, t := range []string{"LowBalance", "InsufficientBalance"} {
		m.ESIMGoBalanceAlerts.WithLabelValues(t)
	}
	// Zero series for every status make rate() and absent() alerts work
	// before the first order of a kind.
	for _, s := range []contract.Status{
		contract.StatusAwaitingPayment, contract.StatusPaid, contract.StatusFulfilling, contract.StatusFulfilled,
		contract.StatusRefunding, contract.StatusRefunded, contract.StatusExpired,
	} {
		m.OrdersByState.WithLabelValues(string(s))
	}
	for _, r := range []string{"ok", "refused"} {
		m.PreCheckoutAnswers.WithLabelValues(r)
	}
	m.temporal = newTemporalCollector()
	reg.MustRegister(m.temporal)
	return m
}

// Registry is exposed so callers can add collectors of their own (for
// example a pgx pool's statistics).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A failing collector is reported in the log of the scrape, not by
// failing the whole scrape, so one bad series cannot blind every alert.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
		Registry:          m.registry,
	})
}

type factory struct{ reg prometheus.Registerer }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
