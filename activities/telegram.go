package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/internal/heartbeat"
	"github.com/starsesim/esimstore/qr"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// DeliverInput sends the eSIM to the buyer's chat.
type DeliverInput struct {
	OrderID  string
	ChatID   int64
	Lang     string
	PlanName string
	ESIM     contract.ESIM
	Attempt  string // distinguishes an operator's re-send in the timeline
	// PaidAt, on the first delivery, measures payment-to-QR latency.
	PaidAt time.Time
	// PlanID names the plan (a top-up's notice says how much data it added).
	PlanID string
	// TopUpOf is the eSIM a top-up asked for; "" for a new eSIM. A top-up
	// of an installed eSIM gets a notice instead of the QR; one eSIM Go
	// put on another eSIM gets that eSIM's QR, with why.
	TopUpOf string
}

// DeliverResult says whether the photo reached the chat.
type DeliverResult struct {
	Delivered bool
	Blocked   bool
}

// DeliverESIM renders the QR code here, inside the activity, and uploads it
// with the manual codes and one-tap links. A buyer who blocked the bot is
// not retried: the eSIM is still theirs in the Mini App. Sending twice after
// a lost answer shows the same QR twice, which is harmless. A top-up says
// what it added. The "delivered" event it writes is what the install
// reminder sweep (RemindDueInstalls) reads.
func (a *Activities) DeliverESIM(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	defer heartbeat.Keep(ctx)()
	ctx = a.queueBound(ctx)
	lpa := in.ESIM.LPA
	if lpa == "" {
		lpa = esimgo.LPA(in.ESIM.SMDPAddress, in.ESIM.MatchingID)
	}
	// Everything in the caption comes from eSIM Go (the plan name from its
	// catalogue, "UK & Ireland <5GB>"; the codes; the links, whose query
	// strings hold "&"), so all of it is escaped for Telegram's HTML.
	caption, photo := i18n.HTML(in.Lang, i18n.DeliveryCaption, in.PlanName, in.ESIM.SMDPAddress, in.ESIM.MatchingID,
		esimgo.IOSInstallURL(lpa), esimgo.AndroidInstallURL(lpa)), true
	if in.TopUpOf != "" {
		caption, photo = a.topUpMessage(ctx, in, lpa)
	}
	var buttons []telegram.Button
	if a.HelpLink != nil {
		// A button, not caption text: the caption is near Telegram's 1,024 limit.
		if link := a.HelpLink(ctx, in.OrderID); link != "" {
			buttons = append(buttons, telegram.Button{Text: i18n.T(in.Lang, i18n.HelpWithOrder), URL: link})
		}
	}
	var err error
	if photo {
		var png []byte
		if png, err = qr.PNG(lpa, 512); err != nil {
			return DeliverResult{}, err
		}
		err = a.Bot.SendPhoto(ctx, in.ChatID, png, "esim-"+in.OrderID+".png", caption, buttons...)
	} else {
		err = a.Bot.SendMessage(ctx, in.ChatID, caption, buttons...)
	}
	key := in.OrderID + ":delivered" + in.Attempt
	if err != nil {
		terr := telegramError("deliver esim "+in.OrderID, err)
		if isType(terr, contract.ErrTypeBotBlocked) {
			a.log().Warn("buyer blocked the bot; eSIM stays available in the Mini App", "order_id", in.OrderID)
			return DeliverResult{Blocked: true}, a.Store.AddEvent(ctx, in.OrderID, key, "delivery_blocked", "system", nil)
		}
		return DeliverResult{}, terr
	}
	a.observeDelivery(in.PaidAt)
	detail := map[string]any{"iccid": in.ESIM.ICCID}
	if in.TopUpOf != "" {
		detail["top_up_of"], detail["qr_sent"] = in.TopUpOf, photo
	}
	return DeliverResult{Delivered: true}, a.Store.AddEvent(ctx, in.OrderID, key, "delivered", "system", detail)
}

// RefundInput refunds one charge.
type RefundInput struct {
	OrderID  string
	ChargeID string
	UserID   int64
	Stars    int64
	Reason   string
	// ReasonCode is a short fixed label for metrics ("esim_failed", "support", …).
	ReasonCode string
	By         string
}

// RefundPayment records the intent, calls refundStarPayment, and marks the
// refund done. Telegram answering CHARGE_ALREADY_REFUNDED means an earlier
// attempt succeeded (money rule 6: docs/architecture.md#rule-6-charge_already_refunded-counts-as-done), so retries can never refund twice.
func (a *Activities) RefundPayment(ctx context.Context, in RefundInput) error {
	defer heartbeat.Keep(ctx)()
	if err := a.Store.RequestRefund(ctx, store.RefundRow{ChargeID: in.ChargeID, OrderID: in.OrderID, UserID: in.UserID,
		Stars: in.Stars, Reason: in.Reason, ReasonCode: in.ReasonCode, RequestedBy: in.By}); err != nil {
		return err
	}
	err := a.Bot.RefundStarPayment(ctx, in.UserID, in.ChargeID)
	alreadyDone := err != nil && telegram.IsAlreadyRefunded(err)
	if err != nil && !alreadyDone {
		a.log().Warn("refund failed; will retry", "order_id", in.OrderID, "charge_id", in.ChargeID, "err", err)
		a.alertRefundFailing(ctx, in, err)
		if terr := telegramError("refund "+in.ChargeID, err); !isType(terr, contract.ErrTypePermanentTG) {
			return terr
		}
		// A refund must end in success: even an unexpected 400 is retried
		// (slowly, per the policy) and shown to operators, never dropped.
		return fmt.Errorf("refund %s: %w", in.ChargeID, err)
	}
	if err := a.Store.CompleteRefund(ctx, in.ChargeID); err != nil {
		return err
	}
	a.countRefund(in.Stars, in.ReasonCode)
	a.log().Info("refunded", "order_id", in.OrderID, "charge_id", in.ChargeID, "stars", in.Stars, "already_refunded", alreadyDone)
	if err := a.Store.AddEvent(ctx, in.OrderID, in.OrderID+":refunded:"+in.ChargeID, "refunded", in.By,
		map[string]any{"charge_id": in.ChargeID, "stars": in.Stars, "reason": in.Reason}); err != nil {
		return err
	}
	a.alertRefunded(ctx, in)
	return nil
}

// NotifyInput is a message to the buyer.
type NotifyInput struct {
	OrderID string
	ChatID  int64
	Text    string // HTML, built with i18n.HTML
}

// NotifyBuyer sends a message; a blocked bot is not an error worth retrying.
// A message Telegram refuses (a 400 such as "can't parse entities") is a
// non-retryable error that carries Telegram's description, for the caller
// to put on the order's timeline.
func (a *Activities) NotifyBuyer(ctx context.Context, in NotifyInput) error {
	err := a.Bot.SendMessage(ctx, in.ChatID, in.Text)
	if err == nil {
		return nil
	}
	terr := telegramError("notify buyer of "+in.OrderID, err)
	if isType(terr, contract.ErrTypeBotBlocked) {
		return nil
	}
	return terr
}
