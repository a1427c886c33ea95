package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/store"
)

func (s *Server) adminListOrders(c echo.Context) error {
	f := store.OrderFilter{Status: contract.Status(c.QueryParam("status")), PlanID: c.QueryParam("plan_id")}
	if f.Status != "" && !f.Status.Valid() {
		return fail(c, http.StatusUnprocessableEntity, "invalid_status", "Unknown status.")
	}
	if v := c.QueryParam("user_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fail(c, http.StatusUnprocessableEntity, "invalid_user_id", "user_id must be a number.")
		}
		f.UserID = id
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return fail(c, http.StatusUnprocessableEntity, "invalid_limit", "limit must be between 1 and 500.")
		}
		f.Limit = n
	}
	list, err := s.Store.ListOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Order{}
	}
	return c.JSON(http.StatusOK, list)
}

// adminOrder is the support view: the order, its money trail and its
// timeline.
type adminOrder struct {
	store.Detail
	Timeline []store.Event `json:"timeline"`
}

func (s *Server) adminGetOrder(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.OrderDetail(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return fail(c, http.StatusNotFound, "order_not_found", "Order not found.")
	}
	if err != nil {
		return err
	}
	events, err := s.Store.Events(ctx, d.Order.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminOrder{Detail: d, Timeline: events})
}

type refundBody struct {
	Reason string `json:"reason"`
}

func (s *Server) adminRefund(c echo.Context) error {
	var body refundBody
	if err := json.NewDecoder(c.Request().Body).Decode(&body); err != nil {
		return fail(c, http.StatusUnprocessableEntity, "invalid_body", `The body must be JSON like {"reason":"…"}.`)
	}
	body.Reason = strings.TrimSpace(body.Reason)
	if body.Reason == "" || len(body.Reason) > 500 {
		return fail(c, http.StatusUnprocessableEntity, "invalid_body", "A reason (up to 500 characters) is required.")
	}
	id := c.Param("id")
	by := c.Get(ctxAdmin).(string)
	err := s.Orders.Refund(c.Request().Context(), id, body.Reason, by)
	switch {
	case errors.Is(err, checkout.ErrOrderNotFound):
		return fail(c, http.StatusNotFound, "order_not_found", "Order not found.")
	case errors.Is(err, checkout.ErrAlreadyRefunded):
		return fail(c, http.StatusConflict, "already_refunded", "This order is already refunded or being refunded.")
	case errors.Is(err, checkout.ErrSubscriptionRefund):
		return fail(c, http.StatusConflict, "is_subscription",
			"This is a subscription: cancel it instead; failed renewals are refunded automatically.")
	case errors.Is(err, checkout.ErrNotPaid):
		return fail(c, http.StatusConflict, "not_paid", "This order has not been paid, so there is nothing to refund.")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"order_id": id, "status": string(contract.StatusRefunding), "requested_by": by})
}

// adminFinance is the Stars finance report of GET /admin/finance
// (finance.Report; days are UTC).
func (s *Server) adminFinance(c echo.Context) error {
	if s.Finance == nil {
		return fail(c, http.StatusNotFound, "not_found", "Not found.")
	}
	p, err := finance.ParsePeriod(c.QueryParam("from"), c.QueryParam("to"), s.now())
	if pe, ok := finance.ErrPeriod(err); ok {
		return fail(c, http.StatusBadRequest, pe.Code, pe.Message)
	}
	if err != nil {
		return err
	}
	rep, err := s.Finance.Report(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}
