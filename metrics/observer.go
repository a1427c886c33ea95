package metrics

import "time"

// These methods make *Metrics satisfy the API's Observer interface
// (api.Server.Observe) without this package importing the API.

// PreCheckoutAnswered records one answer to a pre_checkout_query and how
// long it took from receipt.
func (m *Metrics) PreCheckoutAnswered(ok bool, took time.Duration) {
	result := "refused"
	if ok {
		result = "ok"
	}
	m.PreCheckoutAnswers.WithLabelValues(result).Inc()
	m.PreCheckoutLatency.Observe(took.Seconds())
}

// WebhookUpdate counts one Telegram update by kind (message,
// pre_checkout_query, …).
func (m *Metrics) WebhookUpdate(kind string) {
	m.WebhookUpdates.WithLabelValues(kind).Inc()
}

// ESIMGoCallback records one callback at the API: accepted (a valid
// signature, labelled by alert type) or rejected.
func (m *Metrics) ESIMGoCallback(alertType string, accepted bool) {
	if !accepted {
		m.ESIMGoCallbacksRejected.Inc()
		return
	}
	if alertType == "" {
		alertType = "unknown"
	}
	m.ESIMGoCallbacks.WithLabelValues(alertType).Inc()
}
