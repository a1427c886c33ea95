package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
)

// sold puts an order with a paid charge and its eSIM order in the ledger.
func sold(t *testing.T, s *store.Store, user int64, orderID, iccid string, status contract.Status, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Japan 1 GB', 1000, 7, 1.36, 1.77, 137) ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrder(ctx, store.Order{ID: orderID, UserID: user, ChatID: user, PlanID: "p1", PlanName: "Japan 1 GB",
		Status: status, PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137, QuoteExpiresAt: at, LanguageCode: "ru",
		Source: contract.SourceMiniApp}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPayment(ctx, store.Payment{ChargeID: "ch-" + orderID, OrderID: orderID, UserID: user,
		Currency: "XTR", TotalAmount: 137, InvoicePayload: orderID}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordESIMOrder(ctx, store.ESIMOrder{Reference: "ref-" + orderID, OrderID: orderID, ChargeID: "ch-" + orderID,
		Bundle: "p1", ICCID: iccid, SMDPAddress: "rsp.example", MatchingID: "M-" + orderID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE esim_orders SET created_at = $2 WHERE esimgo_reference = $1`, "ref-"+orderID, at); err != nil {
		t.Fatal(err)
	}
}

func TestBuyerESIMsOwnershipAndOrder(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	const alice, boris = int64(5_079_065_042), int64(1 << 40)
	t0 := time.Now().Add(-time.Hour)
	sold(t, s, alice, "o1", "8944000000000000001", contract.StatusFulfilled, t0)
	sold(t, s, alice, "o2", "8944000000000000002", contract.StatusFulfilled, t0.Add(time.Minute))
	sold(t, s, alice, "o3", "8944000000000000001", contract.StatusFulfilled, t0.Add(2*time.Minute)) // a top-up
	sold(t, s, alice, "o4", "8944000000000000004", contract.StatusRefunded, t0.Add(3*time.Minute))
	sold(t, s, boris, "o5", "8944000000000000005", contract.StatusFulfilled, t0)

	list, err := s.BuyerESIMs(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ICCID != "8944000000000000002" || list[1].ICCID != "8944000000000000001" {
		t.Fatalf("alice's eSIMs = %+v, want …002 then …001 (newest first, refunded one left out)", list)
	}
	if got := list[1].OrderIDs; len(got) != 2 || got[0] != "o1" || got[1] != "o3" {
		t.Errorf("order ids = %v, want purchase then top-up", got)
	}
	if list[1].InstallState != store.InstallNotInstalled || list[1].PlanName != "Japan 1 GB" {
		t.Errorf("eSIM = %+v", list[1])
	}

	own, err := s.OwnerOfESIM(ctx, "8944000000000000001")
	if err != nil || own.UserID != alice || own.OrderID != "o3" || own.MatchingID != "M-o1" || own.LanguageCode != "ru" {
		t.Errorf("owner = %+v, %v", own, err)
	}
	if _, err := s.OwnerOfESIM(ctx, "8944000000000000004"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("owner of a refunded eSIM: %v, want not found", err)
	}
	if _, err := s.OwnerOfESIM(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("owner of an unknown eSIM: %v", err)
	}
}

func TestClaimESIMRefreshLetsOneThrough(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimESIMRefresh(ctx, "8944", 5*time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if claimed != 1 {
		t.Fatalf("%d of 20 concurrent claims won, want 1", claimed)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE esims SET refresh_claimed_at = now() - interval '301 seconds'`); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimESIMRefresh(ctx, "8944", 5*time.Minute); err != nil || !ok {
		t.Fatalf("claim after the interval: %v %v", ok, err)
	}
}

func TestApplyUsageNeverRaisesDataLeft(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	const iccid = "8944"
	assigned := time.Now().Add(-time.Hour)
	if err := s.SaveESIMRefresh(ctx, iccid, &store.ProfileInfo{InstallState: store.InstallInstalled, ProfileStatus: "Installed"},
		[]store.ESIMBundle{{Assignment: "ref-0", AssignmentID: "215", Name: "p1", Initial: 1e9, Remaining: 1e9, State: "queued",
			AssignedAt: &assigned}}); err != nil {
		t.Fatal(err)
	}
	b, err := s.ApplyUsage(ctx, iccid, store.ESIMBundle{Assignment: "ref-0", Name: "p1", Initial: 1e9, Remaining: 2e8})
	if err != nil || b.Remaining != 2e8 || b.State != "active" || b.AssignmentID != "215" {
		t.Fatalf("after 80 %%: %+v %v", b, err)
	}
	// The 50 % callback delivered late changes nothing.
	if b, err = s.ApplyUsage(ctx, iccid, store.ESIMBundle{AssignmentID: "215", Name: "p1", Initial: 1e9, Remaining: 5e8}); err != nil || b.Remaining != 2e8 {
		t.Fatalf("late 50 %%: %+v %v", b, err)
	}
	// A callback naming no assignment finds the bundle in use by name.
	if b, err = s.ApplyUsage(ctx, iccid, store.ESIMBundle{Name: "p1", Initial: 1e9, Remaining: 0}); err != nil || b.State != "depleted" || b.Assignment != "ref-0" {
		t.Fatalf("100 %% by name: %+v %v", b, err)
	}
	bs, err := s.Bundles(ctx, iccid)
	if err != nil || len(bs) != 1 {
		t.Fatalf("bundles = %+v %v", bs, err)
	}
}

func TestAlertsAreClaimedOnce(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if ok, err := s.ClaimAlert(ctx, "8944", "ref-0", 80); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, _ := s.ClaimAlert(ctx, "8944", "ref-0", 80); !ok {
		t.Fatal("a claim not yet sent must be retried")
	}
	if err := s.MarkAlertSent(ctx, "8944", "ref-0", 80); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimAlert(ctx, "8944", "ref-0", 80); ok {
		t.Fatal("a sent alert was claimed again")
	}
	if err := s.SuppressAlert(ctx, "8944", "ref-1", 80); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimAlert(ctx, "8944", "ref-1", 80); ok {
		t.Fatal("a suppressed alert was claimed")
	}
	if err := s.SuppressAlert(ctx, "8944", "ref-0", 80); err != nil {
		t.Fatal(err)
	}
	var suppressed bool
	if err := s.Pool.QueryRow(ctx, `SELECT suppressed FROM esim_alerts WHERE assignment = 'ref-0'`).Scan(&suppressed); err != nil || suppressed {
		t.Fatalf("a sent alert became suppressed: %v %v", suppressed, err)
	}
}

func TestApplyProfileStatusOutOfOrder(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	ch, err := s.ApplyProfileStatus(ctx, "a", store.InstallInstalled, "Installed", t0)
	if err != nil || ch.After != store.InstallInstalled || !ch.NotifyInstalled {
		t.Fatalf("install: %+v %v", ch, err)
	}
	// Removal, then the install reported again late: removal stands.
	if ch, _ = s.ApplyProfileStatus(ctx, "a", store.InstallRemoved, "Released", t0.Add(time.Hour)); ch.After != store.InstallRemoved {
		t.Fatalf("removal: %+v", ch)
	}
	if ch, _ = s.ApplyProfileStatus(ctx, "a", store.InstallInstalled, "Installed", t0); ch.After != store.InstallRemoved || ch.NotifyInstalled {
		t.Fatalf("late install: %+v", ch)
	}
	// Without times: forward only, and the notice is claimed once.
	if ch, _ = s.ApplyProfileStatus(ctx, "b", store.InstallInstalled, "Installed", time.Time{}); !ch.NotifyInstalled {
		t.Fatalf("b installed: %+v", ch)
	}
	if err := s.UnclaimInstalledNotice(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if ch, _ = s.ApplyProfileStatus(ctx, "b", store.InstallNotInstalled, "Released", time.Time{}); ch.After != store.InstallInstalled {
		t.Fatalf("b went back: %+v", ch)
	}
	state, _, err := s.InstallStateOf(ctx, "b")
	if err != nil || state != store.InstallInstalled {
		t.Fatalf("state of b = %q %v", state, err)
	}
	if ok, _ := s.ClaimInstallReminder(ctx, "b"); !ok {
		t.Fatal("reminder not claimed")
	}
	if ok, _ := s.ClaimInstallReminder(ctx, "b"); ok {
		t.Fatal("reminder claimed twice")
	}
}

func TestCallbackInboxAndBalance(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	raw := []byte(`{"iccid":8944538532008160222,"alertType":"FirstUse"}`)
	h := store.CallbackHash(raw)
	for i := range 2 {
		processed, err := s.SaveCallback(ctx, h, "FirstUse", "8944538532008160222", raw)
		if err != nil || processed {
			t.Fatalf("save %d: %v %v", i, processed, err)
		}
	}
	got, processed, err := s.CallbackBody(ctx, h)
	if err != nil || processed || string(got) != string(raw) {
		t.Fatalf("body = %q %v %v", got, processed, err)
	}
	if err := s.MarkCallbackProcessed(ctx, h, store.CallbackIgnored); err != nil {
		t.Fatal(err)
	}
	if processed, _ := s.SaveCallback(ctx, h, "FirstUse", "", raw); !processed {
		t.Fatal("a processed callback was not recognised")
	}
	if n, _ := s.CountCallbacks(ctx); n != 1 {
		t.Fatalf("inbox holds %d rows, want 1", n)
	}

	if ok, _ := s.ClaimBalanceRead(ctx, time.Minute); !ok {
		t.Fatal("first balance read not claimed")
	}
	if _, _, found, err := s.ESIMGoBalance(ctx); err != nil || found {
		t.Fatalf("a claim is not a balance: %v %v", found, err)
	}
	if ok, _ := s.ClaimBalanceRead(ctx, time.Minute); ok {
		t.Fatal("balance read claimed twice within the minute")
	}
	if err := s.SetESIMGoBalance(ctx, decimal.RequireFromString("99.5"), store.BalanceFromCallback); err != nil {
		t.Fatal(err)
	}
	b, _, found, err := s.ESIMGoBalance(ctx)
	if err != nil || !found || b.String() != "99.5" {
		t.Fatalf("balance = %s %v %v", b, found, err)
	}
}

func TestInstallRemindersDue(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	const buyer = int64(5_079_065_042)
	// ICCIDs as eSIM Go issues them: 19 digits, kept as text.
	const (
		iccidA = "8944538532008160210"
		iccidB = "8944538532008160211"
		iccidC = "8944538532008160212"
		iccidD = "8944538532008160213"
		iccidE = "8944538532008160214"
		iccidF = "8944538532008160215"
		iccidG = "8944538532008160216"
		iccidH = "8944538532008160217"
	)
	now := time.Now()
	// delivered writes the event DeliverESIM writes (topUpOf: the eSIM a
	// top-up asked for, "" for a new eSIM).
	delivered := func(orderID, iccid string, ago time.Duration, topUpOf string) {
		t.Helper()
		detail := map[string]any{"iccid": iccid}
		if topUpOf != "" {
			detail["top_up_of"], detail["qr_sent"] = topUpOf, true
		}
		if _, err := s.Pool.Exec(ctx, `INSERT INTO order_events (order_id, event_key, kind, detail, created_at)
			VALUES ($1, $1 || ':delivered' || $2, 'delivered', $3, $4)`, orderID, ago.String(), detail, now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	sale := func(orderID, iccid string, status contract.Status, ago time.Duration, topUpOf string) {
		t.Helper()
		sold(t, s, buyer, orderID, iccid, status, now.Add(-ago))
		delivered(orderID, iccid, ago, topUpOf)
	}
	sale("o-due", iccidA, contract.StatusFulfilled, 25*time.Hour, "")
	sale("o-young", iccidB, contract.StatusFulfilled, time.Hour, "")
	sale("o-old", iccidC, contract.StatusFulfilled, 100*time.Hour, "")
	sale("o-reminded", iccidD, contract.StatusFulfilled, 30*time.Hour, "")
	sale("o-installed", iccidE, contract.StatusFulfilled, 30*time.Hour, "")
	sale("o-refunded", iccidF, contract.StatusRefunded, 26*time.Hour, "")
	sale("o-topup", iccidC, contract.StatusFulfilled, 25*time.Hour, iccidC)
	sale("o-first", iccidG, contract.StatusFulfilled, 40*time.Hour, "")
	delivered("o-first", iccidG, 39*time.Hour, "") // an operator's re-send
	delivered("o-unsold", iccidH, 25*time.Hour, "")
	if ok, err := s.ClaimInstallReminder(ctx, iccidD); !ok || err != nil {
		t.Fatal("claim D", err)
	}
	if _, err := s.ApplyProfileStatus(ctx, iccidE, store.InstallInstalled, "Installed", now); err != nil {
		t.Fatal(err)
	}
	// Looked at but still not installed: due like one never looked at.
	if _, err := s.ClaimESIMRefresh(ctx, iccidA, time.Minute); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{10, []string{iccidG, iccidA}},
		{1, []string{iccidG}},
	}
	for _, tt := range tests {
		got, err := s.InstallRemindersDue(ctx, 24*time.Hour, 72*time.Hour, tt.limit)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("limit %d: due = %v %v, want %v (earliest delivery first)", tt.limit, got, err, tt.want)
		}
	}
}
