package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
)

type createOrderBody struct {
	PlanID         string `json:"plan_id"`
	IdempotencyKey string `json:"idempotency_key"`
	// ICCID makes the order a top-up of one of the buyer's eSIMs.
	ICCID string `json:"iccid"`
}

// buyRequest reads {"plan_id"} and the idempotency key (header, or body)
// for the signed-in buyer; ok is false once an error answer was written.
func buyRequest(c echo.Context, source contract.Source) (checkout.CreateRequest, bool, error) {
	var body createOrderBody
	if err := json.NewDecoder(c.Request().Body).Decode(&body); err != nil {
		return checkout.CreateRequest{}, false, fail(c, http.StatusUnprocessableEntity, "invalid_body", `The body must be JSON like {"plan_id":"…"}.`)
	}
	body.PlanID = strings.TrimSpace(body.PlanID)
	if body.PlanID == "" || len(body.PlanID) > 200 {
		return checkout.CreateRequest{}, false, fail(c, http.StatusUnprocessableEntity, "invalid_body", "plan_id is required.")
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		key = body.IdempotencyKey
	}
	if len(key) > 200 {
		return checkout.CreateRequest{}, false, fail(c, http.StatusUnprocessableEntity, "invalid_body", "The idempotency key is too long.")
	}
	body.ICCID = strings.TrimSpace(body.ICCID)
	if body.ICCID != "" && (source == contract.SourceSubscription || !iccidPattern.MatchString(body.ICCID)) {
		return checkout.CreateRequest{}, false, fail(c, http.StatusUnprocessableEntity, "invalid_body",
			"iccid must be the ICCID of one of your eSIMs, and only orders can top one up.")
	}
	user := buyerOf(c)
	return checkout.CreateRequest{UserID: user.ID, ChatID: user.ID, LanguageCode: user.LanguageCode, PlanID: body.PlanID,
		Source: source, IdempotencyKey: key, ICCID: body.ICCID}, true, nil
}

// buyFailed answers a failed order or subscription start.
func (s *Server) buyFailed(c echo.Context, err error) error {
	var open *checkout.OpenOrdersError
	switch {
	case errors.Is(err, checkout.ErrPlanNotFound):
		return fail(c, http.StatusNotFound, "plan_not_found", "This plan is not on sale.")
	case errors.Is(err, checkout.ErrKeyReused):
		return fail(c, http.StatusUnprocessableEntity, "idempotency_key_reused", "This idempotency key was used for another plan.")
	case errors.Is(err, checkout.ErrNotSubscribable):
		return fail(c, http.StatusUnprocessableEntity, "not_subscribable", "This plan costs more than a Telegram subscription allows.")
	case errors.Is(err, checkout.ErrInvoiceFailed):
		return fail(c, http.StatusBadGateway, "invoice_failed", "Telegram could not create the invoice. Please try again.")
	case errors.As(err, &open):
		return fail(c, http.StatusTooManyRequests, "too_many_open_orders", fmt.Sprintf(
			"You already have %d unpaid orders. Pay for one of them in My eSIMs or wait until they expire, then try again.",
			open.Max))
	case errors.Is(err, checkout.ErrRateLimited):
		return rateLimited(c, err)
	case errors.Is(err, checkout.ErrESIMNotFound):
		return fail(c, http.StatusNotFound, "esim_not_found", "This eSIM is not one of yours.")
	case errors.Is(err, checkout.ErrIncompatible):
		return fail(c, http.StatusConflict, "incompatible", "This plan cannot be added to this eSIM. Please pick another plan.")
	case errors.Is(err, checkout.ErrSalesPaused):
		c.Response().Header().Set("Retry-After", "60")
		return fail(c, http.StatusServiceUnavailable, "sales_paused",
			"Sales are paused for a few minutes. Nothing was charged; please try again later.")
	case errors.Is(err, checkout.ErrBusy):
		s.log().Error("order start timed out", "err", err)
		return fail(c, http.StatusServiceUnavailable, "busy", "We are busy right now. Nothing was charged; please try again in a minute.")
	}
	return err
}

// rateLimited answers 429 with Retry-After: the buyer went faster than the
// per-buyer rate (checkout.BuyerRate).
func rateLimited(c echo.Context, err error) error {
	wait := 60
	var rl *checkout.RateLimitedError
	if errors.As(err, &rl) {
		wait = rl.RetryAfterSeconds()
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
	return fail(c, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("Too many requests. Please wait %d seconds and try again.", wait))
}

type orderCreated struct {
	OrderID     string          `json:"order_id"`
	Status      contract.Status `json:"status"`
	InvoiceLink string          `json:"invoice_link"`
	PriceStars  int64           `json:"price_stars"`
	PriceUSD    string          `json:"price_usd"`
}

// createOrder prices the plan on the server and returns the invoice link.
// A repeated tap (same Idempotency-Key, or same plan within seconds) gets
// the same order back.
func (s *Server) createOrder(c echo.Context) error {
	req, ok, err := buyRequest(c, contract.SourceMiniApp)
	if !ok {
		return err
	}
	inv, err := s.Orders.Create(c.Request().Context(), req)
	if err != nil {
		return s.buyFailed(c, err)
	}
	s.rememberBuyer(c)
	return c.JSON(http.StatusCreated, orderCreated{OrderID: inv.OrderID, Status: inv.Status, InvoiceLink: inv.InvoiceLink,
		PriceStars: inv.PriceStars, PriceUSD: inv.PriceUSD})
}

// rememberBuyer keeps the buyer's name and @username, so support finds
// them with /find @username. It costs the buyer nothing if it fails.
func (s *Server) rememberBuyer(c echo.Context) {
	u := buyerOf(c)
	err := s.Store.SaveTelegramUser(c.Request().Context(), store.TelegramUser{ID: u.ID, FirstName: u.FirstName,
		LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode})
	if err != nil {
		s.log().Warn("remember buyer", "user_id", u.ID, "err", err)
	}
}

type esimJSON struct {
	ICCID             string `json:"iccid"`
	LPA               string `json:"lpa"`
	SMDPAddress       string `json:"smdp_address"`
	MatchingID        string `json:"matching_id"`
	IOSInstallURL     string `json:"ios_install_url"`
	AndroidInstallURL string `json:"android_install_url"`
}

type refundJSON struct {
	Reason string    `json:"reason"`
	Code   string    `json:"code,omitempty"` // e.g. refund_reason_esim, for the buyer's language
	At     time.Time `json:"at"`
}

type orderJSON struct {
	OrderID     string          `json:"order_id"`
	Status      contract.Status `json:"status"`
	PlanID      string          `json:"plan_id"`
	PlanName    string          `json:"plan_name"`
	PriceStars  int64           `json:"price_stars"`
	PriceUSD    string          `json:"price_usd"`
	InvoiceLink string          `json:"invoice_link,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ESIM        *esimJSON       `json:"esim,omitempty"`
	Refund      *refundJSON     `json:"refund,omitempty"`
	// TopUpOf is the eSIM a top-up order adds its bundle to.
	TopUpOf string `json:"top_up_of,omitempty"`
	// HelpLink opens the bot chat to ask support about this order
	// (t.me/<bot>?start=help_<order id>); absent without a support chat.
	HelpLink string     `json:"help_link,omitempty"`
	Queue    *queueJSON `json:"queue,omitempty"`
}

func orderOut(d store.Detail) orderJSON {
	o := d.Order
	out := orderJSON{OrderID: o.ID, Status: o.Status, PlanID: o.PlanID, PlanName: o.PlanName, PriceStars: o.PriceStars,
		PriceUSD: o.PriceUSD.StringFixed(2), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, TopUpOf: o.TopUpICCID}
	if o.Status == contract.StatusAwaitingPayment {
		out.InvoiceLink = o.InvoiceLink
	}
	if e, ok := d.InstalledESIM(); ok && o.Status != contract.StatusRefunded {
		lpa := esimgo.LPA(e.SMDPAddress, e.MatchingID)
		out.ESIM = &esimJSON{ICCID: e.ICCID, LPA: lpa, SMDPAddress: e.SMDPAddress, MatchingID: e.MatchingID,
			IOSInstallURL: esimgo.IOSInstallURL(lpa), AndroidInstallURL: esimgo.AndroidInstallURL(lpa)}
	}
	// Only a refunded order shows its refund: a refunded extra charge (a
	// double payment, a failed renewal) leaves the order itself intact.
	for _, r := range d.Refunds {
		if o.Status == contract.StatusRefunded && r.Status == "done" && r.Stars == o.PriceStars {
			at := r.RequestedAt
			if r.CompletedAt != nil {
				at = *r.CompletedAt
			}
			out.Refund = &refundJSON{Reason: r.Reason, Code: r.ReasonCode, At: at}
		}
	}
	return out
}

// myOrder loads an order of the signed-in buyer; another buyer's order is
// indistinguishable from a missing one.
func (s *Server) myOrder(c echo.Context) (store.Detail, bool, error) {
	d, err := s.Store.OrderDetail(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Order.UserID != buyerOf(c).ID) {
		return store.Detail{}, false, fail(c, http.StatusNotFound, "order_not_found", "Order not found.")
	}
	if err != nil {
		return store.Detail{}, false, err
	}
	return d, true, nil
}

func (s *Server) getMyOrder(c echo.Context) error {
	d, ok, err := s.myOrder(c)
	if !ok {
		return err
	}
	out := orderOut(d)
	if s.HelpLink != nil {
		out.HelpLink = s.HelpLink(c.Request().Context(), d.Order.ID)
	}
	out.Queue = s.queue(c.Request().Context(), d.Order)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *Server) listMyOrders(c echo.Context) error {
	ctx := c.Request().Context()
	details, err := s.Store.OrderDetails(ctx, store.OrderFilter{UserID: buyerOf(c).ID, Limit: 100})
	if err != nil {
		return err
	}
	out := make([]orderJSON, 0, len(details))
	for _, d := range details {
		out = append(out, orderOut(d))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// myOrderQR serves the QR made from the ledger's install details. The image
// is never stored: it is rendered on request and kept only in the process's
// bounded cache (api/qr_cache.go).
func (s *Server) myOrderQR(c echo.Context) error {
	d, ok, err := s.myOrder(c)
	if !ok {
		return err
	}
	e, installed := d.InstalledESIM()
	if !installed || d.Order.Status == contract.StatusRefunded {
		return fail(c, http.StatusConflict, "not_ready", "The eSIM is not ready yet.")
	}
	png, err := s.qrs.png(d.Order.ID, esimgo.LPA(e.SMDPAddress, e.MatchingID))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "image/png", png)
}
