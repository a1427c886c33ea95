package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/telegram"
)

// subscriptionRoutes: monthly subscriptions for the Mini App. Same auth and
// body shape as /api/orders; the answer carries the subscription link for
// Telegram.WebApp.openInvoice.
func (s *Server) subscriptionRoutes(e *echo.Echo) {
	g := e.Group("/api/subscriptions", s.requireInitData)
	g.POST("", s.createSubscription)
	g.GET("", s.listMySubscriptions)
	g.POST("/:id/cancel", s.cancelSubscription)
}

type subscriptionCreated struct {
	SubscriptionID     string          `json:"subscription_id"`
	OrderID            string          `json:"order_id"` // the same id: the subscription's first period is an order
	Status             contract.Status `json:"status"`
	InvoiceLink        string          `json:"invoice_link"`
	PriceStars         int64           `json:"price_stars"`
	PriceUSD           string          `json:"price_usd"`
	SubscriptionPeriod int             `json:"subscription_period"`
}

func (s *Server) createSubscription(c echo.Context) error {
	req, ok, err := buyRequest(c, contract.SourceSubscription)
	if !ok {
		return err
	}
	inv, err := s.Orders.CreateSubscription(c.Request().Context(), req)
	if err != nil {
		return s.buyFailed(c, err)
	}
	s.rememberBuyer(c)
	return c.JSON(http.StatusCreated, subscriptionCreated{SubscriptionID: inv.OrderID, OrderID: inv.OrderID, Status: inv.Status,
		InvoiceLink: inv.InvoiceLink, PriceStars: inv.PriceStars, PriceUSD: inv.PriceUSD,
		SubscriptionPeriod: telegram.SubscriptionPeriod30d})
}

type subscriptionJSON struct {
	SubscriptionID string                      `json:"subscription_id"`
	Status         contract.SubscriptionStatus `json:"status"`
	PlanID         string                      `json:"plan_id"`
	ICCID          string                      `json:"iccid,omitempty"`
	Periods        int                         `json:"periods"`
	ExpiresAt      *time.Time                  `json:"expires_at,omitempty"`
	CreatedAt      time.Time                   `json:"created_at"`
}

func (s *Server) listMySubscriptions(c echo.Context) error {
	list, err := s.Store.ListSubscriptions(c.Request().Context(), buyerOf(c).ID)
	if err != nil {
		return err
	}
	out := make([]subscriptionJSON, 0, len(list))
	for _, sub := range list {
		out = append(out, subscriptionJSON{SubscriptionID: sub.ID, Status: sub.Status, PlanID: sub.PlanID, ICCID: sub.ICCID,
			Periods: sub.Periods, ExpiresAt: sub.ExpiresAt, CreatedAt: sub.CreatedAt})
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// cancelSubscription stops renewals (editUserStarSubscription) and answers
// once Telegram accepted it; cancelling twice answers the same.
func (s *Server) cancelSubscription(c echo.Context) error {
	v, err := s.Orders.CancelSubscription(c.Request().Context(), c.Param("id"), buyerOf(c).ID, "buyer:miniapp")
	switch {
	case errors.Is(err, checkout.ErrSubscriptionNotFound):
		return fail(c, http.StatusNotFound, "subscription_not_found", "Subscription not found.")
	case errors.Is(err, checkout.ErrNotActive):
		return fail(c, http.StatusConflict, "not_active", "This subscription is not active.")
	case errors.Is(err, checkout.ErrRateLimited):
		return rateLimited(c, err)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"subscription_id": v.SubscriptionID, "status": v.Status})
}
