package sim

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

// After the sale the simulator plays the buyer's phone and eSIM Go's clock
// on the fake eSIM Go: installing an eSIM, removing it, using data, letting
// its plans run out, the account's balance running low. The fake then posts
// the store the signed callbacks eSIM Go would (install state, the 80 % and
// 100 % alerts, balance alerts), so the chat and My eSIMs show what a buyer
// and an operator would see.

type phoneRequest struct {
	ICCID   string `json:"iccid"`
	Action  string `json:"action"`  // install, remove, use, expire
	Percent int    `json:"percent"` // for use: share of the current plan, 1–100
}

type usageJSON struct {
	Bundle    string `json:"bundle"`
	State     string `json:"state"`
	Initial   int64  `json:"initial_bytes"`
	Remaining int64  `json:"remaining_bytes"`
	Unlimited bool   `json:"unlimited"`
}

// phone answers POST /sim/api/phone with the eSIM's plans after the action.
func (s *server) phone(c echo.Context) error {
	var req phoneRequest
	if err := c.Bind(&req); err != nil || req.ICCID == "" {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"iccid", "action"[, "percent"]}`)
	}
	if s.d.ESIM.UsageOf(req.ICCID) == nil {
		return apiError(c, http.StatusNotFound, "unknown_esim", "the fake eSIM Go has no such eSIM")
	}
	var err error
	switch req.Action {
	case "install":
		err = s.d.ESIM.Install(req.ICCID)
	case "remove":
		err = s.d.ESIM.Uninstall(req.ICCID)
	case "use":
		if req.Percent < 1 || req.Percent > 100 {
			return apiError(c, http.StatusUnprocessableEntity, "bad_request", "percent must be 1–100")
		}
		_, err = s.d.ESIM.UseData(req.ICCID, req.Percent)
	case "expire":
		err = s.d.ESIM.Expire(req.ICCID)
	default:
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", "action must be install, remove, use or expire")
	}
	if err != nil {
		// No data left to use, or the store did not take the callback.
		return apiError(c, http.StatusConflict, "phone_failed", err.Error())
	}
	usage := s.d.ESIM.UsageOf(req.ICCID)
	out := make([]usageJSON, 0, len(usage))
	for _, u := range usage {
		out = append(out, usageJSON{Bundle: u.Bundle, State: u.State, Initial: u.Initial, Remaining: u.Remaining, Unlimited: u.Unlimited})
	}
	return c.JSON(http.StatusOK, map[string]any{"iccid": req.ICCID, "usage": out})
}

// balanceThreshold is eSIM Go's default low-balance threshold (USD).
var balanceThreshold = decimal.NewFromInt(100)

// balanceLow answers POST /sim/api/balance-low: eSIM Go's LowBalance
// notification for the fake's balance, as if it had fallen under the
// account's threshold.
func (s *server) balanceLow(c echo.Context) error {
	if err := s.d.ESIM.SendBalanceAlert(esimgo.AlertLowBalance, balanceThreshold); err != nil {
		return apiError(c, http.StatusBadGateway, "callback_failed", err.Error())
	}
	return c.JSON(http.StatusOK, map[string]any{"balance": s.d.ESIM.Balance().String(), "threshold": balanceThreshold.String()})
}
