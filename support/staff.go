package support

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// StaffMessage handles a message in the support chat: a staff member's
// command, or their reply to a buyer's message. Everyone else is ignored
// and logged; so are the bot's own messages and plain chatter.
func (d *Desk) StaffMessage(ctx context.Context, m *telegram.Message) error {
	if m.From == nil || m.From.IsBot {
		return nil
	}
	name, args, isCommand := m.Command()
	if !d.IsStaff(m.From.ID) {
		if isCommand || m.ReplyToMessage != nil {
			d.log().Warn("support chat: ignored a member who is not in SUPPORT_STAFF_IDS", "user_id", m.From.ID,
				"command", name, "message_id", m.MessageID)
		}
		return nil
	}
	if isCommand {
		return d.command(ctx, m, name, args)
	}
	if m.ReplyToMessage != nil {
		return d.staffReply(ctx, m)
	}
	return nil
}

func (d *Desk) command(ctx context.Context, m *telegram.Message, name, args string) error {
	switch name {
	case "order":
		return d.orderCommand(ctx, m, args)
	case "find":
		return d.findCommand(ctx, m, args)
	case "refund":
		return d.refundCommand(ctx, m, args)
	case "finance":
		return d.financeCommand(ctx, m, args)
	case "help", "start":
		return d.answer(ctx, m, staffHelp, 0, "")
	}
	return nil // other bots' commands, or typos: the group is for people too
}

// financeCommand answers /finance [from [to]] (YYYY-MM-DD, UTC days; by
// default the last 30 days) with the same report as GET /admin/finance.
func (d *Desk) financeCommand(ctx context.Context, m *telegram.Message, args string) error {
	if d.Finance == nil {
		return d.answer(ctx, m, "The finance report is not available in this process.", 0, "")
	}
	from, to, _ := strings.Cut(strings.TrimSpace(args), " ")
	p, err := finance.ParsePeriod(from, strings.TrimSpace(to), d.now())
	if perr, ok := finance.ErrPeriod(err); ok {
		return d.answer(ctx, m, esc(perr.Message)+"\nUse <code>/finance [from [to]]</code>, dates like 2026-05-01.", 0, "")
	}
	if err != nil {
		return d.orLog(ctx, m, "", err)
	}
	report, err := d.Finance.Report(ctx, p)
	if err != nil {
		return d.orLog(ctx, m, "", err)
	}
	return d.answer(ctx, m, finance.TelegramHTML(report), 0, "")
}

// answer replies to a staff message; about (a buyer) makes the answer a
// thread, so replying to it writes to that buyer.
func (d *Desk) answer(ctx context.Context, m *telegram.Message, text string, about int64, orderID string, buttons ...telegram.Button) error {
	id, err := d.Bot.Post(ctx, telegram.Outgoing{ChatID: m.Chat.ID, Text: text, ReplyTo: m.MessageID, Buttons: buttons})
	if err != nil {
		// A command is not a money step: a lost answer is logged, and staff
		// can ask again.
		d.log().Warn("support chat answer not sent", "command_message", m.MessageID, "err", err)
		return nil
	}
	if about != 0 {
		if err := d.Store.AddSupportThread(ctx, m.Chat.ID, id, about, orderID); err != nil {
			d.log().Warn("remember the buyer of an answer", "err", err)
		}
	}
	return nil
}

// minPrefix is the shortest order-id prefix staff may type.
const minPrefix = 4

// resolveOrder finds one order by id or unique prefix; the string is what
// to tell staff when there is not exactly one.
func (d *Desk) resolveOrder(ctx context.Context, ref string) (store.Order, string, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" {
		return store.Order{}, "Which order? Give its id or the first characters of it.", nil
	}
	if o, err := d.Store.GetOrder(ctx, ref); err == nil {
		return o, "", nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Order{}, "", err
	}
	if len(ref) < minPrefix {
		return store.Order{}, fmt.Sprintf("Give at least %d characters of the order id.", minPrefix), nil
	}
	list, err := d.Store.FindOrdersByPrefix(ctx, ref, 6)
	if err != nil {
		return store.Order{}, "", err
	}
	switch len(list) {
	case 0:
		return store.Order{}, "No order starts with <code>" + esc(ref) + "</code>.", nil
	case 1:
		return list[0], "", nil
	}
	lines := []string{"Several orders start with <code>" + esc(ref) + "</code>; give more of the id:"}
	for _, o := range list {
		lines = append(lines, "• "+d.orderLine(o))
	}
	return store.Order{}, strings.Join(lines, "\n"), nil
}

func (d *Desk) orderCommand(ctx context.Context, m *telegram.Message, args string) error {
	o, why, err := d.resolveOrder(ctx, firstWord(args))
	if err != nil || why != "" {
		return d.orLog(ctx, m, why, err)
	}
	det, err := d.Store.OrderDetail(ctx, o.ID)
	if err != nil {
		return d.orLog(ctx, m, "", err)
	}
	events, err := d.Store.Events(ctx, o.ID)
	if err != nil {
		return d.orLog(ctx, m, "", err)
	}
	return d.answer(ctx, m, d.orderText(det, events, d.buyerName(ctx, o.UserID)), o.UserID, o.ID)
}

func (d *Desk) findCommand(ctx context.Context, m *telegram.Message, args string) error {
	q := firstWord(args)
	var buyer int64
	var orders []store.Order
	var err error
	switch {
	case q == "":
		return d.answer(ctx, m, "Usage: <code>/find &lt;user id | @username | order prefix&gt;</code>", 0, "")
	case strings.HasPrefix(q, "@"):
		u, ferr := d.Store.FindTelegramUsername(ctx, q)
		if errors.Is(ferr, store.ErrNotFound) {
			return d.answer(ctx, m, "No buyer "+esc(q)+" has written to the bot or bought since usernames are kept.", 0, "")
		}
		if ferr != nil {
			return d.orLog(ctx, m, "", ferr)
		}
		buyer = u.ID
	case isDigits(q):
		id, perr := strconv.ParseInt(q, 10, 64)
		if perr == nil {
			buyer = id
		}
	}
	if buyer != 0 {
		orders, err = d.Store.ListOrders(ctx, store.OrderFilter{UserID: buyer, Limit: 10})
		if err != nil {
			return d.orLog(ctx, m, "", err)
		}
	}
	if buyer == 0 || len(orders) == 0 && !strings.HasPrefix(q, "@") && len(q) >= minPrefix {
		// Not a buyer we know: an order prefix (UUIDs may start with digits).
		byPrefix, perr := d.Store.FindOrdersByPrefix(ctx, q, 10)
		if perr != nil {
			return d.orLog(ctx, m, "", perr)
		}
		if len(byPrefix) > 0 {
			buyer, orders = 0, byPrefix
		}
	}
	if buyer == 0 && len(orders) == 0 {
		return d.answer(ctx, m, "Nothing found for <code>"+esc(q)+"</code>.", 0, "")
	}
	var lines []string
	if buyer != 0 {
		lines = append(lines, "👤 "+esc(d.buyerName(ctx, buyer))+" <code>"+strconv.FormatInt(buyer, 10)+"</code>")
		if len(orders) == 0 {
			lines = append(lines, "No orders.")
		}
	}
	for _, o := range orders {
		lines = append(lines, "• "+d.orderLine(o))
	}
	if buyer != 0 {
		lines = append(lines, "<i>Reply to this message to write to the buyer.</i>")
	}
	return d.answer(ctx, m, strings.Join(lines, "\n"), buyer, "")
}

// buyerName is how the ledger knows a buyer, or their id.
func (d *Desk) buyerName(ctx context.Context, id int64) string {
	u, err := d.Store.GetTelegramUser(ctx, id)
	if err != nil {
		return "buyer " + strconv.FormatInt(id, 10)
	}
	return displayName(&telegram.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username})
}

// Refund callback data: "refund:<request id>" (well under Telegram's 64 bytes).
const refundCallbackPrefix = "refund:"

// maxReason matches the admin API's limit.
const maxReason = 500

func (d *Desk) refundCommand(ctx context.Context, m *telegram.Message, args string) error {
	ref, reason, _ := strings.Cut(strings.TrimSpace(args), " ")
	reason = strings.TrimSpace(reason)
	if ref == "" || reason == "" {
		return d.answer(ctx, m, "Usage: <code>/refund &lt;order id&gt; &lt;reason&gt;</code>. The buyer sees the reason.", 0, "")
	}
	if len(reason) > maxReason {
		return d.answer(ctx, m, fmt.Sprintf("The reason is too long (at most %d characters).", maxReason), 0, "")
	}
	o, why, err := d.resolveOrder(ctx, ref)
	if err != nil || why != "" {
		return d.orLog(ctx, m, why, err)
	}
	if contract.IsSubscriptionID(o.ID) {
		return d.answer(ctx, m, "This is a subscription: it is cancelled, not refunded; failed renewals are refunded automatically.", o.UserID, o.ID)
	}
	// A first answer from the ledger; the workflow has the last word when
	// the button is pressed.
	switch o.Status {
	case contract.StatusRefunded, contract.StatusRefunding:
		return d.answer(ctx, m, "Order <code>"+esc(o.ID)+"</code> is already refunded or being refunded.", o.UserID, o.ID)
	case contract.StatusAwaitingPayment, contract.StatusExpired:
		return d.answer(ctx, m, "Order <code>"+esc(o.ID)+"</code> was not paid, so there is nothing to refund.", o.UserID, o.ID)
	}
	by := staffBy(*m.From)
	id, err := d.Store.ProposeSupportRefund(ctx, store.SupportRefundRequest{OrderID: o.ID, Reason: reason, RequestedBy: by,
		RequestedByID: m.From.ID, ChatID: m.Chat.ID})
	if err != nil {
		return d.orLog(ctx, m, "", err)
	}
	text := fmt.Sprintf("↩️ Refund %d ⭐ to %s?\n%s · <b>%s</b>\nReason for the buyer: “%s”",
		o.PriceStars, esc(d.buyerName(ctx, o.UserID)), d.Links.OrderHTML(o.ID), esc(string(o.Status)), esc(reason))
	if o.Status == contract.StatusFulfilled {
		text += "\nThe eSIM was delivered: its bundle is revoked first (if unused)."
	}
	msg, err := d.Bot.Post(ctx, telegram.Outgoing{ChatID: m.Chat.ID, Text: text, ReplyTo: m.MessageID,
		Buttons: []telegram.Button{{Text: fmt.Sprintf("Confirm refund of %d ⭐", o.PriceStars),
			CallbackData: refundCallbackPrefix + strconv.FormatInt(id, 10)}}})
	if err != nil {
		d.log().Warn("refund confirmation not sent", "order_id", o.ID, "err", err)
		return nil
	}
	if err := d.Store.SetSupportRefundMessage(ctx, id, msg); err != nil {
		d.log().Warn("remember the refund confirmation", "order_id", o.ID, "err", err)
	}
	return nil
}

// Callback handles a press on an inline button. Only the refund confirm
// button exists; it counts only in the support chat and only from staff.
func (d *Desk) Callback(ctx context.Context, q *telegram.CallbackQuery) error {
	if !d.Enabled() || q == nil || q.Message == nil || q.Message.Chat.ID != d.ChatID {
		return nil
	}
	raw, ok := strings.CutPrefix(q.Data, refundCallbackPrefix)
	if !ok {
		return nil
	}
	if !d.IsStaff(q.From.ID) {
		d.log().Warn("support chat: ignored a refund confirmation from a member who is not in SUPPORT_STAFF_IDS",
			"user_id", q.From.ID, "request", raw)
		return nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil
	}
	by := staffBy(q.From)
	req, claimed, err := d.Store.ClaimSupportRefund(ctx, id, by)
	if errors.Is(err, store.ErrNotFound) {
		return d.answerCallback(ctx, q, "This refund request no longer exists.")
	}
	if err != nil {
		return err
	}
	if !claimed {
		msg := "Already confirmed by " + req.ConfirmedBy + "."
		if req.Outcome != "" {
			msg += " " + req.Outcome
		}
		return d.answerCallback(ctx, q, msg)
	}
	err = d.Refunds.Refund(ctx, req.OrderID, req.Reason, by)
	var refusal string
	switch {
	case err == nil:
	case errors.Is(err, checkout.ErrAlreadyRefunded):
		refusal = "it is already refunded or being refunded"
	case errors.Is(err, checkout.ErrNotPaid):
		refusal = "it was not paid"
	case errors.Is(err, checkout.ErrOrderNotFound):
		refusal = "there is no such order"
	case errors.Is(err, checkout.ErrSubscriptionRefund):
		refusal = "it is a subscription (cancel it instead)"
	default:
		// Temporal did not answer: let the press be tried again, and have
		// Telegram re-deliver this one.
		if rerr := d.Store.ReleaseSupportRefund(context.WithoutCancel(ctx), id); rerr != nil {
			d.log().Warn("release refund request", "err", rerr)
		}
		return fmt.Errorf("support refund of %s by %s: %w", req.OrderID, by, err)
	}
	where := "order <code>" + esc(req.OrderID) + "</code>"
	if refusal != "" {
		if err := d.Store.DecideSupportRefund(ctx, id, store.RefundRefused, "Refused: "+refusal+"."); err != nil {
			return err
		}
		d.log().Info("support refund from the chat refused", "order_id", req.OrderID, "by", by, "why", refusal)
		d.postUnder(ctx, req, "✋ Cannot refund "+where+": "+esc(refusal)+".")
		return d.answerCallback(ctx, q, "Cannot refund: "+refusal+".")
	}
	if err := d.Store.DecideSupportRefund(ctx, id, store.RefundAccepted, "Accepted."); err != nil {
		return err
	}
	d.log().Info("support refund from the chat accepted", "order_id", req.OrderID, "by", by)
	d.postUnder(ctx, req, "⏳ Refund of "+where+" requested by "+esc(by)+
		". I will confirm here when Telegram has returned the Stars.")
	return d.answerCallback(ctx, q, "Refund requested.")
}

// postUnder answers under the confirm message (best effort).
func (d *Desk) postUnder(ctx context.Context, req store.SupportRefundRequest, text string) {
	if _, err := d.Bot.Post(ctx, telegram.Outgoing{ChatID: req.ChatID, Text: text, ReplyTo: req.MessageID}); err != nil {
		d.log().Warn("refund answer not posted", "order_id", req.OrderID, "err", err)
	}
}

func (d *Desk) answerCallback(ctx context.Context, q *telegram.CallbackQuery, text string) error {
	if err := d.Bot.AnswerCallbackQuery(ctx, q.ID, text, false); err != nil {
		d.log().Warn("callback answer not sent", "err", err)
	}
	return nil
}

// orLog answers staff with why, or logs err and says something went wrong.
func (d *Desk) orLog(ctx context.Context, m *telegram.Message, why string, err error) error {
	if err != nil {
		d.log().Error("support command failed", "message_id", m.MessageID, "err", err)
		why = "Something went wrong reading the ledger; try again in a moment."
	}
	return d.answer(ctx, m, why, 0, "")
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}
