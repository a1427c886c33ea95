// Package alerts posts what operators must hear about to the support chat:
// an order refunded because its eSIM could not be issued, a refund that
// keeps failing, eSIM Go's balance running out, reconciliation findings, a
// payment left unresolved, a support refund Telegram confirmed. Each alert
// names its order with a link to the order's workflow, is posted once per
// deduplication key, and each kind is limited to ALERTS_PER_HOUR posts; the
// rest stay in the `alerts` table and the log (docs/operations.md §17).
//
// Alerts are side effects: activities raise them, never workflow code.
// Raising never fails its caller; a post that fails is logged and retried
// the next time the same alert is raised.
package alerts

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// Sender posts to the support chat (telegram.Bot).
type Sender interface {
	Post(ctx context.Context, m telegram.Outgoing) (int64, error)
}

// Alerter raises alerts. A nil *Alerter only logs.
type Alerter struct {
	Store *store.Store
	Bot   Sender
	// ChatID is SUPPORT_CHAT_ID; 0 means there is no support chat (log only).
	ChatID  int64
	Enabled map[contract.AlertKind]bool // ALERTS
	PerHour int                         // ALERTS_PER_HOUR, per kind
	Links   Links
	Logger  *slog.Logger
}

// Alert is one thing to tell the support chat.
type Alert struct {
	Kind contract.AlertKind
	// Key deduplicates: an alert raised again under the same key is not
	// posted again. Builders below choose it.
	Key     string
	OrderID string
	// Title is one line of plain text; Lines are plain-text details. Both
	// are escaped for Telegram's HTML.
	Title string
	Lines []string
	// ReplyTo posts the alert as a reply to a support-chat message.
	ReplyTo int64
}

// Outcome says what became of a raised alert.
type Outcome string

// The outcomes of Raise.
const (
	Posted      Outcome = "posted"
	Duplicate   Outcome = "duplicate"
	RateLimited Outcome = "rate_limited"
	Off         Outcome = "off"    // kind switched off, or no support chat
	Failed      Outcome = "failed" // the ledger or Telegram failed; logged
)

// postTimeout bounds the Telegram call, so a slow Telegram never holds up
// the activity that raised the alert for long.
const postTimeout = 10 * time.Second

// Raise logs the alert and, when its kind is on and a support chat is set,
// posts it once per key within the hourly limit of its kind.
func (a *Alerter) Raise(ctx context.Context, al Alert) Outcome {
	log := a.log().With("alert", al.Kind, "dedup_key", al.Key, "order_id", al.OrderID)
	if a == nil || a.ChatID == 0 || !a.Enabled[al.Kind] || a.Store == nil || a.Bot == nil {
		log.Warn("ALERT " + al.Title)
		return Off
	}
	text := a.Text(al)
	decision, err := a.Store.RaiseAlert(ctx, store.AlertRow{Key: al.Key, Kind: string(al.Kind), OrderID: al.OrderID, Text: text},
		max(a.PerHour, 1))
	switch {
	case err != nil:
		log.Error("ALERT "+al.Title+" (not recorded)", "err", err)
		return Failed
	case decision == store.AlertDuplicate:
		log.Debug("alert already raised", "title", al.Title)
		return Duplicate
	case decision == store.AlertRateLimited:
		log.Warn("ALERT "+al.Title+" (not posted: hourly limit of its kind)", "per_hour", a.PerHour)
		return RateLimited
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postBudget(ctx))
	defer cancel()
	id, err := a.Bot.Post(pctx, telegram.Outgoing{ChatID: a.ChatID, Text: text, ReplyTo: al.ReplyTo})
	if err != nil {
		log.Error("ALERT "+al.Title+" (posting to the support chat failed)", "err", err)
		if ferr := a.Store.AlertFailed(context.WithoutCancel(ctx), al.Key, err.Error()); ferr != nil {
			log.Error("record failed alert", "err", ferr)
		}
		return Failed
	}
	if err := a.Store.AlertSent(context.WithoutCancel(ctx), al.Key, id); err != nil {
		log.Warn("record posted alert", "err", err)
	}
	log.Warn("ALERT "+al.Title+" (posted to the support chat)", "message_id", id)
	return Posted
}

// postBudget keeps the post inside the caller's deadline with a margin: an
// activity that has done its work (a refund confirmed) must not time out
// waiting for its alert, or its retry would repeat the bookkeeping.
func postBudget(ctx context.Context) time.Duration {
	budget := postTimeout
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)-2*time.Second)
	}
	return max(budget, time.Millisecond)
}

// maxText is Telegram's message limit; long details are cut.
const maxText = 4096

// Text is the alert as posted: HTML with every outside string escaped.
func (a *Alerter) Text(al Alert) string {
	icon := "⚠️"
	if al.Kind == contract.AlertSupportRefund {
		icon = "✅" // news, not trouble
	}
	var b strings.Builder
	b.WriteString(icon + " <b>" + html.EscapeString(al.Title) + "</b>")
	if al.OrderID != "" {
		b.WriteString("\n" + a.linksOrZero().OrderHTML(al.OrderID))
	}
	for _, l := range al.Lines {
		b.WriteString("\n" + html.EscapeString(l))
	}
	if al.OrderID != "" && !contract.IsSubscriptionID(al.OrderID) {
		b.WriteString("\n<code>/order " + html.EscapeString(al.OrderID) + "</code>")
	}
	s := b.String()
	if utf8.RuneCountInString(s) > maxText {
		// Cut in the plain-text details only would be nicer; a cut tag is
		// avoided by dropping the details instead.
		s = icon + " <b>" + html.EscapeString(al.Title) + "</b>\n" + a.linksOrZero().OrderHTML(al.OrderID)
	}
	return s
}

func (a *Alerter) linksOrZero() Links {
	if a == nil {
		return Links{}
	}
	return a.Links
}

func (a *Alerter) log() *slog.Logger {
	if a != nil && a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// Links builds links to the Temporal Web UI.
type Links struct {
	TemporalUI string // TEMPORAL_UI_URL; "" = no links
	Namespace  string
}

// WorkflowURL is the Web UI page of the order's (or subscription's)
// workflow, or "" without TEMPORAL_UI_URL.
func (l Links) WorkflowURL(orderID string) string {
	if l.TemporalUI == "" || orderID == "" {
		return ""
	}
	ns := l.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.TrimRight(l.TemporalUI, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows/" +
		url.PathEscape(WorkflowID(orderID))
}

// WorkflowID is the workflow that owns an order id.
func WorkflowID(orderID string) string {
	if contract.IsSubscriptionID(orderID) {
		return contract.SubscriptionWorkflowID(orderID)
	}
	return contract.WorkflowID(orderID)
}

// OrderHTML names an order for the support chat: its id, and its workflow
// in the Web UI when there is one.
func (l Links) OrderHTML(orderID string) string {
	what := "Order"
	if contract.IsSubscriptionID(orderID) {
		what = "Subscription"
	}
	s := what + " <code>" + html.EscapeString(orderID) + "</code>"
	if u := l.WorkflowURL(orderID); u != "" {
		s += ` · <a href="` + html.EscapeString(u) + `">Temporal UI</a>`
	}
	return s
}

// The builders below are the alerts the store raises; other code (eSIM Go
// callbacks, for one) raises the same kinds through them.

// FulfilmentRefunded is the alert for: a paid order's charge was refunded because its eSIM
// could not be issued (or a renewal's top-up failed).
func FulfilmentRefunded(orderID, chargeID string, stars int64, reason string) Alert {
	return Alert{Kind: contract.AlertFulfilmentRefunded, Key: "fulfilment_refunded:" + chargeID, OrderID: orderID,
		Title: "Refunded: the eSIM could not be issued",
		Lines: []string{fmt.Sprintf("%d ⭐ returned to the buyer. Reason: %s", stars, reason), "Charge " + chargeID}}
}

// RefundFailing is the alert for: a refund has failed attempts times and keeps retrying.
func RefundFailing(orderID, chargeID string, stars int64, attempts int32, lastError string) Alert {
	return Alert{Kind: contract.AlertRefundFailing, Key: "refund_failing:" + chargeID, OrderID: orderID,
		Title: fmt.Sprintf("A refund keeps failing (%d attempts)", attempts),
		Lines: []string{fmt.Sprintf("%d ⭐, charge %s. It retries until Telegram confirms; see operations §4.", stars, chargeID),
			"Last error: " + lastError}}
}

// ESIMGoInsufficient is the alert for: eSIM Go refused an order for lack of balance. One
// alert per hour: every paid order fails the same way until a top-up.
func ESIMGoInsufficient(orderID, bundle string, at time.Time) Alert {
	return Alert{Kind: contract.AlertESIMGoBalance, Key: "esimgo_balance:insufficient:" + at.UTC().Format("2006-01-02T15"),
		OrderID: orderID, Title: "eSIM Go balance too low: orders are waiting",
		Lines: []string{"Bundle " + bundle + " was refused for lack of balance. Top up eSIM Go now; paid orders retry until their fulfilment deadline, then they are refunded."}}
}

// ESIMGoLow is the alert for: the balance fell below ESIMGO_BALANCE_LOW_USD (orderID may be
// empty when the balance check found it). One alert per day.
func ESIMGoLow(orderID, balance, threshold, currency string, at time.Time) Alert {
	return Alert{Kind: contract.AlertESIMGoBalance, Key: "esimgo_balance:low:" + at.UTC().Format("2006-01-02"),
		OrderID: orderID, Title: "eSIM Go balance is low",
		Lines: []string{fmt.Sprintf("Balance %s %s, below the alert level of %s. Top up before orders start to fail.",
			balance, currency, threshold)}}
}

// Reconciliation is the alert for: reconciliation found Stars the ledger had missed.
func Reconciliation(kind, orderID, chargeID string, stars int64, action string) Alert {
	return Alert{Kind: contract.AlertReconciliation, Key: "reconciliation:" + kind + ":" + chargeID, OrderID: orderID,
		Title: "Reconciliation: " + strings.ReplaceAll(kind, "_", " "),
		Lines: []string{fmt.Sprintf("%d ⭐, charge %s. Done: %s.", stars, chargeID, action)}}
}

// PaymentUnresolved is the alert for: a charge neither fulfilled nor refunded long after it arrived.
func PaymentUnresolved(orderID, chargeID string, stars int64, receivedAt time.Time) Alert {
	return Alert{Kind: contract.AlertPaymentUnresolved, Key: "payment_unresolved:" + chargeID, OrderID: orderID,
		Title: "A payment is neither fulfilled nor refunded",
		Lines: []string{fmt.Sprintf("%d ⭐, charge %s, received %s. It was handed to its workflow again.",
			stars, chargeID, receivedAt.UTC().Format(time.RFC3339))}}
}

// SupportRefundDone is the alert for: Telegram confirmed a support refund. replyTo is the
// staff member's confirm message when the refund was asked for in the chat.
func SupportRefundDone(orderID, chargeID string, stars int64, by string, replyTo int64) Alert {
	return Alert{Kind: contract.AlertSupportRefund, Key: "support_refund:" + chargeID, OrderID: orderID,
		Title: "Refund confirmed by Telegram", ReplyTo: replyTo,
		Lines: []string{fmt.Sprintf("%d ⭐ returned to the buyer (charge %s), asked for by %s.", stars, chargeID, by)}}
}
