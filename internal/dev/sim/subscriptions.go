package sim

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Subscriptions as Telegram sees them: every charge of a subscription
// invoice link is in the fake's Star ledger with the link's payload (the
// subscription id) and its period. The first of them is the charge that
// started the subscription; Telegram renews from it every 30 days, which the
// simulator plays on demand so that a renewal can be watched without waiting
// a month.

type simSubscription struct {
	SubscriptionID string `json:"subscription_id"`
	FirstChargeID  string `json:"first_charge_id"`
	Amount         int64  `json:"amount"`
	// Charges counts the first payment and every renewal.
	Charges int `json:"charges"`
	// Canceled: the bot stopped the renewals (editUserStarSubscription).
	Canceled bool `json:"canceled"`
}

// subscriptionsOf lists userID's subscriptions (0: everyone's), oldest first.
func (s *server) subscriptionsOf(userID int64) []simSubscription {
	var out []simSubscription
	index := map[string]int{}
	for _, tx := range s.d.Telegram.Transactions() {
		src := tx.Source
		if src == nil || src.SubscriptionPeriod == 0 || src.InvoicePayload == "" || src.User == nil {
			continue // refunds have a receiver, one-off payments no period
		}
		if userID != 0 && src.User.ID != userID {
			continue
		}
		if i, ok := index[src.InvoicePayload]; ok {
			out[i].Charges++
			continue
		}
		index[src.InvoicePayload] = len(out)
		out = append(out, simSubscription{SubscriptionID: src.InvoicePayload, FirstChargeID: tx.ID, Amount: tx.Amount, Charges: 1})
	}
	for i := range out {
		out[i].Canceled = s.d.Telegram.SubscriptionCanceled(out[i].FirstChargeID)
	}
	return out
}

func (s *server) subscriptions(c echo.Context) error {
	userID, err := strconv.ParseInt(c.QueryParam("user_id"), 10, 64)
	if err != nil {
		return apiError(c, http.StatusBadRequest, "bad_request", "user_id must be a number")
	}
	list := s.subscriptionsOf(userID)
	if list == nil {
		list = []simSubscription{}
	}
	return c.JSON(http.StatusOK, map[string]any{"subscriptions": list})
}

type renewRequest struct {
	SubscriptionID string `json:"subscription_id"`
	ChargeID       string `json:"charge_id"`
}

type renewResponse struct {
	SubscriptionID string `json:"subscription_id"`
	FirstChargeID  string `json:"first_charge_id"`
	ChargeID       string `json:"charge_id"`
	Delivered      bool   `json:"delivered"`
}

// renew plays Telegram charging the next period of a subscription: a new
// charge from the first charge's buyer, delivered to the store's webhook as
// successful_payment with is_recurring (and not is_first_recurring).
func (s *server) renew(c echo.Context) error {
	var req renewRequest
	if err := c.Bind(&req); err != nil || (req.SubscriptionID == "" && req.ChargeID == "") {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"subscription_id": string} or {"charge_id": string}`)
	}
	var sub simSubscription
	for _, x := range s.subscriptionsOf(0) {
		if (req.SubscriptionID != "" && x.SubscriptionID == req.SubscriptionID) || (req.ChargeID != "" && x.FirstChargeID == req.ChargeID) {
			sub = x
			break
		}
	}
	if sub.FirstChargeID == "" {
		return apiError(c, http.StatusNotFound, "unknown_subscription", "no subscription charge with that id in the fake's ledger (pay the subscription first)")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), payTimeout)
	defer cancel()
	res, err := s.d.Telegram.Renew(ctx, sub.FirstChargeID)
	switch {
	case errors.Is(err, telegramtest.ErrSubscriptionStopped):
		return apiError(c, http.StatusConflict, "subscription_stopped", "The bot cancelled this subscription: Telegram charges no renewal.")
	case errors.Is(err, telegramtest.ErrInsufficientStars):
		return apiError(c, http.StatusConflict, "insufficient_stars", "The buyer has too few Stars for the renewal.")
	case err != nil:
		return apiError(c, http.StatusBadGateway, "renew_failed", err.Error())
	}
	return c.JSON(http.StatusOK, renewResponse{SubscriptionID: sub.SubscriptionID, FirstChargeID: sub.FirstChargeID,
		ChargeID: res.ChargeID, Delivered: res.Delivered})
}
