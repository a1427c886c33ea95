package finance_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ledger writes rows the way the store's activities do, at chosen times.
type ledger struct {
	t  *testing.T
	st *store.Store
}

func (l ledger) exec(sql string, args ...any) {
	l.t.Helper()
	if _, err := l.st.Pool.Exec(context.Background(), sql, args...); err != nil {
		l.t.Fatalf("%s: %v", sql, err)
	}
}

func (l ledger) plan(id, name, wholesale string, stars int64) {
	l.exec(`INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ($1, $2, 1024, 7, $3, 9.99, $4)`, id, name, wholesale, stars)
}

func (l ledger) order(id, plan, name string) {
	l.exec(`INSERT INTO orders (id, user_id, chat_id, plan_id, plan_name, status, price_usd, price_stars, quote_expires_at)
		VALUES ($1, 5079065042, 5079065042, $2, $3, 'fulfilled', 1.77, 137, now())`, id, plan, name)
}

func (l ledger) payment(charge, order string, stars int64, when string) {
	l.exec(`INSERT INTO payments (telegram_payment_charge_id, order_id, user_id, currency, total_amount, invoice_payload, received_at)
		VALUES ($1, $2, 5079065042, 'XTR', $3, $2, $4)`, charge, order, stars, at(when))
}

// refund with completed "" is still pending.
func (l ledger) refund(charge, order string, stars int64, completed string) {
	status, done := "pending", (*time.Time)(nil)
	if completed != "" {
		c := at(completed)
		status, done = "done", &c
	}
	l.exec(`INSERT INTO refunds (telegram_payment_charge_id, order_id, user_id, stars, reason, requested_by, status, completed_at)
		VALUES ($1, $2, 5079065042, $3, 'test', 'system', $4, $5)`, charge, order, stars, status, done)
}

// esim with total "" had no price in eSIM Go's answer.
func (l ledger) esim(ref, order, charge, bundle, iccid, total, when string) {
	var usd *string
	if total != "" {
		usd = &total
	}
	l.exec(`INSERT INTO esim_orders (esimgo_reference, order_id, charge_id, bundle, iccid, total_usd, created_at)
		VALUES ($1, $2, $3, $4, $5, $6::numeric, $7)`, ref, order, charge, bundle, iccid, usd, at(when))
}

func (l ledger) revoked(order, iccid, bundle, when string) {
	l.exec(`INSERT INTO order_events (order_id, event_key, kind, detail, created_at)
		VALUES ($1, $1 || ':bundle_revoked', 'bundle_revoked', jsonb_build_object('iccid', $2::text, 'bundle', $3::text), $4)`,
		order, iccid, bundle, at(when))
}

const (
	gb = "esim_1GB_7D_GB_V2"
	de = "esim_5GB_30D_DE_V2"
)

// buildLedger is three days of business (1–3 May 2026) plus rows just
// outside them, with the UTC day boundaries exercised to the microsecond.
func buildLedger(t *testing.T) *store.Store {
	st, _ := testenv.Store(t)
	l := ledger{t, st}
	l.plan(gb, "United Kingdom 1 GB", "1.36", 137)
	l.plan(de, "Germany 5 GB <30 days> & more", "4.20", 425)
	for _, o := range []struct{ id, plan string }{{"o0", gb}, {"o1", gb}, {"o2", de}, {"o3", gb}, {"o4", de}, {"o6", gb}, {"o7", gb}} {
		name := "United Kingdom 1 GB"
		if o.plan == de {
			name = "Germany 5 GB <30 days> & more"
		}
		l.order(o.id, o.plan, name)
	}
	// Before the period: a payment a microsecond before 1 May, its eSIM,
	// and its refund, which Telegram confirmed on 1 May (so it counts then).
	l.payment("c0", "o0", 137, "2026-04-30T23:59:59.999999Z")
	l.esim("r0", "o0", "c0", gb, "8944000000000000000", "1.3600", "2026-04-30T23:59:59.999999Z")
	l.refund("c0", "o0", 137, "2026-05-01T01:00:00Z")
	// 1 May.
	l.payment("c1", "o1", 137, "2026-05-01T00:00:00Z")
	l.esim("r1", "o1", "c1", gb, "8944000000000000001", "1.3600", "2026-05-01T00:00:05Z")
	l.payment("c2", "o2", 425, "2026-05-01T12:00:00Z")
	l.esim("r2", "o2", "c2", de, "8944000000000000002", "4.2000", "2026-05-01T12:00:03Z")
	l.payment("c3", "o3", 137, "2026-05-01T13:00:00Z") // eSIM refused: refunded the next morning
	l.refund("c3", "o3", 137, "2026-05-02T09:00:00Z")
	// 2 May: a DE order that support refunds on 3 May, its bundle revoked
	// and credited; a payment whose payload names no order, refund pending.
	l.payment("c4", "o4", 425, "2026-05-02T10:00:00Z")
	l.esim("r4", "o4", "c4", de, "8944000000000000004", "4.2000", "2026-05-02T10:00:01Z")
	l.revoked("o4", "8944000000000000004", de, "2026-05-03T08:00:00Z")
	l.refund("c4", "o4", 425, "2026-05-03T08:00:02Z")
	l.payment("c5", "bogus", 50, "2026-05-02T23:59:59.999999Z")
	l.refund("c5", "bogus", 50, "")
	// 3 May: an eSIM whose order answer carried no price.
	l.payment("c6", "o6", 137, "2026-05-03T15:00:00Z")
	l.esim("r6", "o6", "c6", gb, "8944000000000000006", "", "2026-05-03T15:00:01Z")
	// After the period, to the microsecond.
	l.payment("c7", "o7", 137, "2026-05-04T00:00:00Z")
	return st
}

type stars struct {
	bal telegram.StarAmount
	err error
}

func (s stars) MyStarBalance(context.Context) (telegram.StarAmount, error) { return s.bal, s.err }

type org struct {
	o   esimgo.Organisation
	err error
}

func (o org) Organisation(context.Context) (esimgo.Organisation, error) { return o.o, o.err }

type want struct {
	date, plan                 string
	received, refunded, net    int64
	payments, refunds          int
	revenue, wholesale, credit string
	margin                     string
	esims, unpriced            int
}

func check(t *testing.T, got finance.Line, w want) {
	t.Helper()
	if got.Date != w.date || got.PlanID != w.plan || got.StarsReceived != w.received || got.StarsRefunded != w.refunded ||
		got.StarsNet != w.net || got.Payments != w.payments || got.Refunds != w.refunds ||
		got.RevenueUSD.String() != w.revenue || got.WholesaleUSD.String() != w.wholesale || got.CreditedUSD.String() != w.credit ||
		got.MarginUSD.String() != w.margin || got.ESIMOrders != w.esims || got.UnpricedESIMOrders != w.unpriced {
		t.Errorf("line %s%s:\n got  %+v\n want %+v", w.date, w.plan, got, w)
	}
}

func TestReportAgainstABuiltLedger(t *testing.T) {
	st := buildLedger(t)
	r := &finance.Reporter{Ledger: st, StarsUSDRate: decimal.RequireFromString("0.013"),
		Telegram: stars{bal: telegram.StarAmount{Amount: 880}},
		ESIM:     org{o: esimgo.Organisation{Balance: decimal.RequireFromString("100.00"), Currency: "USD"}},
		Now:      func() time.Time { return at("2026-05-04T12:00:00Z") }}
	p, err := finance.ParsePeriod("2026-05-01", "2026-05-03", at("2026-05-04T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Report(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}

	check(t, rep.Line, want{"", "", 1311, 699, 612, 6, 3, "7.956", "5.56", "4.20", "2.396", 4, 1})
	if len(rep.Days) != 3 {
		t.Fatalf("days %+v", rep.Days)
	}
	check(t, rep.Days[0], want{"2026-05-01", "", 699, 137, 562, 3, 1, "7.306", "5.56", "0.00", "1.746", 2, 0})
	check(t, rep.Days[1], want{"2026-05-02", "", 475, 137, 338, 2, 1, "4.394", "4.20", "0.00", "0.194", 1, 0})
	check(t, rep.Days[2], want{"2026-05-03", "", 137, 425, -288, 1, 1, "-3.744", "-4.20", "4.20", "0.456", 1, 1})
	if len(rep.Plans) != 3 {
		t.Fatalf("plans %+v", rep.Plans)
	}
	check(t, rep.Plans[0], want{"", "", 50, 0, 50, 1, 0, "0.65", "0.00", "0.00", "0.65", 0, 0})
	check(t, rep.Plans[1], want{"", gb, 411, 274, 137, 3, 2, "1.781", "1.36", "0.00", "0.421", 2, 1})
	check(t, rep.Plans[2], want{"", de, 850, 425, 425, 2, 1, "5.525", "4.20", "4.20", "1.325", 2, 0})
	if rep.Plans[2].PlanName != "Germany 5 GB <30 days> & more" || rep.Plans[0].PlanName == "" {
		t.Errorf("plan names %q, %q", rep.Plans[2].PlanName, rep.Plans[0].PlanName)
	}

	// All-time ledger: 1,585 received, 699 refunded; 50 pending.
	if rep.StarBalance == nil || *rep.StarBalance != 880 || rep.StarBalanceExpected != 886 ||
		rep.StarBalanceDifference == nil || *rep.StarBalanceDifference != -6 || rep.StarsRefundPending != 50 {
		t.Errorf("star balance %v expected %d difference %v pending %d", rep.StarBalance, rep.StarBalanceExpected,
			rep.StarBalanceDifference, rep.StarsRefundPending)
	}
	// 7×24 h before 4 May 12:00: eSIMs of 30 April to 3 May (11.12) less
	// the 4.20 credit; 100 USD lasts 700/6.92 = 101.156… days.
	if rep.WholesaleLast7DaysUSD.String() != "6.92" || rep.ESIMGoBalance == nil || rep.ESIMGoBalance.String() != "100.00" ||
		rep.RunwayDays == nil || *rep.RunwayDays != "101.1" || rep.ESIMGoCurrency != "USD" {
		t.Errorf("esim go: spend %s balance %v runway %v", rep.WholesaleLast7DaysUSD, rep.ESIMGoBalance, rep.RunwayDays)
	}

	// The JSON contract: Stars as integers, USD as decimal strings.
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"stars_received", "stars_refunded", "stars_net", "star_balance"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s = %#v, want a JSON number", k, m[k])
		}
	}
	for k, v := range map[string]string{"wholesale_usd": "5.56", "margin_usd": "2.396"} {
		if m[k] != v {
			t.Errorf("%s = %#v, want the string %q", k, m[k], v)
		}
	}
	if days, ok := m["days"].([]any); !ok || len(days) != 3 {
		t.Errorf("days = %#v", m["days"])
	}
	if plans, ok := m["plans"].([]any); !ok || len(plans) != 3 {
		t.Errorf("plans = %#v", m["plans"])
	}
}

// A day without movements still appears (as zeros), and one failing
// balance source does not sink the report.
func TestQuietDaysAndUnavailableBalances(t *testing.T) {
	st := buildLedger(t)
	r := &finance.Reporter{Ledger: st, StarsUSDRate: decimal.RequireFromString("0.013"),
		Telegram: stars{err: errors.New("Bad Gateway: <html>proxy</html>")},
		Now:      func() time.Time { return at("2026-06-30T00:00:00Z") }}
	p, _ := finance.ParsePeriod("2026-04-29", "2026-05-05", at("2026-06-30T00:00:00Z"))
	rep, err := r.Report(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != 7 || rep.Days[0].Date != "2026-04-29" || rep.Days[0].StarsReceived != 0 || rep.Days[0].MarginUSD.String() != "0.00" {
		t.Fatalf("days %+v", rep.Days)
	}
	check(t, rep.Days[1], want{"2026-04-30", "", 137, 0, 137, 1, 0, "1.781", "1.36", "0.00", "0.421", 1, 0})
	check(t, rep.Days[5], want{"2026-05-04", "", 137, 0, 137, 1, 0, "1.781", "0.00", "0.00", "1.781", 0, 0})
	if rep.StarBalance != nil || rep.StarBalanceDifference != nil || !strings.Contains(rep.StarBalanceError, "proxy") {
		t.Errorf("failed Telegram: %v %v %q", rep.StarBalance, rep.StarBalanceDifference, rep.StarBalanceError)
	}
	if rep.ESIMGoBalance != nil || rep.RunwayDays != nil || !strings.Contains(rep.ESIMGoError, "not asked") {
		t.Errorf("no eSIM Go client: %v %v %q", rep.ESIMGoBalance, rep.RunwayDays, rep.ESIMGoError)
	}
	// Nothing bought in the 7 days before 30 June: no runway figure.
	if rep.WholesaleLast7DaysUSD.String() != "0.00" {
		t.Errorf("spend %s", rep.WholesaleLast7DaysUSD)
	}

	// The support chat's rendering escapes what came from outside.
	msg := finance.TelegramHTML(rep)
	if strings.Contains(msg, "<html>") || !strings.Contains(msg, "&lt;html&gt;") || !strings.HasPrefix(msg, "<pre>") {
		t.Errorf("TelegramHTML did not escape: %s", msg)
	}
	for _, want := range []string{"Stars received  1585", "2026-05-04", "days in UTC", "Star balance    unknown"} {
		if !strings.Contains(finance.Text(rep), want) {
			t.Errorf("text lacks %q:\n%s", want, finance.Text(rep))
		}
	}
}

func TestParsePeriod(t *testing.T) {
	now := at("2026-05-20T18:30:00Z")
	tests := []struct {
		from, to         string
		wantFrom, wantTo string
		wantCode         string
	}{
		{"", "", "2026-04-21", "2026-05-20", ""},
		{"2026-05-01", "", "2026-05-01", "2026-05-20", ""},
		{"", "2026-03-31", "2026-03-02", "2026-03-31", ""},
		{"2026-05-07", "2026-05-07", "2026-05-07", "2026-05-07", ""},
		{"2024-01-01", "2024-12-31", "2024-01-01", "2024-12-31", ""}, // a leap year: 366 days
		{"2024-01-01", "2025-01-01", "", "", "invalid_period"},
		{"2026-05-08", "2026-05-07", "", "", "invalid_period"},
		{"2026-5-1", "", "", "", "invalid_date"},
		{"2026-02-30", "", "", "", "invalid_date"},
		{"", "yesterday", "", "", "invalid_date"},
		{"2026-05-01T00:00:00Z", "", "", "", "invalid_date"},
	}
	for _, tt := range tests {
		p, err := finance.ParsePeriod(tt.from, tt.to, now)
		if tt.wantCode != "" {
			pe, ok := finance.ErrPeriod(err)
			if !ok || pe.Code != tt.wantCode || pe.Message == "" {
				t.Errorf("ParsePeriod(%q, %q) = %v, want %s", tt.from, tt.to, err, tt.wantCode)
			}
			continue
		}
		if err != nil || p.From.Format("2006-01-02") != tt.wantFrom || p.To.Format("2006-01-02") != tt.wantTo {
			t.Errorf("ParsePeriod(%q, %q) = %v..%v, %v; want %s..%s", tt.from, tt.to, p.From, p.To, err, tt.wantFrom, tt.wantTo)
		}
	}
}

func TestRunway(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct {
		balance, spend string
		want           string // "" = no runway (nothing spent)
	}{
		{"100", "6.92", "101.1"},
		{"70", "70", "7.0"},
		{"69.99", "70", "6.9"}, // rounded down, never up
		{"0", "5", "0.0"},
		{"-3.50", "5", "0.0"},
		{"100", "0", ""},
		{"100", "-1.20", ""}, // more credited back than bought
	}
	for _, tt := range tests {
		got, ok := finance.Runway(d(tt.balance), d(tt.spend))
		if (tt.want == "") == ok || ok && got.StringFixed(1) != tt.want {
			t.Errorf("Runway(%s, %s) = %s, %v; want %q", tt.balance, tt.spend, got, ok, tt.want)
		}
	}
}

func TestUSDFormat(t *testing.T) {
	for in, want := range map[string]string{"1.36": "1.36", "1.3600": "1.36", "0.0125": "0.0125", "-3": "-3.00", "7.306": "7.306", "0": "0.00", "12.5": "12.50"} {
		if got := (finance.USD{Decimal: decimal.RequireFromString(in)}).String(); got != want {
			t.Errorf("USD(%s) = %q, want %q", in, got, want)
		}
	}
}
