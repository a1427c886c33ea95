package sim

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// The named fault switches. Each maps onto the fakes' own fault injection,
// so what the store sees is exactly what a real outage would look like.
const (
	FaultESIMDown     = "esim_down"
	FaultESIMRefuses  = "esim_refuses"
	FaultRefundErrors = "refund_errors"
)

// refundFailures is how many refundStarPayment calls fail after
// refund_errors is switched on: enough to watch the workflow retry, few
// enough that the refund then goes through.
const refundFailures = 3

const methodRefund = "refundStarPayment"

var faultDescriptions = map[string]string{
	FaultESIMDown:     "eSIM Go is down: every endpoint answers 503 until switched off (watch fulfilment retry).",
	FaultESIMRefuses:  "eSIM Go refuses the bundle: POST /orders answers 400 (fulfilment fails, the order is refunded).",
	FaultRefundErrors: "Telegram refund errors: the next 3 refundStarPayment calls answer 500 (watch the refund retry).",
}

type faultState struct {
	Name        string `json:"name"`
	On          bool   `json:"on"`
	Description string `json:"description"`
}

type faultRequest struct {
	Name string `json:"name"`
	On   bool   `json:"on"`
}

func (s *server) faults(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"faults": s.faultStates()})
}

func (s *server) faultStates() []faultState {
	active := s.d.ESIM.Faults()
	down := active[esimgotest.AllEndpoints].Status == http.StatusServiceUnavailable
	refuses := active[esimgotest.EndpointCreateOrder].Status == http.StatusBadRequest
	return []faultState{
		{FaultESIMDown, down, faultDescriptions[FaultESIMDown]},
		{FaultESIMRefuses, refuses, faultDescriptions[FaultESIMRefuses]},
		{FaultRefundErrors, s.refundFaultOn(), faultDescriptions[FaultRefundErrors]},
	}
}

func (s *server) refundFaultOn() bool {
	s.mu.Lock()
	since := s.refundFaultAt
	s.mu.Unlock()
	if since.IsZero() {
		return false
	}
	failed := 0
	for _, call := range s.d.Telegram.Calls(methodRefund) {
		if !call.At.Before(since) && call.Status == http.StatusInternalServerError {
			failed++
		}
	}
	return failed < refundFailures
}

func (s *server) setFault(c echo.Context) error {
	var req faultRequest
	if err := c.Bind(&req); err != nil {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"name": string, "on": bool}`)
	}
	switch req.Name {
	case FaultESIMDown:
		if req.On {
			s.d.ESIM.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Status: http.StatusServiceUnavailable, Message: "Service Unavailable"})
		} else {
			s.d.ESIM.ClearFault(esimgotest.AllEndpoints)
		}
	case FaultESIMRefuses:
		if req.On {
			s.d.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: http.StatusBadRequest, Message: "Bundle is not valid"})
		} else {
			s.d.ESIM.ClearFault(esimgotest.EndpointCreateOrder)
		}
	case FaultRefundErrors:
		s.mu.Lock()
		if req.On {
			s.refundFaultAt = time.Now()
			s.d.Telegram.SetFault(methodRefund, telegramtest.Fault{Code: http.StatusInternalServerError, Times: refundFailures})
		} else {
			s.refundFaultAt = time.Time{}
			// telegramtest has no per-method clear and ClearFaults would drop
			// faults others installed: replace ours with a one-shot no-op.
			s.d.Telegram.SetFault(methodRefund, telegramtest.Fault{Times: 1})
		}
		s.mu.Unlock()
	default:
		return apiError(c, http.StatusBadRequest, "unknown_fault", "faults are esim_down, esim_refuses and refund_errors")
	}
	return c.JSON(http.StatusOK, map[string]any{"faults": s.faultStates()})
}
