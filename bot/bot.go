// Package bot answers the buyer in the bot chat: /start (Mini App button,
// an invoice for /start plan_<id>, or help with an order for /start
// help_<order id>), /orders, /cancel, /paysupport, /terms and /help, in the
// buyer's language. Every other message goes to the support chat (package
// support), which also handles the staff group's messages and the refund
// confirm button. It implements api.Commands.
//
// Purchases go through the same checkout.Service as the Mini App, so a chat
// order is the same OrderWorkflow with the same money rules; this package
// only talks.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/support"
	"github.com/starsesim/esimstore/telegram"
)

// Orders is the part of checkout.Service the bot uses.
type Orders interface {
	Create(ctx context.Context, req checkout.CreateRequest) (contract.Invoice, error)
	CancelSubscription(ctx context.Context, id string, userID int64, by string) (contract.SubscriptionView, error)
	SubscriptionStateChanged(ctx context.Context, id string, ch contract.SubscriptionStateChange) error
}

// Ledger is the read model the bot lists from.
type Ledger interface {
	ListOrders(ctx context.Context, f store.OrderFilter) ([]store.Order, error)
	ListSubscriptions(ctx context.Context, userID int64) ([]store.Subscription, error)
}

// ESIMs lists a buyer's eSIMs with install state and data left (package
// usage: the cache, refreshed from eSIM Go when due).
type ESIMs interface {
	List(ctx context.Context, userID int64) ([]store.OwnedESIM, error)
}

// Sender is the part of telegram.Bot the bot uses.
type Sender interface {
	SendMessage(ctx context.Context, chatID int64, text string, buttons ...telegram.Button) error
	SetMyCommands(ctx context.Context, lang string, cmds []telegram.Command) error
	SetChatMenuButton(ctx context.Context, text, webAppURL string) error
}

// Handler answers chat messages and subscription updates.
type Handler struct {
	Orders Orders
	Ledger Ledger
	// ESIMs answers /usage; nil answers it with "no eSIMs".
	ESIMs ESIMs
	Bot   Sender
	// MiniAppURL is PUBLIC_URL + "/app/"; empty hides the Mini App button.
	MiniAppURL string
	// Support relays plain messages to the support chat and serves the
	// staff group; nil (or without a support chat) tells buyers where to
	// write instead.
	Support *support.Desk
	Logger  *slog.Logger
}

// PlanDeepLinkPrefix is the /start parameter that asks for an invoice:
// t.me/<bot>?start=plan_<id>. Bundle names (esim_1GB_7D_GB_V2) fit the
// deep-link alphabet (A-Z, a-z, 0-9, _ and -).
const PlanDeepLinkPrefix = "plan_"

// languages gets its own command menu; "" is Telegram's default for every
// other language, in English.
var languages = []string{"", "en", "ru"}

// Setup publishes the command menus and the menu button that opens the
// Mini App. Both calls are idempotent, so every start-up makes them.
func (h *Handler) Setup(ctx context.Context) error {
	for _, lang := range languages {
		if err := h.Bot.SetMyCommands(ctx, lang, Commands(lang)); err != nil {
			return fmt.Errorf("set %q commands: %w", lang, err)
		}
	}
	if h.MiniAppURL == "" {
		return nil
	}
	if err := h.Bot.SetChatMenuButton(ctx, i18n.T("en", i18n.OpenStore), h.MiniAppURL); err != nil {
		return fmt.Errorf("set menu button: %w", err)
	}
	return nil
}

// Commands is the command menu in one language.
func Commands(lang string) []telegram.Command {
	list := []struct {
		cmd string
		key i18n.Key
	}{
		{"start", i18n.CmdStartDesc}, {"orders", i18n.CmdOrdersDesc}, {"usage", i18n.CmdUsageDesc}, {"cancel", i18n.CmdCancelDesc},
		{"paysupport", i18n.CmdPaySupportDesc}, {"terms", i18n.CmdTermsDesc}, {"help", i18n.CmdHelpDesc},
	}
	out := make([]telegram.Command, 0, len(list))
	for _, c := range list {
		out = append(out, telegram.Command{Command: c.cmd, Description: i18n.T(lang, c.key)})
	}
	return out
}

// HandleMessage answers one message. It returns an error only when the
// buyer's request could not be made durable (the webhook then answers 503
// and Telegram re-delivers); a reply that cannot be sent is only logged,
// because a re-delivery would repeat every reply that did get through.
func (h *Handler) HandleMessage(ctx context.Context, m *telegram.Message) error {
	if m == nil || m.From == nil || m.From.IsBot {
		return nil
	}
	if h.Support.IsSupportChat(m.Chat.ID) {
		return h.Support.StaffMessage(ctx, m)
	}
	if m.Chat.Type != "private" {
		return nil // other groups and channels are not served
	}
	h.Support.SeeUser(ctx, m.From)
	lang := i18n.Lang(m.From.LanguageCode)
	name, args, ok := m.Command()
	if !ok {
		return h.plainMessage(ctx, m, lang)
	}
	switch name {
	case "start":
		if plan, ok := strings.CutPrefix(args, PlanDeepLinkPrefix); ok && plan != "" {
			return h.startPlan(ctx, m, lang, plan)
		}
		if order, ok := strings.CutPrefix(args, support.HelpDeepLinkPrefix); ok && order != "" {
			if !h.Support.Enabled() {
				return h.reply(ctx, m, h.paySupport(lang))
			}
			return h.Support.StartHelp(ctx, m, order)
		}
		return h.reply(ctx, m, i18n.T(lang, i18n.Start), h.storeButton(lang)...)
	case "orders":
		return h.listOrders(ctx, m, lang)
	case "usage":
		return h.usage(ctx, m, lang)
	case "cancel":
		return h.cancel(ctx, m, lang, args)
	case "paysupport":
		return h.reply(ctx, m, h.paySupport(lang))
	case "terms":
		return h.reply(ctx, m, i18n.T(lang, i18n.Terms))
	case "help", "settings":
		return h.reply(ctx, m, i18n.T(lang, i18n.Help))
	}
	return h.reply(ctx, m, i18n.T(lang, i18n.UnknownInput))
}

// plainMessage is anything a buyer writes that is not a command: it goes to
// the support chat, or, without one, the buyer is told where to write.
func (h *Handler) plainMessage(ctx context.Context, m *telegram.Message, lang string) error {
	switch {
	case h.Support.Enabled():
		return h.Support.BuyerMessage(ctx, m)
	case h.contact() != "":
		return h.reply(ctx, m, i18n.HTML(lang, i18n.NotRelayedContact, h.contact()))
	}
	return h.reply(ctx, m, i18n.T(lang, i18n.NotRelayed))
}

// paySupport says exactly what happens with a question: it goes to the
// support chat and is answered here, or it must be sent elsewhere.
func (h *Handler) paySupport(lang string) string {
	switch {
	case h.Support.Enabled():
		return i18n.T(lang, i18n.PaySupportRelay)
	case h.contact() != "":
		return i18n.HTML(lang, i18n.PaySupportContact, h.contact())
	}
	return i18n.T(lang, i18n.PaySupport)
}

func (h *Handler) contact() string {
	if h.Support == nil {
		return ""
	}
	return h.Support.Contact
}

// HandleCallback handles inline-button presses (the support chat's refund
// confirmation).
func (h *Handler) HandleCallback(ctx context.Context, q *telegram.CallbackQuery) error {
	return h.Support.Callback(ctx, q)
}

// HandleSubscription passes Telegram's subscription update on.
func (h *Handler) HandleSubscription(ctx context.Context, u *telegram.SubscriptionUpdate) error {
	if u == nil {
		return nil
	}
	return h.Orders.SubscriptionStateChanged(ctx, u.InvoicePayload,
		contract.SubscriptionStateChange{UserID: u.User.ID, State: u.State})
}

func (h *Handler) storeButton(lang string) []telegram.Button {
	if h.MiniAppURL == "" {
		return nil
	}
	return []telegram.Button{{Text: i18n.T(lang, i18n.OpenStore), WebAppURL: h.MiniAppURL}}
}

// startPlan sends a Stars invoice for the plan in the chat. The order's
// workflow sends it (CreateInvoice with the chat source); the message id is
// the idempotency key, so Telegram re-delivering this /start names the same
// order and sends no second invoice.
func (h *Handler) startPlan(ctx context.Context, m *telegram.Message, lang, plan string) error {
	_, err := h.Orders.Create(ctx, checkout.CreateRequest{
		UserID: m.From.ID, ChatID: m.Chat.ID, LanguageCode: m.From.LanguageCode, PlanID: plan,
		Source: contract.SourceChat, IdempotencyKey: fmt.Sprintf("chat:%d:%d", m.Chat.ID, m.MessageID),
	})
	switch {
	case errors.Is(err, checkout.ErrPlanNotFound), errors.Is(err, checkout.ErrKeyReused):
		return h.reply(ctx, m, i18n.T(lang, i18n.PlanNotFound), h.storeButton(lang)...)
	case errors.Is(err, checkout.ErrInvoiceFailed):
		return h.reply(ctx, m, i18n.T(lang, i18n.CheckoutBusy))
	case errors.Is(err, checkout.ErrTooManyOpenOrders):
		return h.reply(ctx, m, i18n.T(lang, i18n.TooManyOpenOrders), h.storeButton(lang)...)
	case errors.Is(err, checkout.ErrRateLimited):
		return h.reply(ctx, m, i18n.T(lang, i18n.RateLimited))
	case errors.Is(err, checkout.ErrSalesPaused):
		return h.reply(ctx, m, i18n.T(lang, i18n.SalesPaused))
	case err != nil:
		return fmt.Errorf("chat order of %s for %d: %w", plan, m.From.ID, err)
	}
	return nil
}

func (h *Handler) listOrders(ctx context.Context, m *telegram.Message, lang string) error {
	list, err := h.Ledger.ListOrders(ctx, store.OrderFilter{UserID: m.From.ID, Limit: 20})
	if err != nil {
		h.log().Error("list orders for the chat", "user_id", m.From.ID, "err", err)
		return h.reply(ctx, m, i18n.T(lang, i18n.CheckoutBusy))
	}
	if len(list) == 0 {
		return h.reply(ctx, m, i18n.T(lang, i18n.OrdersEmpty), h.storeButton(lang)...)
	}
	lines := []string{i18n.T(lang, i18n.OrdersHeader)}
	for _, o := range list {
		lines = append(lines, i18n.HTML(lang, i18n.OrdersLine, o.PlanName,
			i18n.T(lang, i18n.StatusKey(o.Status)), o.PriceStars, o.ID))
	}
	return h.reply(ctx, m, strings.Join(lines, "\n"), h.storeButton(lang)...)
}

// cancel stops a subscription: the only active one, or the one named.
func (h *Handler) cancel(ctx context.Context, m *telegram.Message, lang, args string) error {
	subs, err := h.Ledger.ListSubscriptions(ctx, m.From.ID)
	if err != nil {
		h.log().Error("list subscriptions for the chat", "user_id", m.From.ID, "err", err)
		return h.reply(ctx, m, i18n.T(lang, i18n.CancelFailed))
	}
	var active []store.Subscription
	for _, s := range subs {
		if s.Status == contract.SubActive && (args == "" || s.ID == args) {
			active = append(active, s)
		}
	}
	switch {
	case len(active) == 0:
		return h.reply(ctx, m, i18n.T(lang, i18n.CancelNone))
	case len(active) > 1:
		lines := []string{i18n.T(lang, i18n.CancelChoose)}
		for _, s := range active {
			lines = append(lines, i18n.HTML(lang, i18n.CancelLine, s.ID, s.PlanID))
		}
		return h.reply(ctx, m, strings.Join(lines, "\n"))
	}
	sub := active[0]
	_, err = h.Orders.CancelSubscription(ctx, sub.ID, m.From.ID, "buyer:bot")
	if errors.Is(err, checkout.ErrRateLimited) {
		return h.reply(ctx, m, i18n.T(lang, i18n.RateLimited))
	}
	if err != nil {
		h.log().Error("cancel subscription from the chat", "subscription_id", sub.ID, "err", err)
		return h.reply(ctx, m, i18n.T(lang, i18n.CancelFailed))
	}
	return h.reply(ctx, m, i18n.HTML(lang, i18n.CancelDone, sub.PlanID))
}

// reply sends text, which Telegram parses as HTML: anything that is not
// the catalogue's own words goes in through i18n.HTML's arguments. A reply
// belongs to no order, so one Telegram refuses is logged with Telegram's
// answer instead of going on a timeline.
func (h *Handler) reply(ctx context.Context, m *telegram.Message, text string, buttons ...telegram.Button) error {
	if err := h.Bot.SendMessage(ctx, m.Chat.ID, text, buttons...); err != nil {
		attrs := []any{"chat_id", m.Chat.ID, "err", err}
		if apiErr, ok := errors.AsType[*telegram.APIError](err); ok {
			attrs = append(attrs, "telegram_description", apiErr.Description)
		}
		h.log().Warn("chat reply not sent", attrs...)
	}
	return nil
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
