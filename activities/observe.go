package activities

import (
	"time"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
)

// The business metrics are counted here, in activities, because workflow
// code replays and would count twice. Each counter moves only after the
// side effect it describes succeeded.

func (a *Activities) countStatus(st contract.Status) {
	if a.Metrics != nil && st != "" {
		a.Metrics.OrdersByState.WithLabelValues(string(st)).Inc()
	}
}

func (a *Activities) countRefund(stars int64, reason string) {
	if a.Metrics != nil {
		a.Metrics.StarsRefunded.Add(float64(stars))
		a.Metrics.RefundsByReason.WithLabelValues(reason).Inc()
	}
}

func (a *Activities) countRevokeFailure() {
	if a.Metrics != nil {
		a.Metrics.BundleRevokeFailures.Inc()
	}
}

func (a *Activities) countESIMError(err error) {
	if a.Metrics != nil && err != nil {
		a.Metrics.ESIMGoErrors.WithLabelValues(esimgo.KindOf(err).String()).Inc()
	}
}

func (a *Activities) observeDelivery(paidAt time.Time) {
	if a.Metrics != nil && !paidAt.IsZero() {
		a.Metrics.PaymentToQRLatency.Observe(a.now().Sub(paidAt).Seconds())
	}
}
