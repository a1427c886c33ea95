package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/testsuite"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/pricing"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// rig is the activities wired to a real database and both fakes.
type rig struct {
	acts *activities.Activities
	tg   *telegramtest.Fake
	esim *esimgotest.Fake
	// esimURL and tgURL are the fakes' base URLs, for clients of other settings.
	esimURL, tgURL string
	st             *store.Store
	env            *testsuite.TestActivityEnvironment
}

func newRig(t *testing.T) *rig {
	st, _ := testenv.Store(t)
	// A webhook that accepts everything, so the fake can deliver payments.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hook.Close)
	tg, tgSrv := telegramtest.NewServer(t, telegramtest.Options{WebhookURL: hook.URL})
	esim, esimSrv := esimgotest.NewServer(t, esimgotest.Options{APIKey: "k"})
	bot, err := telegram.NewBot(telegram.Config{Token: telegramtest.DefaultToken, APIURL: tgSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// A short order timeout: a retried purchase waits out the earlier
	// attempt's whole request before it looks.
	ec, err := esimgo.New(esimgo.Config{BaseURL: esimgotest.BaseURL(esimSrv), APIKey: "k", RequestsPerSecond: 1000,
		OrderTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: st, ESIM: ec, Bot: bot, OutcomeSettle: 10 * time.Millisecond,
		Pricing: pricing.Rules{MarkupPercent: decimal.NewFromInt(30), StarsUSDRate: decimal.RequireFromString("0.013")}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &rig{acts: acts, tg: tg, esim: esim, esimURL: esimgotest.BaseURL(esimSrv), tgURL: tgSrv.URL, st: st, env: env}
}

// buyerChat is the rig's buyer and their private chat: an id above 2^32,
// as every Telegram account made in recent years has.
const buyerChat = int64(5_079_065_042)

// paidOrder makes a real charge in the fake and the matching ledger rows.
func (r *rig) paidOrder(t *testing.T, id string) contract.Payment {
	t.Helper()
	ctx := context.Background()
	if _, err := r.acts.SyncPlans(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.acts.Quote(ctx, activities.QuoteInput{Order: contract.Input{OrderID: id, UserID: buyerChat, ChatID: buyerChat,
		PlanID: "esim_1GB_7D_GB_V2", Source: contract.SourceMiniApp}, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	link, err := r.acts.Bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "t", Description: "d", Payload: id, Stars: 137})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.tg.Pay(ctx, link, telegram.User{ID: buyerChat, FirstName: "Борис <b> & Co"}, telegramtest.PayOptions{SkipPreCheckout: true})
	if err != nil || res.ChargeID == "" {
		t.Fatalf("pay: %+v %v", res, err)
	}
	p := contract.Payment{ChargeID: res.ChargeID, UserID: buyerChat, Currency: "XTR", TotalAmount: 137, InvoicePayload: id}
	if err := r.acts.RecordPayment(ctx, id, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefundTwiceRefundsOnce(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-refund")
	in := activities.RefundInput{OrderID: "o-refund", ChargeID: p.ChargeID, UserID: buyerChat, Stars: 137, Reason: "test", By: "system"}
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err != nil {
		t.Fatalf("first refund: %v", err)
	}
	// A retry after a lost answer: Telegram says CHARGE_ALREADY_REFUNDED, which counts as done.
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err != nil {
		t.Fatalf("second refund: %v", err)
	}
	if n := r.tg.Refunds()[p.ChargeID]; n != 1 {
		t.Fatalf("telegram refunded %d times", n)
	}
	calls := r.tg.Calls("refundStarPayment")
	if len(calls) != 2 || calls[1].OK() {
		t.Fatalf("want the second call answered CHARGE_ALREADY_REFUNDED, got %d calls", len(calls))
	}
	refunds, _ := r.st.RefundsForOrder(context.Background(), "o-refund")
	if len(refunds) != 1 || refunds[0].Status != "done" {
		t.Fatalf("ledger refunds = %+v", refunds)
	}
}

func TestRefundFailureIsRetryableAndLeavesIntent(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-refund-fail")
	r.tg.SetFault("refundStarPayment", telegramtest.Fault{Code: 502, Times: 1})
	in := activities.RefundInput{OrderID: "o-refund-fail", ChargeID: p.ChargeID, UserID: buyerChat, Stars: 137, Reason: "test", By: "system"}
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err == nil {
		t.Fatal("a 502 from Telegram was reported as a refund")
	}
	refunds, _ := r.st.RefundsForOrder(context.Background(), "o-refund-fail")
	if len(refunds) != 1 || refunds[0].Status != "pending" {
		t.Fatalf("the refund intent is not recorded as pending: %+v", refunds)
	}
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if r.tg.Refunds()[p.ChargeID] != 1 {
		t.Fatal("not refunded after the retry")
	}
}

func TestPlaceOrderIsIdempotentPerCharge(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-place")
	in := activities.PlaceInput{OrderID: "o-place", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()}
	first, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in)
	if err != nil {
		t.Fatal(err)
	}
	var a, b contract.ESIM
	_ = first.Get(&a)
	_ = second.Get(&b)
	if a.Reference == "" || a.Reference != b.Reference || len(r.esim.Orders()) != 1 {
		t.Fatalf("refs %q/%q, eSIM Go orders %d: the ledger did not stop a second purchase", a.Reference, b.Reference, len(r.esim.Orders()))
	}
}

func TestOutcomeUnknownClaimsInsteadOfRebuying(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-unknown")
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
	in := activities.PlaceInput{OrderID: "o-unknown", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()}
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	var e contract.ESIM
	_ = val.Get(&e)
	orders := r.esim.Orders()
	if len(orders) != 1 || e.Reference != orders[0].Reference {
		t.Fatalf("claimed %q, eSIM Go has %d orders", e.Reference, len(orders))
	}
	got, _ := r.st.ESIMOrderByCharge(context.Background(), p.ChargeID)
	if !got.Claimed {
		t.Error("the ledger does not say the order was claimed after an unknown outcome")
	}
}

func TestPermanentESIMErrorIsNotRetryable(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-perm")
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle is not valid"})
	_, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-perm", ChargeID: p.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()})
	if err == nil || !containsType(err, contract.ErrTypePermanentESIM) {
		t.Fatalf("err = %v, want %s", err, contract.ErrTypePermanentESIM)
	}
}

func TestDeliverToBlockedBuyerIsNotAnError(t *testing.T) {
	r := newRig(t)
	r.tg.BlockUser(buyerChat, true)
	val, err := r.env.ExecuteActivity(r.acts.DeliverESIM, activities.DeliverInput{OrderID: "o-blocked", ChatID: buyerChat, Lang: "en",
		PlanName: "UK", ESIM: contract.ESIM{ICCID: "89", SMDPAddress: "rsp.example.com", MatchingID: "M-1"}})
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	var res activities.DeliverResult
	_ = val.Get(&res)
	if !res.Blocked || res.Delivered {
		t.Fatalf("result %+v", res)
	}
}

func TestClaimSkipsTopUpsOfSoldESIMs(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p1 := r.paidOrder(t, "o-first")
	since := time.Now()
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-first", ChargeID: p1.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	var first contract.ESIM
	_ = val.Get(&first)
	if _, err := r.env.ExecuteActivity(r.acts.FetchInstallDetails, activities.FetchInput{OrderID: "o-first", ChargeID: p1.ChargeID, Reference: first.Reference}); err != nil {
		t.Fatal(err)
	}
	sold, _ := r.st.ESIMOrderByCharge(ctx, p1.ChargeID)
	// A renewal top-up of that eSIM lands at eSIM Go but not yet in our ledger.
	if _, err := r.acts.ESIM.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Type: "bundle", Item: "esim_1GB_7D_GB_V2", Quantity: 1, ICCIDs: []string{sold.ICCID}}}}); err != nil {
		t.Fatal(err)
	}
	// Then another buyer's purchase commits and its answer is lost.
	p2 := r.paidOrder(t, "o-second")
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
	val, err = r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-second", ChargeID: p2.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	var second contract.ESIM
	_ = val.Get(&second)
	orders := r.esim.Orders()
	if len(orders) != 3 || second.Reference != orders[2].Reference {
		t.Fatalf("claimed %q; eSIM Go orders %d, the new one is %q", second.Reference, len(orders), orders[len(orders)-1].Reference)
	}
}

// A worker that dies after eSIM Go committed the order but before the
// ledger row leaves only the attempt note behind. The re-run starts at
// Temporal attempt 1 (a local activity re-executed after a restart), so
// only the ledger's attempt count can tell it to look before buying.
func TestRerunAfterCrashClaimsInsteadOfRebuying(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p := r.paidOrder(t, "o-crash")
	since := time.Now()
	if _, err := r.st.BeginESIMAttempt(ctx, "o-crash", p.ChargeID); err != nil {
		t.Fatal(err)
	}
	lost, err := r.acts.ESIM.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Type: "bundle", Item: "esim_1GB_7D_GB_V2", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-crash", ChargeID: p.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	var e contract.ESIM
	_ = val.Get(&e)
	if n := len(r.esim.Orders()); n != 1 || e.Reference != lost.Reference {
		t.Fatalf("got %q, want the committed %q; eSIM Go holds %d orders", e.Reference, lost.Reference, n)
	}
}

// eSIM Go commits an order a moment after the client gave up on it. The
// attempt's own lookup comes too early to see it; the retried attempt must
// wait that commit out before it looks, or it buys a second eSIM.
func TestRetryWaitsOutALateCommitBeforeLooking(t *testing.T) {
	r := newRig(t)
	ec, err := esimgo.New(esimgo.Config{BaseURL: r.esimURL, APIKey: "k", RequestsPerSecond: 1000,
		OrderTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.acts.ESIM, r.acts.CommitGrace = ec, 1500*time.Millisecond
	p := r.paidOrder(t, "o-late")
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitAfterGiveUp: time.Second, Times: 1})
	in := activities.PlaceInput{OrderID: "o-late", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()}
	start := time.Now()
	if _, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in); err == nil {
		t.Fatal("an order whose answer never came was reported as bought")
	}
	// Temporal retries within about a second; the late commit comes later.
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var e contract.ESIM
	if err := val.Get(&e); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(start.Add(2 * time.Second))) // past the late commit in every case
	orders := r.esim.Orders()
	if len(orders) != 1 || e.Reference != orders[0].Reference {
		t.Fatalf("eSIM Go holds %d orders, the retry claimed %q", len(orders), e.Reference)
	}
}

// A local first try that would queue behind a burst for longer than
// FirstTryWait sends nothing and notes no attempt: the regular activity
// takes its place in the queue, and a retry has no unknown outcome to
// look up first.
func TestFirstTryQueuedBehindABurstNotesNoAttempt(t *testing.T) {
	r := newRig(t)
	p := r.paidOrder(t, "o-queued")
	lanes := budget.NewLocal()
	ec, err := esimgo.New(esimgo.Config{BaseURL: r.esimURL, APIKey: "k", RequestsPerSecond: 10, Budget: lanes})
	if err != nil {
		t.Fatal(err)
	}
	r.acts.ESIM, r.acts.FirstTryWait = ec, 100*time.Millisecond
	if err := lanes.Hold(context.Background(), esimgo.LaneKey, time.Minute); err != nil {
		t.Fatal(err)
	}
	before := len(r.esim.Requests())
	in := activities.PlaceInput{OrderID: "o-queued", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()}
	_, err = r.env.ExecuteLocalActivity(r.acts.PlaceESIMOrder, in)
	if !containsType(err, contract.ErrTypeESIMRateLimited) {
		t.Fatalf("want a retryable rate-limited error, got %v", err)
	}
	var attempts int
	if err := r.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM esim_attempts WHERE charge_id = $1`, p.ChargeID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 0 || len(r.esim.Requests()) != before {
		t.Errorf("%d attempts noted, %d requests sent; want none", attempts, len(r.esim.Requests())-before)
	}
}

// The QR's first try does not wait a second message-slot in the buyer's
// chat; the regular activity sends it later.
func TestFirstTryDeliveryQueuedBehindTheChatIsRetried(t *testing.T) {
	r := newRig(t)
	lanes := budget.NewLocal()
	bot, err := telegram.NewBot(telegram.Config{Token: telegramtest.DefaultToken, APIURL: r.tgURL, Budget: lanes,
		MessagesPerSecond: 30, ChatMessagesPerSecond: 1.0 / 60})
	if err != nil {
		t.Fatal(err)
	}
	r.acts.Bot, r.acts.FirstTryWait = bot, 100*time.Millisecond
	if err := bot.SendMessage(context.Background(), buyerChat, "Payment received"); err != nil {
		t.Fatal(err)
	}
	in := activities.DeliverInput{OrderID: "o-qr", ChatID: buyerChat, Lang: "en", PlanName: "UK & Ireland <1GB>",
		ESIM: contract.ESIM{ICCID: "8944538532008160001", SMDPAddress: "rsp-3104.idemia.io", MatchingID: "M-1"}}
	_, err = r.env.ExecuteLocalActivity(r.acts.DeliverESIM, in)
	if !containsType(err, contract.ErrTypeTelegramRateLimited) {
		t.Fatalf("want a retryable rate-limited error, got %v", err)
	}
	if n := len(r.tg.Calls("sendPhoto")); n != 0 {
		t.Errorf("%d photos sent", n)
	}
}
