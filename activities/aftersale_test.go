package activities_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram/telegramtest"
	"github.com/starsesim/esimstore/usage"
)

// soldESIM buys a delivered eSIM for the rig's buyer through the activities.
func (r *rig) soldESIM(t *testing.T, orderID string) contract.ESIM {
	t.Helper()
	p := r.paidOrder(t, orderID)
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: orderID, ChargeID: p.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var e contract.ESIM
	if err := val.Get(&e); err != nil || e.ICCID == "" || e.MatchingID == "" {
		t.Fatalf("bought %+v %v", e, err)
	}
	return e
}

// topUpOrder is a paid top-up order of iccid in the ledger.
func (r *rig) topUpOrder(t *testing.T, orderID, iccid string) contract.Payment {
	t.Helper()
	p := r.paidOrder(t, orderID)
	if _, err := r.st.Pool.Exec(context.Background(), `UPDATE orders SET top_up_iccid = $2 WHERE id = $1`, orderID, iccid); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *rig) withUsage() {
	r.acts.Usage = &usage.Service{Store: r.st, ESIM: r.acts.ESIM}
}

func (r *rig) place(t *testing.T, in activities.PlaceInput) (contract.ESIM, error) {
	t.Helper()
	val, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, in)
	if err != nil {
		return contract.ESIM{}, err
	}
	var e contract.ESIM
	return e, val.Get(&e)
}

// A top-up whose answer was lost claims the top-up of its own eSIM, never
// a purchase or a top-up of another eSIM placed meanwhile.
func TestTopUpClaimsOnlyATopUpOfItsESIM(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	ctx := context.Background()
	mine, other := r.soldESIM(t, "o-mine"), r.soldESIM(t, "o-other")
	since := time.Now()
	p := r.topUpOrder(t, "o-top", mine.ICCID)
	// Meanwhile: another buyer's purchase and a top-up of another eSIM.
	for _, iccids := range [][]string{nil, {other.ICCID}} {
		if _, err := r.acts.ESIM.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
			Order: []esimgo.OrderItem{{Item: "esim_1GB_7D_GB_V2", ICCIDs: iccids}}}); err != nil {
			t.Fatal(err)
		}
	}
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
	got, err := r.place(t, activities.PlaceInput{OrderID: "o-top", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2",
		ICCID: mine.ICCID, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	orders := r.esim.Orders()
	last := orders[len(orders)-1]
	if len(orders) != 5 || got.Reference != last.Reference || got.ICCID != mine.ICCID || got.MatchingID != mine.MatchingID {
		t.Fatalf("claimed %+v; eSIM Go has %d orders, the lost top-up is %s", got, len(orders), last.Reference)
	}
	row, _ := r.st.ESIMOrderByCharge(ctx, p.ChargeID)
	if !row.Claimed || row.ICCID != mine.ICCID {
		t.Errorf("ledger row = %+v", row)
	}
	if bs := r.esim.BundlesOn(mine.ICCID); len(bs) != 2 {
		t.Errorf("bundles on the eSIM = %v, want 2", bs)
	}
}

func TestTopUpRefusedByESIMGoIsPermanentAndForgetsCompatibility(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	ctx := context.Background()
	mine := r.soldESIM(t, "o-mine")
	p := r.topUpOrder(t, "o-top", mine.ICCID)
	// The cache says it fits; eSIM Go says otherwise at the order.
	if err := r.st.SaveCompatibility(ctx, mine.ICCID, esimgo.BundleFamily("esim_1GB_7D_GB_V2"), true); err != nil {
		t.Fatal(err)
	}
	r.esim.SetCompatible(mine.ICCID, "esim_1GB_7D_GB_V2", false)
	_, err := r.place(t, activities.PlaceInput{OrderID: "o-top", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2",
		ICCID: mine.ICCID, Since: time.Now()})
	if err == nil || !containsType(err, contract.ErrTypePermanentESIM) {
		t.Fatalf("err = %v, want %s", err, contract.ErrTypePermanentESIM)
	}
	if _, found, _ := r.st.Compatibility(ctx, mine.ICCID, esimgo.BundleFamily("esim_1GB_7D_GB_V2"), time.Hour); found {
		t.Error("the cache still holds the answer eSIM Go contradicted")
	}
	if n := len(r.esim.ESIMs()); n != 2-1 {
		t.Errorf("eSIMs = %d: a refused top-up made a new eSIM", n)
	}
}

func TestReassignedTopUpIsRecordedWhereItWent(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	ctx := context.Background()
	mine := r.soldESIM(t, "o-mine")
	p := r.topUpOrder(t, "o-top", mine.ICCID)
	r.esim.ReassignTopUps(mine.ICCID, true)
	got, err := r.place(t, activities.PlaceInput{OrderID: "o-top", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2",
		ICCID: mine.ICCID, Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got.ICCID == mine.ICCID || got.MatchingID == "" || got.MatchingID == mine.MatchingID {
		t.Fatalf("got %+v, want the new eSIM's details", got)
	}
	evs, _ := r.st.Events(ctx, "o-top")
	found := false
	for _, e := range evs {
		found = found || (e.Kind == activities.EventToppedUp && strings.Contains(string(e.Detail), `"reassigned": true`))
	}
	if !found {
		t.Errorf("no topped_up event marked reassigned: %+v", evs)
	}
}

func TestDeliverySaysWhatATopUpAdded(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	r.acts.Usage.Every = time.Nanosecond // read eSIM Go every time in this test
	mine := r.soldESIM(t, "o-mine")
	deliver := func(in activities.DeliverInput) telegramtest.ChatItem {
		t.Helper()
		in.ChatID, in.Lang, in.PlanName, in.PlanID = buyerChat, "en", "United Kingdom · 1 GB · 7 days", "esim_1GB_7D_GB_V2"
		if _, err := r.env.ExecuteActivity(r.acts.DeliverESIM, in); err != nil {
			t.Fatal(err)
		}
		chat := r.tg.Chat(buyerChat)
		return chat[len(chat)-1]
	}
	first := deliver(activities.DeliverInput{OrderID: "o-mine", ESIM: mine})
	if first.Kind != telegramtest.KindPhoto {
		t.Fatalf("purchase: %s", first.Kind)
	}
	notInstalled := deliver(activities.DeliverInput{OrderID: "o-top1", ESIM: mine, TopUpOf: mine.ICCID})
	if notInstalled.Kind != telegramtest.KindPhoto || !strings.Contains(notInstalled.Text, "1 GB added to your eSIM …"+mine.ICCID[len(mine.ICCID)-4:]) ||
		!strings.Contains(notInstalled.Text, "not installed yet") {
		t.Fatalf("top-up of an eSIM not installed: %s %q", notInstalled.Kind, notInstalled.Text)
	}
	if err := r.esim.Install(mine.ICCID); err != nil {
		t.Fatal(err)
	}
	installed := deliver(activities.DeliverInput{OrderID: "o-top2", ESIM: mine, TopUpOf: mine.ICCID})
	if installed.Kind != telegramtest.KindText || !strings.Contains(installed.Text, "1 GB</b> added to your eSIM …") {
		t.Fatalf("top-up of an installed eSIM: %s %q", installed.Kind, installed.Text)
	}
	moved := contract.ESIM{ICCID: "8944999", SMDPAddress: "rsp.example", MatchingID: "NEW-CODE"}
	reassigned := deliver(activities.DeliverInput{OrderID: "o-top3", ESIM: moved, TopUpOf: mine.ICCID})
	if reassigned.Kind != telegramtest.KindPhoto || !strings.Contains(reassigned.Text, "came on a new eSIM") ||
		!strings.Contains(reassigned.Text, "NEW-CODE") {
		t.Fatalf("reassigned top-up: %s %q", reassigned.Kind, reassigned.Text)
	}
}

// callback stores a body in the inbox as the API would and handles it.
func (r *rig) callback(t *testing.T, body string) string {
	t.Helper()
	raw := []byte(body)
	h := store.CallbackHash(raw)
	var cb struct {
		Type  string `json:"alertType"`
		ICCID any    `json:"iccid"`
	}
	_ = json.Unmarshal(raw, &cb)
	if _, err := r.st.SaveCallback(context.Background(), h, cb.Type, fmt.Sprint(cb.ICCID), raw); err != nil {
		t.Fatal(err)
	}
	val, err := r.env.ExecuteActivity(r.acts.HandleESIMCallback, h)
	if err != nil {
		t.Fatal(err)
	}
	var outcome string
	_ = val.Get(&outcome)
	return outcome
}

func utilisation(iccid string, remaining int64) string {
	return fmt.Sprintf(`{"iccid":"%s","alertType":"Utilisation","bundle":{"id":"215009266","name":"esim_1GB_7D_GB_V2",
		"description":"eSIM, 1GB, 7 Days, United Kingdom, V2","initialQuantity":1000000000,"remainingQuantity":%d,
		"startTime":"2026-01-01T10:00:00Z","endTime":"2026-01-08T10:00:00Z","reference":"ref-0","unlimited":false}}`, iccid, remaining)
}

func texts(r *rig) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, c := range r.tg.Chat(buyerChat) {
		if c.FromBot && c.Kind == telegramtest.KindText {
			out = append(out, c)
		}
	}
	return out
}

func TestUsageCallbacksAlertOncePerThreshold(t *testing.T) {
	r := newRig(t)
	r.acts.MiniAppURL = "https://shop.example/app/"
	mine := r.soldESIM(t, "o-mine")
	for i, tc := range []struct {
		remaining int64
		want      string
	}{
		{500_000_000, activities.OutcomeRecorded},  // 50 %
		{150_000_000, activities.OutcomeAlertSent}, // 85 %: the 80 % alert
		{140_000_000, activities.OutcomeRecorded},  // re-sent with other numbers: no second alert
		{510_000_000, activities.OutcomeRecorded},  // a 50 % one, late
		{0, activities.OutcomeAlertSent},           // 100 %
	} {
		if got := r.callback(t, utilisation(mine.ICCID, tc.remaining)); got != tc.want {
			t.Errorf("callback %d (%d left): %s, want %s", i, tc.remaining, got, tc.want)
		}
	}
	msgs := texts(r)
	if len(msgs) != 2 {
		t.Fatalf("alerts sent = %d, want 2", len(msgs))
	}
	if !strings.HasPrefix(msgs[0].Text, "⚠️ 80 % of 1 GB used on your eSIM …") || !strings.Contains(msgs[1].Text, "All 1 GB") {
		t.Errorf("alerts = %q / %q", msgs[0].Text, msgs[1].Text)
	}
	btn := msgs[0].Buttons
	if len(btn) != 1 || btn[0].WebAppURL != "https://shop.example/app/?startapp=esim_"+mine.ICCID {
		t.Errorf("top-up button = %+v", btn)
	}
	bs, _ := r.st.Bundles(context.Background(), mine.ICCID)
	if len(bs) != 1 || bs[0].Remaining != 0 || bs[0].State != "depleted" {
		t.Errorf("cache = %+v", bs)
	}
	// The same body again is a duplicate; an unknown eSIM's is ignored.
	if got := r.callback(t, utilisation(mine.ICCID, 0)); got != activities.OutcomeDuplicate {
		t.Errorf("re-delivery: %s", got)
	}
	if got := r.callback(t, utilisation("8900000000000000000", 0)); got != activities.OutcomeUnknownESIM {
		t.Errorf("unknown eSIM: %s", got)
	}
}

// An after-sale message Telegram cannot ever deliver is not retried and
// not lost from sight: a blocked bot is dropped, a refusal for good goes on
// the order's timeline; the alert is done either way.
func TestUndeliverableAlertsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      telegramtest.Fault
		onTimeline bool
	}{
		{"bot blocked", telegramtest.BotBlocked(), false},
		{"chat gone", telegramtest.Fault{Code: http.StatusBadRequest, Description: "Bad Request: chat not found"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			mine := r.soldESIM(t, "o-mine")
			r.tg.SetFault("sendMessage", tc.fault)
			if got := r.callback(t, utilisation(mine.ICCID, 150_000_000)); got != activities.OutcomeUndelivered {
				t.Fatalf("80 %% alert: %s, want %s", got, activities.OutcomeUndelivered)
			}
			r.tg.ClearFaults()
			if got := r.callback(t, utilisation(mine.ICCID, 140_000_000)); got != activities.OutcomeRecorded {
				t.Fatalf("the next usage report: %s, want no second try of the alert", got)
			}
			evs, _ := r.st.Events(context.Background(), "o-mine")
			failed := slices.ContainsFunc(evs, func(e store.Event) bool {
				return e.Kind == "message_failed" && strings.Contains(string(e.Detail), "chat not found")
			})
			sent := slices.ContainsFunc(evs, func(e store.Event) bool { return e.Kind == activities.EventUsageAlert })
			if failed != tc.onTimeline || sent || len(texts(r)) != 0 {
				t.Errorf("message_failed %v (want %v), usage_alert %v, %d messages: %+v", failed, tc.onTimeline, sent, len(texts(r)), evs)
			}
		})
	}
}

func TestUsedUpFirstSuppressesThe80Alert(t *testing.T) {
	r := newRig(t)
	mine := r.soldESIM(t, "o-mine")
	r.callback(t, utilisation(mine.ICCID, 0))
	r.callback(t, utilisation(mine.ICCID, 200_000_000)) // the 80 % one, delivered late
	if msgs := texts(r); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "All 1 GB") {
		t.Fatalf("alerts = %+v, want only the 100 %% one", msgs)
	}
}

func TestProfileStatusCallbacks(t *testing.T) {
	r := newRig(t)
	mine := r.soldESIM(t, "o-mine")
	body := func(status, at string) string {
		return fmt.Sprintf(`{"alertType":"ProfileStatusChange","iccid":%s,"profileStatus":"%s","timestamp":"%s",
			"device":{"eid":"89049032021008881300304741158317"}}`, mine.ICCID, status, at)
	}
	if got := r.callback(t, body("Installed", "2026-01-01T10:00:00Z")); got != activities.OutcomeNotified {
		t.Fatalf("install: %s", got)
	}
	if got := r.callback(t, body("Installed", "2026-01-01T10:00:01Z")); got != activities.OutcomeRecorded {
		t.Fatalf("install again: %s", got)
	}
	if msgs := texts(r); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "is installed ✓") {
		t.Fatalf("notices = %+v", msgs)
	}
	r.callback(t, body("Released", "2026-01-02T10:00:00Z"))
	state, _, _ := r.st.InstallStateOf(context.Background(), mine.ICCID)
	if state != store.InstallRemoved {
		t.Fatalf("state after removal = %s", state)
	}
	if got := r.callback(t, `{"alertType":"CountryChange","iccid":"`+mine.ICCID+`"}`); got != store.CallbackIgnored {
		t.Errorf("unknown type: %s", got)
	}
}

func TestBalanceCallbackIsRecorded(t *testing.T) {
	r := newRig(t)
	if got := r.callback(t, `{"alertType":"LowBalance","balanceInfo":{"balance":42.5,"threshold":100,"thresholdPercentRemaining":42.5}}`); got != activities.OutcomeBalance {
		t.Fatalf("outcome %s", got)
	}
	b, _, found, err := r.st.ESIMGoBalance(context.Background())
	if err != nil || !found || b.String() != "42.5" {
		t.Fatalf("balance = %s %v %v", b, found, err)
	}
}

func TestInstallReminderOnceAndOnlyWhenNotInstalled(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	mine, other := r.soldESIM(t, "o-mine"), r.soldESIM(t, "o-other")
	remind := func(iccid string) string {
		t.Helper()
		val, err := r.env.ExecuteActivity(r.acts.RemindInstall, iccid)
		if err != nil {
			t.Fatal(err)
		}
		var out string
		_ = val.Get(&out)
		return out
	}
	if got := remind(mine.ICCID); got != "reminded" {
		t.Fatalf("first reminder: %s", got)
	}
	if got := remind(mine.ICCID); got != "already_reminded" {
		t.Fatalf("second reminder: %s", got)
	}
	msgs := texts(r)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "not installed yet") || !strings.Contains(msgs[0].Text, mine.MatchingID) ||
		!strings.Contains(msgs[0].Text, "esimsetup.apple.com") {
		t.Fatalf("reminder = %+v", msgs)
	}
	if err := r.esim.Install(other.ICCID); err != nil {
		t.Fatal(err)
	}
	if got := remind(other.ICCID); got != "already_installed" {
		t.Fatalf("installed eSIM: %s", got)
	}
}

// deliver sends an eSIM's QR to the buyer, as an order's delivery does.
func (r *rig) deliver(t *testing.T, orderID string, e contract.ESIM) {
	t.Helper()
	in := activities.DeliverInput{OrderID: orderID, ChatID: buyerChat, Lang: "en", PlanName: "Japan · 1 GB", ESIM: e}
	if _, err := r.env.ExecuteActivity(r.acts.DeliverESIM, in); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) sweep(t *testing.T) (activities.ReminderSweep, error) {
	t.Helper()
	var res activities.ReminderSweep
	val, err := r.env.ExecuteActivity(r.acts.RemindDueInstalls)
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

// The reminder sweep reminds each delivered eSIM still not installed once:
// not one eSIM Go reports installed, not one refunded, not twice.
func TestReminderSweepRemindsEachIdleESIMOnce(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	r.acts.InstallReminderAfter = time.Millisecond
	idle, used, refunded := r.soldESIM(t, "o-idle"), r.soldESIM(t, "o-used"), r.soldESIM(t, "o-refunded")
	for id, e := range map[string]contract.ESIM{"o-idle": idle, "o-used": used, "o-refunded": refunded} {
		r.deliver(t, id, e)
	}
	if err := r.esim.Install(used.ICCID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.Pool.Exec(context.Background(), `UPDATE orders SET status = 'refunded' WHERE id = 'o-refunded'`); err != nil {
		t.Fatal(err)
	}
	// eSIM Go's plan names carry "&" and "<" (its catalogue has such names).
	const planName = "UK & Ireland <5GB> 7 Days"
	if _, err := r.st.Pool.Exec(context.Background(), `UPDATE orders SET plan_name = $1 WHERE id = 'o-idle'`, planName); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	res, err := r.sweep(t)
	if err != nil || res != (activities.ReminderSweep{Due: 2, Reminded: 1, Skipped: 1}) {
		t.Fatalf("first round: %+v %v, want idle reminded and used skipped", res, err)
	}
	msgs := texts(r)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Plain, "not installed yet") || !strings.Contains(msgs[0].Plain, idle.MatchingID) ||
		!strings.Contains(msgs[0].Plain, planName) {
		t.Fatalf("reminders = %+v", msgs)
	}
	if res, err := r.sweep(t); err != nil || res != (activities.ReminderSweep{}) {
		t.Fatalf("second round: %+v %v, want nothing due", res, err)
	}
	evs, _ := r.st.Events(context.Background(), "o-idle")
	if !slices.ContainsFunc(evs, func(e store.Event) bool { return e.Kind == activities.EventInstallReminder }) {
		t.Errorf("no %s on the timeline: %+v", activities.EventInstallReminder, evs)
	}
}

// A reminder Telegram cannot take now is tried again by the next round; one
// it refuses for good is recorded on the order and not tried again.
func TestReminderSweepRetriesOnlyWhatCanSucceed(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	r.acts.InstallReminderAfter = time.Millisecond
	idle := r.soldESIM(t, "o-idle")
	r.deliver(t, "o-idle", idle)
	time.Sleep(10 * time.Millisecond)

	r.tg.SetFault("sendMessage", telegramtest.ServerError())
	if _, err := r.sweep(t); err == nil || !strings.Contains(err.Error(), "all 1 failed") {
		t.Fatalf("Telegram down: %v, want the round failed", err)
	}
	r.tg.SetFault("sendMessage", telegramtest.Fault{Code: http.StatusBadRequest, Description: "Bad Request: chat not found"})
	if res, err := r.sweep(t); err != nil || res != (activities.ReminderSweep{Due: 1, Skipped: 1}) {
		t.Fatalf("refused for good: %+v %v", res, err)
	}
	r.tg.ClearFaults()
	if res, err := r.sweep(t); err != nil || res.Due != 0 || len(texts(r)) != 0 {
		t.Fatalf("after a permanent refusal: %+v %v, %d messages", res, err, len(texts(r)))
	}
	evs, _ := r.st.Events(context.Background(), "o-idle")
	if !slices.ContainsFunc(evs, func(e store.Event) bool {
		return e.Kind == "message_failed" && strings.Contains(string(e.Detail), "chat not found")
	}) {
		t.Errorf("no message_failed on the timeline: %+v", evs)
	}
}

// eSIM Go puts a top-up on a new eSIM (despite allowReassign:false) and
// the answer is lost: the retry must find that order, not buy again.
func TestReassignedTopUpWithALostAnswerIsClaimed(t *testing.T) {
	r := newRig(t)
	r.withUsage()
	mine := r.soldESIM(t, "o-mine")
	p := r.topUpOrder(t, "o-top", mine.ICCID)
	since := time.Now()
	r.esim.ReassignTopUps(mine.ICCID, true)
	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
	in := activities.PlaceInput{OrderID: "o-top", ChargeID: p.ChargeID, Bundle: "esim_1GB_7D_GB_V2", ICCID: mine.ICCID, Since: since}
	got, err := r.place(t, in)
	if err != nil {
		// The attempt's own lookup may come before the listing shows it;
		// Temporal's retry then finds it.
		if got, err = r.place(t, in); err != nil {
			t.Fatal(err)
		}
	}
	orders := r.esim.Orders()
	if len(orders) != 2 || got.Reference != orders[1].Reference || got.ICCID == mine.ICCID {
		t.Fatalf("eSIM Go holds %d orders; the top-up got %+v", len(orders), got)
	}
}
