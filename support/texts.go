package support

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// Staff-facing texts. Staff read English; every string that comes from
// outside (names, plan names, reasons, Telegram's errors) is escaped.

var esc = html.EscapeString

// header introduces a buyer's message in the support chat: who wrote, in
// which language, about which order, and their last three orders.
func (d *Desk) header(ctx context.Context, m store.SupportMessage) string {
	var b strings.Builder
	name, lang := m.FromName, ""
	if u, err := d.Store.GetTelegramUser(ctx, m.BuyerID); err == nil {
		name = displayName(&telegram.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username})
		lang = u.LanguageCode
	}
	b.WriteString("💬 <b>" + esc(name) + "</b> · id <code>" + strconv.FormatInt(m.BuyerID, 10) + "</code>")
	if lang != "" {
		b.WriteString(" · " + esc(lang))
	}
	if m.OrderID != "" {
		b.WriteString("\n❓ Asks about " + d.Links.OrderHTML(m.OrderID))
	}
	orders, err := d.Store.ListOrders(ctx, store.OrderFilter{UserID: m.BuyerID, Limit: 3})
	switch {
	case err != nil:
		d.log().Warn("orders for the support header", "user_id", m.BuyerID, "err", err)
	case len(orders) == 0:
		b.WriteString("\nNo orders yet.")
	default:
		b.WriteString("\nLast orders:")
		for _, o := range orders {
			b.WriteString("\n• " + d.orderLine(o))
		}
	}
	b.WriteString("\n<i>Reply to this message or the one below to answer.</i>")
	return b.String()
}

// orderLine is one order in a list.
func (d *Desk) orderLine(o store.Order) string {
	s := fmt.Sprintf("<code>%s</code> %s — <b>%s</b>, %d ⭐, %s", esc(o.ID), esc(o.PlanName), esc(string(o.Status)),
		o.PriceStars, o.CreatedAt.UTC().Format("2006-01-02 15:04"))
	if u := d.Links.WorkflowURL(o.ID); u != "" {
		s += ` · <a href="` + esc(u) + `">UI</a>`
	}
	return s
}

// maxEvents bounds the timeline in /order, keeping the message under
// Telegram's 4,096 characters.
const maxEvents = 15

// orderText is /order's answer.
func (d *Desk) orderText(det store.Detail, events []store.Event, buyer string) string {
	o := det.Order
	var b strings.Builder
	b.WriteString("📦 " + d.Links.OrderHTML(o.ID))
	b.WriteString("\nBuyer: " + esc(buyer) + " <code>" + strconv.FormatInt(o.UserID, 10) + "</code>")
	fmt.Fprintf(&b, "\nPlan: %s (<code>%s</code>) · %d ⭐ / %s USD", esc(o.PlanName), esc(o.PlanID), o.PriceStars,
		o.PriceUSD.StringFixed(2))
	fmt.Fprintf(&b, "\nStatus: <b>%s</b> · from %s · created %s", esc(string(o.Status)), esc(string(o.Source)),
		o.CreatedAt.UTC().Format(time.RFC3339))
	if o.LastError != "" {
		b.WriteString("\nLast error: " + esc(clip(o.LastError, 300)))
	}
	b.WriteString("\nPayments:")
	if len(det.Payments) == 0 {
		b.WriteString(" none")
	}
	for _, p := range det.Payments {
		fmt.Fprintf(&b, "\n• <code>%s</code> %d ⭐ %s (%s)", esc(p.ChargeID), p.TotalAmount,
			p.ReceivedAt.UTC().Format("2006-01-02 15:04:05"), esc(p.Source))
	}
	b.WriteString("\neSIMs:")
	if len(det.ESIMs) == 0 {
		b.WriteString(" none")
	}
	for _, e := range det.ESIMs {
		fmt.Fprintf(&b, "\n• ICCID <code>%s</code> · %s · eSIM Go <code>%s</code>", esc(e.ICCID), esc(e.Bundle), esc(e.Reference))
	}
	b.WriteString("\nRefunds:")
	if len(det.Refunds) == 0 {
		b.WriteString(" none")
	}
	for _, r := range det.Refunds {
		fmt.Fprintf(&b, "\n• <code>%s</code> %d ⭐ <b>%s</b> — %s (by %s)", esc(r.ChargeID), r.Stars, esc(r.Status),
			esc(clip(r.Reason, 200)), esc(r.RequestedBy))
	}
	if len(events) > maxEvents {
		fmt.Fprintf(&b, "\nTimeline (last %d of %d):", maxEvents, len(events))
		events = events[len(events)-maxEvents:]
	} else {
		b.WriteString("\nTimeline:")
	}
	for _, e := range events {
		fmt.Fprintf(&b, "\n• %s %s (%s)", e.CreatedAt.UTC().Format("01-02 15:04:05"), esc(e.Kind), esc(clip(e.Actor, 60)))
	}
	return b.String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// staffHelp lists the commands.
const staffHelp = "<b>Support chat</b>\n" +
	"Reply to a buyer's message (or to its header) to answer them; text and photos are copied to the buyer from the bot.\n\n" +
	"<code>/order &lt;order id or prefix&gt;</code> — status, payments, eSIMs, refunds, timeline\n" +
	"<code>/find &lt;user id | @username | order prefix&gt;</code> — a buyer's orders\n" +
	"<code>/refund &lt;order id&gt; &lt;reason&gt;</code> — refund after a confirm button; the buyer sees the reason\n" +
	"<code>/finance [from [to]]</code> — Stars received, refunded and net, wholesale cost, margin and balances (dates YYYY-MM-DD, UTC; the last 30 days by default)\n" +
	"Only members listed in SUPPORT_STAFF_IDS can answer buyers and use these commands."
