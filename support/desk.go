// Package support is the store's support desk in Telegram. Buyers write to
// the bot; every message that is not a command is copied, with a header
// naming the buyer and their last orders, into the staff's group
// (SUPPORT_CHAT_ID). A staff member's reply to such a message is copied back
// into the buyer's chat, from the bot. Both directions go through a ledger
// inbox (support_messages) and a workflow per buyer that sends in order and
// retries until Telegram takes the message, so nothing is lost while
// Telegram or the store is down: the webhook answers 2xx only once the
// message is in the inbox and the workflow is told.
//
// Members of SUPPORT_STAFF_IDS also get commands in the group: /order,
// /find and /refund (with a confirm button that refunds through the same
// update-with-start path as the admin API). Anyone else in the group is
// ignored and logged. See docs/operations.md §17.
package support

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// Bot is the part of telegram.Bot the desk uses.
type Bot interface {
	SendMessage(ctx context.Context, chatID int64, text string, buttons ...telegram.Button) error
	Post(ctx context.Context, m telegram.Outgoing) (int64, error)
	CopyMessage(ctx context.Context, toChat, fromChat, messageID, replyTo int64) (int64, error)
	AnswerCallbackQuery(ctx context.Context, queryID, text string, alert bool) error
	Username(ctx context.Context) (string, error)
}

// Refunder asks an order's workflow for a support refund: checkout.Service.
type Refunder interface {
	Refund(ctx context.Context, orderID, reason, by string) error
}

// Waker tells a buyer's relay workflow that messages are waiting (Relay).
type Waker interface {
	Wake(ctx context.Context, buyerID int64) error
}

// Desk handles the support chat's side of webhook updates.
type Desk struct {
	Store   *store.Store
	Bot     Bot
	Refunds Refunder
	Relay   Waker
	// ChatID is SUPPORT_CHAT_ID; 0 turns the relay and the commands off.
	ChatID int64
	// Staff are SUPPORT_STAFF_IDS: the only members whose replies reach
	// buyers and whose commands run.
	Staff []int64
	// Contact is SUPPORT_CONTACT: where buyers are told to write without a
	// support chat.
	Contact string
	Links   alerts.Links
	// Finance answers the staff's /finance; nil answers that it is off.
	Finance FinanceReporter
	Logger  *slog.Logger
	Now     func() time.Time
}

// FinanceReporter is the Stars finance report (finance.Reporter).
type FinanceReporter interface {
	Report(ctx context.Context, p finance.Period) (finance.Report, error)
}

// Enabled reports whether there is a support chat.
func (d *Desk) Enabled() bool { return d != nil && d.ChatID != 0 }

// IsSupportChat reports whether a chat is the staff group.
func (d *Desk) IsSupportChat(chatID int64) bool { return d.Enabled() && chatID == d.ChatID }

// IsStaff reports whether a Telegram user is listed in SUPPORT_STAFF_IDS.
func (d *Desk) IsStaff(userID int64) bool {
	for _, id := range d.Staff {
		if id == userID {
			return true
		}
	}
	return false
}

// SeeUser remembers what Telegram says about a user (names, @username,
// language), so /find @username works and headers name the buyer. Failing
// to remember is only logged: it must never cost a buyer's request.
func (d *Desk) SeeUser(ctx context.Context, u *telegram.User) {
	if d == nil || d.Store == nil || u == nil || u.ID <= 0 || u.IsBot {
		return
	}
	err := d.Store.SaveTelegramUser(ctx, store.TelegramUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
		Username: u.Username, LanguageCode: u.LanguageCode})
	if err != nil {
		d.log().Warn("remember telegram user", "user_id", u.ID, "err", err)
	}
}

// HelpDeepLinkPrefix is the /start parameter of "Help with this order":
// t.me/<bot>?start=help_<order id>. Order ids (UUIDs, sub-<uuid>) fit the
// deep-link alphabet and its 64-character limit.
const HelpDeepLinkPrefix = "help_"

// HelpLink is the link that opens the bot chat asking for help with an
// order, or "" without a support chat (or while the bot's username is
// unknown).
func (d *Desk) HelpLink(ctx context.Context, orderID string) string {
	if !d.Enabled() || orderID == "" || len(HelpDeepLinkPrefix+orderID) > 64 {
		return ""
	}
	name, err := d.Bot.Username(ctx)
	if err != nil {
		d.log().Warn("bot username for the help link", "err", err)
		return ""
	}
	return "https://t.me/" + name + "?start=" + HelpDeepLinkPrefix + orderID
}

// displayName is how staff see a person: "First Last (@user)".
func displayName(u *telegram.User) string {
	if u == nil {
		return "unknown"
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = "id " + strconv.FormatInt(u.ID, 10)
	}
	if u.Username != "" {
		name += " (@" + u.Username + ")"
	}
	return name
}

// staffBy is what a staff member's action records as `by`: their name and
// Telegram id, like "Zoë (@zoe) 6200000001".
func staffBy(u telegram.User) string {
	return fmt.Sprintf("%s tg:%d", displayName(&u), u.ID)
}

func (d *Desk) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Desk) log() *slog.Logger {
	if d != nil && d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}
