package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type financeLine struct {
	Date          string `json:"date"`
	PlanID        string `json:"plan_id"`
	StarsReceived int64  `json:"stars_received"`
	StarsRefunded int64  `json:"stars_refunded"`
	StarsNet      int64  `json:"stars_net"`
	WholesaleUSD  string `json:"wholesale_usd"`
	MarginUSD     string `json:"margin_usd"`
}

type financeReport struct {
	financeLine
	TimeZone              string        `json:"time_zone"`
	StarBalance           *int64        `json:"star_balance"`
	StarBalanceExpected   int64         `json:"star_balance_expected"`
	StarBalanceDifference *int64        `json:"star_balance_difference"`
	ESIMGoBalanceUSD      *string       `json:"esimgo_balance_usd"`
	WholesaleLast7DaysUSD string        `json:"wholesale_last_7_days_usd"`
	RunwayDays            *string       `json:"runway_days"`
	Days                  []financeLine `json:"days"`
	Plans                 []financeLine `json:"plans"`
}

// GET /admin/finance over a real store: one eSIM sold (137 Stars, bought
// from eSIM Go for 1.36 USD), one paid order whose eSIM eSIM Go refused
// (137 Stars in and out), and 7 Stars withdrawn at Telegram behind the
// ledger's back.
func TestFinanceTotals(t *testing.T) {
	s := startStore(t, nil)
	sold := s.buy(alice, planGB)
	s.mustPay(sold, alice)
	s.waitStatus(alice, sold.OrderID, "fulfilled", 30*time.Second)
	s.refuseESIM()
	failed := s.buy(boris, planGB)
	s.mustPay(failed, boris)
	s.waitStatus(boris, failed.OrderID, "refunded", 30*time.Second)
	if err := s.Telegram.Withdraw(7); err != nil {
		t.Fatal(err)
	}

	// Yesterday to tomorrow, so a run across midnight UTC still sees both orders.
	now := time.Now().UTC()
	q := "/admin/finance?from=" + now.AddDate(0, 0, -1).Format("2006-01-02") + "&to=" + now.AddDate(0, 0, 1).Format("2006-01-02")
	if code := s.call("GET", q, nil, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", code)
	}
	var rep financeReport
	if code := s.call("GET", q, s.admin(), nil, &rep); code != http.StatusOK {
		t.Fatalf("finance: %d", code)
	}
	want := financeLine{StarsReceived: 274, StarsRefunded: 137, StarsNet: 137, WholesaleUSD: "1.36", MarginUSD: "0.421"}
	if rep.financeLine != want || rep.TimeZone != "UTC" {
		t.Errorf("totals %+v, want %+v", rep.financeLine, want)
	}
	if rep.StarBalance == nil || *rep.StarBalance != 130 || rep.StarBalanceExpected != 137 ||
		rep.StarBalanceDifference == nil || *rep.StarBalanceDifference != -7 {
		t.Errorf("star balance %v, expected %d, difference %v", rep.StarBalance, rep.StarBalanceExpected, rep.StarBalanceDifference)
	}
	// The sandbox's eSIM Go account opens with 100,000 USD: 1.36 spent, so
	// 99,998.64 left for 699,990.48 / 1.36 = 514,698.88… days.
	if rep.ESIMGoBalanceUSD == nil || *rep.ESIMGoBalanceUSD != "99998.64" || rep.WholesaleLast7DaysUSD != "1.36" ||
		rep.RunwayDays == nil || *rep.RunwayDays != "514698.8" {
		t.Errorf("esim go balance %v, spend %s, runway %v", rep.ESIMGoBalanceUSD, rep.WholesaleLast7DaysUSD, rep.RunwayDays)
	}
	if len(rep.Days) != 3 || rep.Days[0].Date != now.AddDate(0, 0, -1).Format("2006-01-02") {
		t.Fatalf("days %+v", rep.Days)
	}
	var sum financeLine
	for _, d := range rep.Days {
		sum.StarsReceived += d.StarsReceived
		sum.StarsRefunded += d.StarsRefunded
	}
	if sum.StarsReceived != 274 || sum.StarsRefunded != 137 {
		t.Errorf("days add up to %+v", sum)
	}
	if len(rep.Plans) != 1 || rep.Plans[0].PlanID != planGB || rep.Plans[0].StarsNet != 137 || rep.Plans[0].MarginUSD != "0.421" {
		t.Errorf("plans %+v", rep.Plans)
	}

	// Bad periods answer 400 with the contract's error shape.
	for _, tt := range []struct{ query, code string }{
		{"?from=2026-5-1", "invalid_date"},
		{"?to=tomorrow", "invalid_date"},
		{"?from=2026-05-08&to=2026-05-07", "invalid_period"},
		{"?from=2024-01-01&to=2025-06-30", "invalid_period"},
	} {
		var e struct{ Error, Message string }
		if code := s.call("GET", "/admin/finance"+tt.query, s.admin(), nil, &e); code != http.StatusBadRequest || e.Error != tt.code || e.Message == "" {
			t.Errorf("%s: %d %+v, want 400 %s", tt.query, code, e, tt.code)
		}
	}
	// Without dates: the last 30 days, today included.
	var def financeReport
	if code := s.call("GET", "/admin/finance", s.admin(), nil, &def); code != http.StatusOK || len(def.Days) != 30 ||
		def.Days[29].Date != now.Format("2006-01-02") || !strings.HasPrefix(def.WholesaleUSD, "1.36") {
		t.Errorf("default period: %d days, totals %+v", len(def.Days), def.financeLine)
	}
}
