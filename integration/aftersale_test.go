package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/client"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// The after-sale contract (docs/architecture.md#http-contract): GET
// /api/esims, top-ups through POST /api/orders, POST /esimgo/callback.

type esimCard struct {
	ICCID        string   `json:"iccid"`
	InstallState string   `json:"install_state"`
	OrderIDs     []string `json:"order_ids"`
	PlanName     string   `json:"plan_name"`
	Bundles      []struct {
		Name           string  `json:"name"`
		PlanName       string  `json:"plan_name"`
		InitialBytes   int64   `json:"initial_bytes"`
		RemainingBytes int64   `json:"remaining_bytes"`
		Unlimited      bool    `json:"unlimited"`
		StartsAt       *string `json:"starts_at"`
		EndsAt         *string `json:"ends_at"`
		State          string  `json:"state"`
	} `json:"bundles"`
}

func (s *shop) esims(u telegram.User) []esimCard {
	s.t.Helper()
	var out []esimCard
	if code := s.call("GET", "/api/esims", s.as(u), nil, &out); code != http.StatusOK {
		s.t.Fatalf("GET /api/esims = %d", code)
	}
	return out
}

// delivered buys a plan for u, pays and waits for the QR: the eSIM's ICCID.
func (s *shop) delivered(u telegram.User, plan string) (created, string) {
	s.t.Helper()
	before := len(photos(s.Telegram, u.ID))
	c := s.buyKeyed(u, plan, fmt.Sprintf("buy-%d", time.Now().UnixNano())) // two of one plan are two orders
	s.mustPay(c, u)
	v := s.waitStatus(u, c.OrderID, "fulfilled", 30*time.Second)
	waitFor(s.t, 30*time.Second, "the QR", func() bool { return len(photos(s.Telegram, u.ID)) > before })
	return c, v.ESIM.ICCID
}

func (s *shop) topUp(u telegram.User, plan, iccid string) answer {
	s.t.Helper()
	return s.post(u, "/api/orders", "", map[string]string{"plan_id": plan, "iccid": iccid})
}

// callbacksSettled waits until every callback in the inbox is processed.
func (s *shop) callbacksSettled() {
	s.t.Helper()
	waitFor(s.t, 30*time.Second, "callbacks processed", func() bool {
		return s.count(`SELECT count(*) FROM esimgo_callbacks WHERE processed_at IS NULL`) == 0
	})
}

func textsContaining(f *telegramtest.Fake, user int64, sub string) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, m := range botTexts(f, user) {
		if strings.Contains(m.Text, sub) {
			out = append(out, m)
		}
	}
	return out
}

// TestAfterSaleStory: buy → My eSIMs → install on the phone → "installed ✓"
// → 85 % used, delivered twice → one 80 % alert with a Top up button → a
// top-up from it (no QR: a notice) → My eSIMs shows both bundles.
func TestAfterSaleStory(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	first, iccid := s.delivered(alice, planGB)

	cards := s.esims(alice)
	if len(cards) != 1 || cards[0].ICCID != iccid || cards[0].InstallState != "not_installed" ||
		len(cards[0].OrderIDs) != 1 || cards[0].OrderIDs[0] != first.OrderID || len(cards[0].Bundles) != 1 {
		t.Fatalf("My eSIMs after the purchase = %+v", cards)
	}
	b := cards[0].Bundles[0]
	if b.InitialBytes != 1_000_000_000 || b.RemainingBytes != 1_000_000_000 || b.State != "queued" || b.PlanName == "" {
		t.Fatalf("bundle = %+v", b)
	}
	if got := s.esims(boris); len(got) != 0 {
		t.Fatalf("boris sees %+v", got)
	}

	if err := s.ESIM.Install(iccid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the installed notice", func() bool {
		return len(textsContaining(s.Telegram, alice.ID, "is installed ✓")) == 1
	})

	s.ESIM.SetCallbackFaults(esimgotest.CallbackFaults{Duplicate: true})
	if _, err := s.ESIM.UseData(iccid, 85); err != nil {
		t.Fatal(err)
	}
	s.callbacksSettled()
	alerts := textsContaining(s.Telegram, alice.ID, "80 % of 1 GB used on your eSIM …"+i18n.Tail(iccid))
	if len(alerts) != 1 {
		t.Fatalf("alerts = %d, want 1 (each callback was delivered twice)", len(alerts))
	}
	btn := alerts[0].Buttons
	if len(btn) != 1 || !strings.HasSuffix(btn[0].WebAppURL, "/app/?startapp=esim_"+iccid) || btn[0].Text != "Top up" {
		t.Fatalf("Top up button = %+v", btn)
	}
	if n := s.metric(`esimstore_usage_alerts_total{threshold="80"}`); n != 1 {
		t.Errorf("usage alerts metric = %v", n)
	}

	// The buyer taps Top up: the Mini App lists what fits, then orders one.
	var plans []map[string]any
	if code := s.call("GET", "/api/esims/"+iccid+"/plans", s.as(alice), nil, &plans); code != 200 || len(plans) == 0 {
		t.Fatalf("top-up plans = %d %v", code, plans)
	}
	a := s.topUp(alice, planGB, iccid)
	if a.Status != http.StatusCreated || a.OrderID == "" || a.InvoiceLink == "" {
		t.Fatalf("top-up = %+v", a)
	}
	photosBefore := len(photos(s.Telegram, alice.ID))
	s.mustPay(created{OrderID: a.OrderID, InvoiceLink: a.InvoiceLink}, alice)
	v := s.waitStatus(alice, a.OrderID, "fulfilled", 30*time.Second)
	if v.ESIM == nil || v.ESIM.ICCID != iccid {
		t.Fatalf("top-up order view = %+v", v)
	}
	waitFor(t, 30*time.Second, "the top-up notice", func() bool {
		return len(textsContaining(s.Telegram, alice.ID, "<b>1 GB</b> added to your eSIM …"+i18n.Tail(iccid))) == 1
	})
	if n := len(photos(s.Telegram, alice.ID)); n != photosBefore {
		t.Errorf("a QR was sent for the top-up of an installed eSIM (%d photos, had %d)", n, photosBefore)
	}
	if bs := s.ESIM.BundlesOn(iccid); len(bs) != 2 || len(s.ESIM.ESIMs()) != 1 {
		t.Fatalf("eSIM Go: bundles %v on %d eSIMs", bs, len(s.ESIM.ESIMs()))
	}

	cards = s.esims(alice)
	if len(cards) != 1 || cards[0].InstallState != "installed" || len(cards[0].OrderIDs) != 2 || len(cards[0].Bundles) != 2 {
		t.Fatalf("My eSIMs after the top-up = %+v", cards)
	}
	active, next := cards[0].Bundles[0], cards[0].Bundles[1]
	if active.State != "active" || active.RemainingBytes != 150_000_000 || active.EndsAt == nil ||
		next.State != "queued" || next.RemainingBytes != 1_000_000_000 {
		t.Fatalf("bundles = %+v / %+v, want the active one (150 MB left) first, then the new 1 GB", active, next)
	}

	// /usage in the chat says the same.
	if err := s.Telegram.SendText(ctx, alice, "/usage"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "/usage", func() bool {
		return strings.Contains(lastBotText(t, s.Telegram, alice.ID).Text, "150 MB of 1 GB left")
	})
}

func (s *shop) postCallback(body []byte, signature string) (int, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/esimgo/callback", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(esimgo.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCallbackSignature: forged and absent signatures get 401 and leave no
// trace; base64 and hex signatures are accepted; a re-delivery is a
// duplicate; an unknown alert type is kept and ignored, never a 500.
func TestCallbackSignature(t *testing.T) {
	s := startStore(t, nil)
	key := s.Cfg.ESIMGoAPIKey
	body := []byte(`{"iccid":"8944538532008160222","alertType":"Utilisation","bundle":{"id":"1","name":"esim_1GB_7D_GB_V2",` +
		`"initialQuantity":1000000000,"remainingQuantity":100000000,"reference":"r-0","unlimited":false}}`)
	for name, sig := range map[string]string{
		"absent":          "",
		"other key":       esimgo.Sign("not-the-key", body),
		"other body":      esimgo.Sign(key, append(bytes.Clone(body), ' ')),
		"garbage":         "sha256=deadbeef",
		"key as the sig":  key,
		"hex of the body": strings.Repeat("0", 64),
	} {
		if code, out := s.postCallback(body, sig); code != http.StatusUnauthorized || out["error"] != "unauthorized" {
			t.Errorf("%s: %d %v, want 401", name, code, out)
		}
	}
	if n := s.count(`SELECT count(*) FROM esimgo_callbacks`); n != 0 {
		t.Fatalf("forged callbacks stored: %d", n)
	}
	if n := s.metric("esimstore_esimgo_callbacks_rejected_total"); n != 6 {
		t.Errorf("rejected metric = %v", n)
	}

	if code, out := s.postCallback(body, esimgo.Sign(key, body)); code != 200 || out["duplicate"] != false {
		t.Fatalf("signed: %d %v", code, out)
	}
	s.callbacksSettled()
	if code, out := s.postCallback(body, esimgo.SignHex(key, body)); code != 200 || out["duplicate"] != true {
		t.Fatalf("hex-signed re-delivery: %d %v", code, out)
	}
	unknown := []byte(`{"alertType":"CountryChange","iccid":8944538532008160222,"country":"JP"}`)
	if code, _ := s.postCallback(unknown, esimgo.Sign(key, unknown)); code != 200 {
		t.Fatalf("unknown type: %d", code)
	}
	junk := []byte(`not json at all`)
	if code, _ := s.postCallback(junk, esimgo.Sign(key, junk)); code != 200 {
		t.Fatalf("signed junk: %d", code)
	}
	s.callbacksSettled()
	outcomes := map[string]string{}
	rows, err := s.App.Store.Pool.Query(context.Background(), `SELECT alert_type, outcome FROM esimgo_callbacks`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, outcome string
		if err := rows.Scan(&typ, &outcome); err != nil {
			t.Fatal(err)
		}
		outcomes[typ] = outcome
	}
	if len(outcomes) != 3 || outcomes["Utilisation"] != "unknown_esim" || outcomes["CountryChange"] != "ignored" || outcomes[""] != "malformed" {
		t.Errorf("inbox outcomes = %v", outcomes)
	}
}

// TestTopUpRules: another buyer's eSIM is not found, an incompatible plan
// is refused before any invoice, pre-checkout asks again, and a top-up eSIM
// Go refuses after payment is refunded.
func TestTopUpRules(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	_, iccid := s.delivered(alice, planGB)

	wantRefusal(t, "boris tops up alice's eSIM", s.topUp(boris, planGB, iccid), http.StatusNotFound, "esim_not_found")
	wantRefusal(t, "an unknown eSIM", s.topUp(alice, planGB, "8900000000000000000"), http.StatusNotFound, "esim_not_found")
	wantRefusal(t, "a malformed ICCID", s.topUp(alice, planGB, "89/../x"), http.StatusUnprocessableEntity, "invalid_body")
	unlimited := "esim_ULE_7D_GB_V2"
	s.ESIM.SetCompatible(iccid, unlimited, false)
	wantRefusal(t, "an incompatible plan", s.topUp(alice, unlimited, iccid), http.StatusConflict, "incompatible")
	if n := s.count(`SELECT count(*) FROM orders WHERE top_up_iccid IS NOT NULL`); n != 0 {
		t.Fatalf("refused top-ups left %d orders", n)
	}

	// Pre-checkout asks again: eSIM Go changed its mind since the order.
	a := s.topUp(alice, planGB, iccid)
	if a.Status != http.StatusCreated {
		t.Fatalf("top-up: %+v", a)
	}
	s.ESIM.SetCompatible(iccid, planGB, false)
	if _, err := s.App.Store.Pool.Exec(ctx, `DELETE FROM esim_compatibility`); err != nil {
		t.Fatal(err)
	}
	res, err := s.Telegram.Pay(ctx, a.InvoiceLink, alice)
	if err != nil || res.Approved || res.ErrorMessage != i18n.T("en", i18n.CheckoutIncompatible) {
		t.Fatalf("pre-checkout of an incompatible top-up: %+v %v", res, err)
	}

	// The cache says it fits, eSIM Go refuses at the order: refunded.
	s.ESIM.SetCompatible(iccid, planGB, true)
	if _, err := s.App.Store.Pool.Exec(ctx, `DELETE FROM esim_compatibility`); err != nil {
		t.Fatal(err)
	}
	b := s.post(alice, "/api/orders", "second", map[string]string{"plan_id": planGB, "iccid": iccid})
	if b.Status != http.StatusCreated {
		t.Fatalf("second top-up: %+v", b)
	}
	s.ESIM.SetCompatible(iccid, planGB, false)
	charge := s.mustPay(created{OrderID: b.OrderID, InvoiceLink: b.InvoiceLink}, alice)
	v := s.waitStatus(alice, b.OrderID, "refunded", 30*time.Second)
	if s.Telegram.Refunds()[charge] != 1 || v.Refund == nil || v.Refund.Code != string(contract.RefundESIMFailed) {
		t.Fatalf("refund: %v, view %+v", s.Telegram.Refunds()[charge], v)
	}
	if n, bs := len(s.ESIM.ESIMs()), s.ESIM.BundlesOn(iccid); n != 1 || len(bs) != 1 {
		t.Fatalf("a refused top-up bought something: %d eSIMs, bundles %v", n, bs)
	}
}

// TestReassignedTopUpGetsTheNewQR: eSIM Go puts a top-up on a new eSIM
// (allowReassign:false notwithstanding): the buyer gets that eSIM's QR and
// why, and My eSIMs shows both.
func TestReassignedTopUpGetsTheNewQR(t *testing.T) {
	s := startStore(t, nil)
	_, iccid := s.delivered(boris, planGB)
	s.ESIM.ReassignTopUps(iccid, true)
	a := s.topUp(boris, planGB, iccid)
	if a.Status != http.StatusCreated {
		t.Fatalf("top-up: %+v", a)
	}
	s.mustPay(created{OrderID: a.OrderID, InvoiceLink: a.InvoiceLink}, boris)
	v := s.waitStatus(boris, a.OrderID, "fulfilled", 30*time.Second)
	if v.ESIM == nil || v.ESIM.ICCID == iccid || v.ESIM.MatchingID == "" {
		t.Fatalf("order view = %+v, want the new eSIM", v.ESIM)
	}
	waitFor(t, 30*time.Second, "the new QR", func() bool { return len(photos(s.Telegram, boris.ID)) == 2 })
	last := photos(s.Telegram, boris.ID)[1]
	if !strings.Contains(last.Text, "выпущен на новой eSIM") || !strings.Contains(last.Text, "…"+i18n.Tail(iccid)) ||
		!strings.Contains(last.Text, v.ESIM.MatchingID) {
		t.Fatalf("caption = %q", last.Text)
	}
	cards := s.esims(boris)
	if len(cards) != 2 || cards[0].ICCID != v.ESIM.ICCID || cards[1].ICCID != iccid {
		t.Fatalf("My eSIMs = %+v", cards)
	}
}

// TestInstallReminder: the install-reminder schedule reminds an eSIM not
// installed INSTALL_REMINDER_AFTER after delivery, once, with the install
// links; an installed one gets none, and a later round sends nothing.
func TestInstallReminder(t *testing.T) {
	s := startStore(t, func(c *configT) { c.InstallReminderAfter = 2 * time.Second })
	ctx := context.Background()
	h := s.App.Temporal.ScheduleClient().GetHandle(ctx, s.App.InstallReminderScheduleID())
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatalf("install-reminder schedule: %v", err)
	}
	if in := desc.Schedule.Spec.Intervals; len(in) != 1 || in[0].Every != s.Cfg.InstallReminderSweep {
		t.Errorf("schedule spec = %+v, want every %s", desc.Schedule.Spec, s.Cfg.InstallReminderSweep)
	}
	_, idle := s.delivered(alice, planGB)
	_, used := s.delivered(alice, planGB)
	if err := s.ESIM.Install(used); err != nil {
		t.Fatal(err)
	}
	time.Sleep(s.Cfg.InstallReminderAfter)

	// round triggers the schedule, as an operator would in the Web UI, and
	// waits for that run's result.
	round := func() activities.ReminderSweep {
		t.Helper()
		before := len(desc.Info.RecentActions)
		if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the triggered run", func() bool {
			desc, err = h.Describe(ctx)
			return err == nil && len(desc.Info.RecentActions) > before
		})
		run := desc.Info.RecentActions[len(desc.Info.RecentActions)-1].StartWorkflowResult
		var res activities.ReminderSweep
		if err := s.App.Temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res); err != nil {
			t.Fatalf("reminder round: %v", err)
		}
		return res
	}
	// The installed eSIM is skipped: found installed by eSIM Go's
	// callback already, or by the round's own read.
	if res := round(); res.Reminded != 1 || res.Failed != 0 || res.Due != res.Reminded+res.Skipped {
		t.Fatalf("first round = %+v, want the idle eSIM reminded", res)
	}
	reminders := textsContaining(s.Telegram, alice.ID, "is not installed yet")
	if len(reminders) != 1 || !strings.Contains(reminders[0].Text, "…"+i18n.Tail(idle)) ||
		!strings.Contains(reminders[0].Text, "esimsetup.apple.com") || !strings.Contains(reminders[0].Text, "data roaming") {
		t.Fatalf("reminders = %+v", reminders)
	}
	if res := round(); res != (activities.ReminderSweep{}) {
		t.Fatalf("second round = %+v, want nothing due", res)
	}
	if n := len(textsContaining(s.Telegram, alice.ID, "is not installed yet")); n != 1 {
		t.Fatalf("%d reminders after the second round", n)
	}
}

// TestSalesPauseBelowTheFloor: a balance alert under STOP_SALES_BELOW_USD
// pauses sales — new orders get 503 sales_paused, an order already open is
// refused at pre-checkout, so no Stars are taken — and operators see it.
func TestSalesPauseBelowTheFloor(t *testing.T) {
	s := startStore(t, func(c *configT) { c.StopSalesBelowUSD = decimal.NewFromInt(50) })
	ctx := context.Background()
	open := s.buy(alice, planGB)
	s.ESIM.SetBalance(decimal.NewFromInt(20))
	if err := s.ESIM.SendBalanceAlert(esimgo.AlertLowBalance, decimal.NewFromInt(100)); err != nil {
		t.Fatal(err)
	}
	s.callbacksSettled()
	if n := s.metric(`esimstore_esimgo_balance_alerts_total{type="LowBalance"}`); n != 1 {
		t.Errorf("balance alert metric = %v", n)
	}
	a := s.post(boris, "/api/orders", "", map[string]string{"plan_id": planGB})
	wantRefusal(t, "an order below the floor", a, http.StatusServiceUnavailable, "sales_paused")
	res, err := s.Telegram.Pay(ctx, open.InvoiceLink, alice)
	if err != nil || res.Approved || res.ChargeID != "" || res.ErrorMessage != i18n.T("en", i18n.CheckoutSalesPaused) {
		t.Fatalf("paying an open order while paused: %+v %v", res, err)
	}
}
