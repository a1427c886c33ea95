package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/internal/heartbeat"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/usage"
)

// After the sale: eSIM Go's callbacks (usage, install state, balance),
// the install reminder, and what a delivery says for a top-up. Each
// activity here is safe to run twice: alerts and notices are claimed in the
// ledger before they are sent, and given back when sending fails.

// BalanceAlert is an eSIM Go balance notification.
type BalanceAlert struct {
	Type                      string // esimgo.AlertLowBalance or esimgo.AlertInsufficientBalance
	Balance, Threshold        decimal.Decimal
	ThresholdPercentRemaining decimal.Decimal
}

// Timeline events written on the eSIM's latest order.
const (
	EventUsageAlert      = "usage_alert"
	EventESIMInstalled   = "esim_installed"
	EventInstallReminder = "install_reminder_sent"
)

// Callback outcomes, kept in the inbox.
const (
	OutcomeDuplicate   = "duplicate"
	OutcomeMalformed   = "malformed"
	OutcomeUnknownESIM = "unknown_esim"
	OutcomeRecorded    = "recorded"
	OutcomeAlertSent   = "alert_sent"
	OutcomeNotified    = "notified"
	OutcomeBalance     = "balance_alert"
	// OutcomeUndelivered: the message to the buyer never can arrive (bot
	// blocked, or refused for good: see tell); not tried again.
	OutcomeUndelivered = "undelivered"
	// OutcomeReminded: the install reminder was sent (RemindInstall also
	// answers "already_<state>" and OutcomeUnknownESIM).
	OutcomeReminded = "reminded"
)

// HandleESIMCallback acts on one stored eSIM Go callback, named by the hash
// of its body, and closes it in the inbox with the outcome.
func (a *Activities) HandleESIMCallback(ctx context.Context, hash string) (string, error) {
	raw, processed, err := a.Store.CallbackBody(ctx, hash)
	if err != nil {
		return "", err
	}
	if processed {
		return OutcomeDuplicate, nil
	}
	outcome := OutcomeMalformed
	if cb, err := esimgo.ParseCallback(raw); err == nil {
		if outcome, err = a.applyCallback(ctx, cb); err != nil {
			return "", err
		}
	}
	return outcome, a.Store.MarkCallbackProcessed(ctx, hash, outcome)
}

func (a *Activities) applyCallback(ctx context.Context, cb esimgo.Callback) (string, error) {
	switch cb.Type {
	case esimgo.AlertUtilisation, esimgo.AlertFirstUse:
		return a.usageCallback(ctx, cb)
	case esimgo.AlertProfileStatusChange:
		state := esimgo.InstallState(cb.ProfileStatus, time.Time{})
		if strings.EqualFold(cb.ProfileStatus, "Released") {
			// Released is the default: a notification of it follows an
			// install, so the profile was deleted from the device.
			state = store.InstallRemoved
		}
		return a.statusCallback(ctx, cb, state)
	case esimgo.EventESIMDeleted:
		return a.statusCallback(ctx, cb, store.InstallRemoved)
	case esimgo.AlertLowBalance, esimgo.AlertInsufficientBalance:
		return a.balanceCallback(ctx, cb)
	}
	return store.CallbackIgnored, nil
}

// usageCallback records a bundle's data left and sends the buyer the 80 %
// or 100 % alert, at most once per bundle and threshold; 100 % first makes
// a later 80 % moot.
func (a *Activities) usageCallback(ctx context.Context, cb esimgo.Callback) (string, error) {
	if cb.ICCID == "" || cb.Bundle == nil {
		return store.CallbackIgnored, nil
	}
	owner, err := a.Store.OwnerOfESIM(ctx, cb.ICCID)
	if errors.Is(err, store.ErrNotFound) {
		return OutcomeUnknownESIM, nil
	}
	if err != nil {
		return "", err
	}
	b, err := a.Store.ApplyUsage(ctx, cb.ICCID, usage.Bundle(*cb.Bundle))
	if err != nil {
		return "", err
	}
	threshold := alertThreshold(b)
	if threshold == 0 {
		return OutcomeRecorded, nil
	}
	if threshold == 100 {
		if err := a.Store.SuppressAlert(ctx, cb.ICCID, b.Assignment, 80); err != nil {
			return "", err
		}
	}
	send, err := a.Store.ClaimAlert(ctx, cb.ICCID, b.Assignment, threshold)
	if err != nil || !send {
		return OutcomeRecorded, err
	}
	lang := i18n.Lang(owner.LanguageCode)
	name := a.bundleTitle(ctx, b)
	text := i18n.HTML(lang, i18n.UsageAlert, threshold, i18n.DataAmount(lang, b.Initial), i18n.Tail(cb.ICCID), name)
	if threshold == 100 {
		text = i18n.HTML(lang, i18n.UsageAlertUsedUp, i18n.DataAmount(lang, b.Initial), i18n.Tail(cb.ICCID), name)
	}
	key := EventUsageAlert + ":" + b.Assignment + ":" + strconv.Itoa(threshold)
	sent, err := a.tell(ctx, owner, key, text, a.topUpButton(lang, cb.ICCID)...)
	if err != nil {
		return "", err
	}
	// Sent, or never can be: either way it is not tried again.
	if err := a.Store.MarkAlertSent(ctx, cb.ICCID, b.Assignment, threshold); err != nil {
		return "", err
	}
	if !sent {
		return OutcomeUndelivered, nil
	}
	if a.Metrics != nil {
		a.Metrics.UsageAlerts.WithLabelValues(strconv.Itoa(threshold)).Inc()
	}
	a.note(ctx, owner.OrderID, key, EventUsageAlert,
		map[string]any{"iccid": cb.ICCID, "bundle": b.Name, "threshold": threshold, "remaining_bytes": b.Remaining})
	return OutcomeAlertSent, nil
}

// alertThreshold is the alert a bundle's usage calls for: 100 when used
// up, 80 from 80 % used, else none. Unlimited bundles get none.
func alertThreshold(b store.ESIMBundle) int {
	if b.Unlimited || b.Initial <= 0 {
		return 0
	}
	switch used := (b.Initial - b.Remaining) * 100 / b.Initial; {
	case b.Remaining <= 0:
		return 100
	case used >= 80:
		return 80
	}
	return 0
}

// bundleTitle is the plan's name in the store's catalogue, else eSIM Go's
// description, else the bundle name.
func (a *Activities) bundleTitle(ctx context.Context, b store.ESIMBundle) string {
	if p, err := a.Store.GetPlan(ctx, b.Name); err == nil && p.Name != "" {
		return p.Name
	}
	if b.Description != "" {
		return b.Description
	}
	return b.Name
}

// statusCallback records an install state change; the first install gets
// "Your eSIM is installed ✓".
func (a *Activities) statusCallback(ctx context.Context, cb esimgo.Callback, state string) (string, error) {
	if cb.ICCID == "" {
		return store.CallbackIgnored, nil
	}
	owner, err := a.Store.OwnerOfESIM(ctx, cb.ICCID)
	if errors.Is(err, store.ErrNotFound) {
		return OutcomeUnknownESIM, nil
	}
	if err != nil {
		return "", err
	}
	ch, err := a.Store.ApplyProfileStatus(ctx, cb.ICCID, state, cb.ProfileStatus, cb.ChangedAt)
	if err != nil || !ch.NotifyInstalled {
		return OutcomeRecorded, err
	}
	lang := i18n.Lang(owner.LanguageCode)
	key := EventESIMInstalled + ":" + cb.ICCID
	sent, err := a.tell(ctx, owner, key, i18n.HTML(lang, i18n.ESIMInstalled, i18n.Tail(cb.ICCID), owner.PlanName))
	if err != nil {
		if uerr := a.Store.UnclaimInstalledNotice(ctx, cb.ICCID); uerr != nil {
			return "", errors.Join(err, uerr)
		}
		return "", err
	}
	if !sent {
		return OutcomeUndelivered, nil
	}
	a.note(ctx, owner.OrderID, key, EventESIMInstalled,
		map[string]any{"iccid": cb.ICCID, "device": cb.Device})
	return OutcomeNotified, nil
}

// balanceCallback is what operators page on: a metric, an ALERT log line,
// the balance kept for the sales pause, and an alert in the support chat.
func (a *Activities) balanceCallback(ctx context.Context, cb esimgo.Callback) (string, error) {
	alert := BalanceAlert{Type: cb.Type}
	if cb.Balance != nil {
		alert.Balance, alert.Threshold, alert.ThresholdPercentRemaining =
			cb.Balance.Balance, cb.Balance.Threshold, cb.Balance.ThresholdPercentRemaining
		if err := a.Store.SetESIMGoBalance(ctx, alert.Balance, store.BalanceFromCallback); err != nil {
			return "", err
		}
	}
	if a.Metrics != nil {
		a.Metrics.ESIMGoBalanceAlerts.WithLabelValues(cb.Type).Inc()
		if cb.Balance != nil {
			a.Metrics.ESIMGoBalance.Set(alert.Balance.InexactFloat64())
		}
	}
	a.log().Error("ALERT esim go balance low: top up the eSIM Go account", "alert_type", cb.Type,
		"balance_usd", alert.Balance.String(), "threshold_usd", alert.Threshold.String(),
		"threshold_percent_remaining", alert.ThresholdPercentRemaining.String())
	if cb.Type == esimgo.AlertInsufficientBalance {
		a.Alerts.Raise(ctx, alerts.ESIMGoInsufficient("", "(any: eSIM Go reports the balance exhausted)", a.now()))
	} else {
		a.Alerts.Raise(ctx, alerts.ESIMGoLow("", alert.Balance.StringFixed(2), alert.Threshold.StringFixed(2), "USD", a.now()))
	}
	return OutcomeBalance, nil
}

// RemindInstall sends the one install reminder of an eSIM still not
// installed (its state refreshed from eSIM Go first, at most once per
// refresh interval). It returns what it did.
func (a *Activities) RemindInstall(ctx context.Context, iccid string) (string, error) {
	owner, err := a.Store.OwnerOfESIM(ctx, iccid)
	if errors.Is(err, store.ErrNotFound) {
		return OutcomeUnknownESIM, nil
	}
	if err != nil {
		return "", err
	}
	state, err := a.installState(ctx, iccid)
	if err != nil {
		return "", err
	}
	if state != store.InstallNotInstalled {
		return "already_" + state, nil
	}
	claimed, err := a.Store.ClaimInstallReminder(ctx, iccid)
	if err != nil || !claimed {
		return "already_reminded", err
	}
	lang := i18n.Lang(owner.LanguageCode)
	lpa := esimgo.LPA(owner.SMDPAddress, owner.MatchingID)
	text := i18n.HTML(lang, i18n.InstallReminder, i18n.Tail(iccid), owner.PlanName, esimgo.IOSInstallURL(lpa),
		esimgo.AndroidInstallURL(lpa), owner.SMDPAddress, owner.MatchingID)
	key := EventInstallReminder + ":" + iccid
	sent, err := a.tell(ctx, owner, key, text)
	if err != nil {
		if uerr := a.Store.UnclaimInstallReminder(ctx, iccid); uerr != nil {
			return "", errors.Join(err, uerr)
		}
		return "", err
	}
	if !sent {
		return OutcomeUndelivered, nil
	}
	a.note(ctx, owner.OrderID, key, EventInstallReminder, map[string]any{"iccid": iccid})
	return OutcomeReminded, nil
}

func (a *Activities) installState(ctx context.Context, iccid string) (string, error) {
	if a.Usage != nil {
		return a.Usage.InstallState(ctx, iccid)
	}
	state, _, err := a.Store.InstallStateOf(ctx, iccid)
	return state, err
}

// tell sends an HTML message to the eSIM's owner and reports whether it
// arrived. A message that never can is not an error, and not retried, so
// the claim taken for it stays taken: the buyer blocked the bot (logged),
// or Telegram refused it for good, a chat gone or a text it will not take
// (put on the order's timeline as message_failed with Telegram's answer,
// so support sees what the buyer was never told). key names the message.
// An error is worth retrying.
func (a *Activities) tell(ctx context.Context, owner store.ESIMOwner, key, text string, buttons ...telegram.Button) (bool, error) {
	chat := owner.ChatID
	if chat == 0 {
		chat = owner.UserID
	}
	err := a.Bot.SendMessage(ctx, chat, text, buttons...)
	if err == nil {
		return true, nil
	}
	terr := telegramError("message the owner of order "+owner.OrderID, err)
	switch {
	case isType(terr, contract.ErrTypeBotBlocked):
		a.log().Info("buyer blocked the bot; after-sale message dropped", "order_id", owner.OrderID, "message", key)
		return false, nil
	case isType(terr, contract.ErrTypePermanentTG):
		a.note(ctx, owner.OrderID, "message_failed:"+key, "message_failed",
			map[string]any{"message": key, "error": terr.Error()})
		return false, nil
	}
	return false, terr
}

// note puts an after-sale event on the order's timeline; the timeline is
// for support, so failing to write it is only logged.
func (a *Activities) note(ctx context.Context, orderID, key, event string, detail map[string]any) {
	if err := a.Store.AddEvent(ctx, orderID, orderID+":"+key, event, "system", detail); err != nil {
		a.log().Warn("after-sale timeline entry not written", "order_id", orderID, "event", event, "err", err)
	}
}

// TopUpStartParam is the Mini App start parameter that opens an eSIM's
// top-up: esim_<ICCID> (letters, digits and _ only, as Telegram's
// startapp allows).
func TopUpStartParam(iccid string) string { return "esim_" + iccid }

// topUpButton opens the Mini App at the eSIM's top-up. It is a web_app
// button (it works in the buyer's private chat without a Mini App short
// name registered at BotFather); the target travels as the startapp query
// parameter of the Mini App's URL, which the Mini App reads as it reads
// start_param from a t.me/<bot>/<app>?startapp= link.
func (a *Activities) topUpButton(lang, iccid string) []telegram.Button {
	if a.MiniAppURL == "" {
		return nil
	}
	u, err := url.Parse(a.MiniAppURL)
	if err != nil {
		return nil
	}
	q := u.Query()
	q.Set("startapp", TopUpStartParam(iccid))
	u.RawQuery = q.Encode()
	return []telegram.Button{{Text: i18n.T(lang, i18n.TopUpButton), WebAppURL: u.String()}}
}

// dataLabel is a plan's data as buyers read it: "3 GB", or unlimited.
func (a *Activities) dataLabel(ctx context.Context, lang, planID string) string {
	p, err := a.Store.GetPlan(ctx, planID)
	switch {
	case err != nil:
		return ""
	case p.Unlimited:
		return i18n.T(lang, i18n.DataUnlimited)
	}
	return i18n.DataAmount(lang, int64(p.DataMB)*1_000_000)
}

// topUpMessage is what a delivery says for a top-up: a notice for an
// installed eSIM, or the QR's caption for one not installed yet or for a
// top-up eSIM Go put on a new eSIM. photo is false for the notice.
func (a *Activities) topUpMessage(ctx context.Context, in DeliverInput, lpa string) (text string, photo bool) {
	lang := in.Lang
	e := in.ESIM
	if e.ICCID != in.TopUpOf {
		return i18n.HTML(lang, i18n.TopUpCaptionReassigned, in.PlanName, i18n.Tail(in.TopUpOf), e.SMDPAddress, e.MatchingID,
			esimgo.IOSInstallURL(lpa), esimgo.AndroidInstallURL(lpa)), true
	}
	data := a.dataLabel(ctx, lang, in.PlanID)
	state, err := a.installState(ctx, e.ICCID)
	if err != nil {
		a.log().Warn("install state unknown; sending the QR with the top-up", "order_id", in.OrderID, "err", err)
	}
	if err == nil && state == store.InstallInstalled {
		return i18n.HTML(lang, i18n.TopUpAdded, data, i18n.Tail(e.ICCID), in.PlanName), false
	}
	return i18n.HTML(lang, i18n.TopUpCaptionInstall, data, i18n.Tail(e.ICCID), in.PlanName, e.SMDPAddress, e.MatchingID,
		esimgo.IOSInstallURL(lpa), esimgo.AndroidInstallURL(lpa)), true
}

// DefaultInstallReminder is InstallReminderAfter's default.
const DefaultInstallReminder = 24 * time.Hour

// A sweep looks this far back past InstallReminderAfter, so deliveries a
// paused schedule or an outage missed still get their reminder; an eSIM
// delivered longer ago than that is left alone (a reminder days late is
// noise). It handles at most reminderBatch eSIMs; the next round takes the
// rest, earliest delivery first.
const (
	reminderLookback = 72 * time.Hour
	reminderBatch    = 500
)

// ReminderSweep says what one round of install reminders did.
type ReminderSweep struct {
	Due      int // eSIMs found due
	Reminded int // reminders sent
	Skipped  int // installed meanwhile, already reminded, or no longer owned
	Failed   int // left for the next round
}

// RemindDueInstalls sends the install reminders that are due: eSIMs whose
// QR went out InstallReminderAfter ago (or up to reminderLookback before
// that) and which the ledger does not know as installed or reminded. Each
// goes through RemindInstall, which refreshes the install state from eSIM
// Go and claims the reminder once, so a retried or overlapping sweep sends
// nothing twice. Its eSIM Go reads and Telegram messages take the
// providers' budgets at background priority: buyers' purchases go first.
// A failure for one eSIM is left for the next round; the sweep fails (and
// shows as failed in the schedule) only when nothing it tried succeeded.
func (a *Activities) RemindDueInstalls(ctx context.Context) (ReminderSweep, error) {
	defer heartbeat.Keep(ctx)()
	ctx = budget.WithPriority(ctx, budget.Background)
	after := a.InstallReminderAfter
	if after <= 0 {
		after = DefaultInstallReminder
	}
	due, err := a.Store.InstallRemindersDue(ctx, after, reminderLookback, reminderBatch)
	if err != nil {
		return ReminderSweep{}, err
	}
	res := ReminderSweep{Due: len(due)}
	var lastErr error
	for _, iccid := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		outcome, err := a.RemindInstall(ctx, iccid)
		switch {
		case err != nil:
			res.Failed++
			lastErr = err
			a.log().Warn("install reminder not sent; the next round tries again", "iccid", iccid, "err", err)
		case outcome == OutcomeReminded:
			res.Reminded++
		default:
			res.Skipped++
		}
	}
	if res.Failed > 0 {
		a.log().Warn("install reminder sweep", "due", res.Due, "reminded", res.Reminded, "skipped", res.Skipped, "failed", res.Failed)
	}
	if res.Failed > 0 && res.Failed == res.Due {
		return res, fmt.Errorf("install reminders: all %d failed, last: %w", res.Failed, lastErr)
	}
	return res, nil
}
