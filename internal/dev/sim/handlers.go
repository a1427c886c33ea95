package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// payTimeout bounds one simulated payment: Telegram waits 10 s for the
// pre-checkout answer, then the successful_payment delivery follows.
const payTimeout = 45 * time.Second

func (s *server) config(c echo.Context) error {
	out := map[string]any{"temporal_ui_url": strings.TrimRight(s.d.TemporalUIURL, "/"), "support_chat_id": s.d.SupportChatID}
	if s.d.Telegram != nil {
		out["bot_username"] = s.d.Telegram.BotUsername()
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) users(c echo.Context) error {
	return c.JSON(http.StatusOK, Users)
}

type initDataRequest struct {
	UserID     int64  `json:"user_id"`
	Forged     bool   `json:"forged"`
	StartParam string `json:"start_param"`
}

// startParam is what Telegram lets through a startapp link: up to 512 of
// A-Z, a-z, 0-9, _ and -.
var startParam = regexp.MustCompile(`^[A-Za-z0-9_-]{0,512}$`)

// initData signs launch data the way Telegram does when it opens the Mini
// App from a keyboard button, or from a startapp link (start_param). The forged variant is what an attacker would
// send: a genuine initData whose user was swapped for someone else, so the
// hash no longer matches.
func (s *server) initData(c echo.Context) error {
	var req initDataRequest
	if err := c.Bind(&req); err != nil {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", "body must be {\"user_id\": number}")
	}
	u, ok := userByID(req.UserID)
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_user", "no such test user")
	}
	if !startParam.MatchString(req.StartParam) {
		return apiError(c, http.StatusUnprocessableEntity, "bad_start_param", "start_param allows up to 512 of A-Z a-z 0-9 _ -")
	}
	extra := url.Values{"chat_type": {"sender"}, "chat_instance": {strconv.FormatInt(-u.ID*7919, 10)}}
	if req.StartParam != "" {
		extra.Set("start_param", req.StartParam)
	}
	raw := telegram.SignInitData(s.d.BotToken, u.User, time.Now(), extra)
	if req.Forged {
		raw = forge(raw, u.User)
	}
	return c.JSON(http.StatusOK, map[string]any{"init_data": raw, "user": u.User, "forged": req.Forged})
}

func forge(raw string, u telegram.User) string {
	fields, err := url.ParseQuery(raw)
	if err != nil {
		return raw + "0" // cannot happen for our own output; still breaks the hash
	}
	u.ID += 1_000_000
	b, _ := json.Marshal(u)
	fields.Set("user", string(b))
	return fields.Encode()
}

func (s *server) invoice(c echo.Context) error {
	inv, ok := s.d.Telegram.Invoice(c.QueryParam("link"))
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_invoice", "the fake Bot API issued no such invoice link")
	}
	return c.JSON(http.StatusOK, map[string]any{
		"link": inv.Link, "title": inv.Title, "description": inv.Description,
		"amount": inv.Amount, "currency": inv.Currency, "order_id": inv.Payload,
	})
}

type payRequest struct {
	InvoiceLink string `json:"invoice_link"`
	UserID      int64  `json:"user_id"`
}

type payResponse struct {
	Approved     bool   `json:"approved"`
	ErrorMessage string `json:"error_message"`
	ChargeID     string `json:"charge_id"`
	Delivered    bool   `json:"delivered"`
	OrderID      string `json:"order_id"`
}

// pay plays the buyer tapping Pay: the fake sends pre_checkout_query to the
// store's real webhook, waits for the answer, charges, then delivers
// successful_payment. A refusal is a normal answer (approved false), as the
// payment sheet shows it; only a broken request is an HTTP error.
func (s *server) pay(c echo.Context) error {
	var req payRequest
	if err := c.Bind(&req); err != nil || req.InvoiceLink == "" {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", "body must be {\"invoice_link\": string, \"user_id\": number}")
	}
	u, ok := userByID(req.UserID)
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_user", "no such test user")
	}
	inv, ok := s.d.Telegram.Invoice(req.InvoiceLink)
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_invoice", "the fake Bot API issued no such invoice link")
	}
	// The buyer's tap must not be cut short by the page navigating away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), payTimeout)
	defer cancel()
	res, err := s.d.Telegram.Pay(ctx, req.InvoiceLink, u.User)
	out := payResponse{Approved: res.Approved, ErrorMessage: res.ErrorMessage, ChargeID: res.ChargeID, Delivered: res.Delivered, OrderID: inv.Payload}
	switch {
	case errors.Is(err, telegramtest.ErrInsufficientStars):
		out.ErrorMessage = "Not enough Stars. Top up your balance in Telegram."
	case errors.Is(err, telegramtest.ErrPreCheckoutTimeout):
		out.ErrorMessage = "The bot did not confirm the order in time. No Stars were charged."
	case err != nil:
		return apiError(c, http.StatusBadGateway, "pay_failed", err.Error())
	case !res.Approved && out.ErrorMessage == "":
		out.ErrorMessage = "The bot declined the payment."
	}
	return c.JSON(http.StatusOK, out)
}
