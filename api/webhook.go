package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// webhook receives Telegram's updates. The secret is checked before
// anything is read or stored; the update is kept in the inbox before it is
// acted on; 2xx is answered only once its effect is durable (money rule 4: docs/architecture.md#rule-4-the-webhook-answers-2xx-only-once-the-payment-is-durable),
// so Telegram re-delivers anything we failed to handle.
func (s *Server) webhook(c echo.Context) error {
	if !telegram.CheckSecret(c.Request().Header.Get(telegram.SecretHeader), s.WebhookSecret) {
		return fail(c, http.StatusUnauthorized, "unauthorized", "Wrong or missing webhook secret.")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err // the body limit's 413 arrives here
	}
	u, err := telegram.ParseUpdate(body)
	if err != nil || u.UpdateID <= 0 || !wellFormed(u) {
		return fail(c, http.StatusBadRequest, "invalid_update", "The body is not a Telegram update.")
	}
	ctx := c.Request().Context()
	kind := updateKind(u)
	log := s.log().With("update_id", u.UpdateID, "kind", kind)
	if s.Observe != nil {
		s.Observe.WebhookUpdate(kind)
	}
	if u.PreCheckoutQuery != nil {
		return s.preCheckoutUpdate(c, log, u, kind, body)
	}
	handled, err := s.Store.SaveUpdate(ctx, u.UpdateID, kind, body)
	if err != nil {
		log.Error("webhook inbox unavailable; Telegram will re-deliver", "err", err)
		return fail(c, http.StatusServiceUnavailable, "unavailable", "Try again.")
	}
	if handled {
		return c.JSON(http.StatusOK, map[string]any{"ok": true, "duplicate": true})
	}
	if err := s.route(ctx, log, u); err != nil {
		log.Error("update not handled; Telegram will re-deliver", "err", err)
		return fail(c, http.StatusServiceUnavailable, "unavailable", "Try again.")
	}
	if err := s.Store.MarkUpdateHandled(ctx, u.UpdateID); err != nil {
		// The effect is durable already; a re-delivery repeats idempotent steps.
		log.Warn("mark update handled", "err", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

// preCheckoutUpdate answers a pre_checkout_query first and keeps it in the
// inbox afterwards, already handled, in one write: Telegram's 10-second
// clock is running, the query moves no money, and asking the workflow again
// for a re-delivered query is harmless (the update id is the query id, so
// Temporal returns the first decision).
func (s *Server) preCheckoutUpdate(c echo.Context, log *slog.Logger, u telegram.Update, kind string, body []byte) error {
	ctx := c.Request().Context()
	s.preCheckout(ctx, log, u.PreCheckoutQuery)
	if err := s.Store.SaveHandledUpdate(context.WithoutCancel(ctx), u.UpdateID, kind, body); err != nil {
		log.Warn("pre-checkout answered but not kept in the inbox", "err", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

// wellFormed rejects payment updates missing what the money rules key on.
func wellFormed(u telegram.Update) bool {
	if u.Message != nil && u.Message.SuccessfulPayment != nil {
		sp := u.Message.SuccessfulPayment
		return sp.TelegramPaymentChargeID != "" && sp.TotalAmount > 0 && (u.Message.From != nil || u.Message.Chat.ID != 0)
	}
	if u.PreCheckoutQuery != nil {
		return u.PreCheckoutQuery.ID != "" && u.PreCheckoutQuery.From.ID != 0
	}
	if u.CallbackQuery != nil {
		return u.CallbackQuery.ID != "" && u.CallbackQuery.From.ID != 0
	}
	return true
}

func updateKind(u telegram.Update) string {
	switch {
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		return "successful_payment"
	case u.Message != nil && u.Message.RefundedPayment != nil:
		return "refunded_payment"
	case u.Message != nil:
		return "message"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.Subscription != nil:
		return "subscription"
	}
	return "other"
}

func (s *Server) route(ctx context.Context, log *slog.Logger, u telegram.Update) error {
	switch {
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		return s.successfulPayment(ctx, u.UpdateID, u.Message)
	case u.Message != nil && u.Message.RefundedPayment != nil:
		err := s.Store.RecordTelegramRefund(ctx, u.Message.RefundedPayment.TelegramPaymentChargeID)
		if errors.Is(err, store.ErrNotFound) {
			log.Warn("refund reported for a charge we never recorded; reconciliation will pick it up",
				"charge_id", u.Message.RefundedPayment.TelegramPaymentChargeID)
			return nil
		}
		return err
	case u.Message != nil && s.Commands != nil:
		return s.Commands.HandleMessage(ctx, u.Message)
	case u.CallbackQuery != nil && s.Commands != nil:
		return s.Commands.HandleCallback(ctx, u.CallbackQuery)
	case u.Subscription != nil && s.Commands != nil:
		return s.Commands.HandleSubscription(ctx, u.Subscription)
	}
	return nil
}

var refusalText = map[contract.Refusal]i18n.Key{
	contract.RefuseNotOwner:      i18n.CheckoutNotOwner,
	contract.RefuseNotAwaiting:   i18n.CheckoutNotAwaiting,
	contract.RefuseExpired:       i18n.CheckoutExpired,
	contract.RefuseWrongAmount:   i18n.CheckoutWrongAmount,
	contract.RefuseWrongCurrency: i18n.CheckoutWrongAmount,
	contract.RefuseUnknown:       i18n.CheckoutUnknown,
	contract.RefuseBusy:          i18n.CheckoutBusy,
	contract.RefuseESIMNotFound:  i18n.CheckoutESIMNotFound,
	contract.RefuseIncompatible:  i18n.CheckoutIncompatible,
	contract.RefuseSalesPaused:   i18n.CheckoutSalesPaused,
}

// preCheckout asks the order's workflow and answers Telegram, always, well
// inside Telegram's 10 seconds. Refusing is always safe: no money moves.
func (s *Server) preCheckout(ctx context.Context, log *slog.Logger, q *telegram.PreCheckoutQuery) {
	start := time.Now()
	verdict := s.Orders.PreCheckout(ctx, contract.PreCheckout{QueryID: q.ID, UserID: q.From.ID, Currency: q.Currency,
		TotalAmount: q.TotalAmount, Payload: q.InvoicePayload})
	msg := ""
	if !verdict.Approved {
		key, ok := refusalText[verdict.Refusal]
		if !ok {
			key = i18n.CheckoutBusy
		}
		msg = i18n.T(q.From.LanguageCode, key)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*time.Second)
	defer cancel()
	err := s.Bot.AnswerPreCheckoutQuery(actx, q.ID, verdict.Approved, msg)
	if err != nil && telegram.IsRetryable(err) {
		err = s.Bot.AnswerPreCheckoutQuery(actx, q.ID, verdict.Approved, msg)
	}
	if s.Observe != nil {
		s.Observe.PreCheckoutAnswered(verdict.Approved, time.Since(start))
	}
	log.Info("pre-checkout answered", "order_id", q.InvoicePayload, "ok", verdict.Approved, "refusal", verdict.Refusal,
		"took_ms", time.Since(start).Milliseconds())
	if err != nil {
		// A late answer is useless; the buyer simply sees the sheet fail.
		log.Error("answer pre-checkout", "order_id", q.InvoicePayload, "err", err)
	}
}

func (s *Server) successfulPayment(ctx context.Context, updateID int64, m *telegram.Message) error {
	sp := m.SuccessfulPayment
	user := m.Chat.ID
	if m.From != nil {
		user = m.From.ID
	}
	return s.Orders.Payment(ctx, contract.Payment{
		ChargeID: sp.TelegramPaymentChargeID, ProviderChargeID: sp.ProviderPaymentChargeID, UserID: user,
		Currency: sp.Currency, TotalAmount: sp.TotalAmount, InvoicePayload: sp.InvoicePayload,
		IsRecurring: sp.IsRecurring, IsFirstRecurring: sp.IsFirstRecurring,
		SubscriptionExpirationDate: sp.SubscriptionExpirationDate, UpdateID: updateID,
	})
}
