// Package finance reports the Stars side of the business: Stars received,
// refunded and net per UTC day and per plan, what eSIM Go charged for them,
// the gross margin at STARS_USD_RATE, the bot's Star balance at Telegram
// against what the ledger expects, and the eSIM Go balance with its runway
// (docs/operations.md §14). Stars are whole numbers and dollars exact
// decimals throughout; nothing here is a float.
package finance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// Ledger is the part of the store the report reads (store.Store).
type Ledger interface {
	FinanceByDay(ctx context.Context, from, to time.Time) ([]store.FinanceDay, error)
	FinanceByPlan(ctx context.Context, from, to time.Time) ([]store.FinancePlan, error)
	StarLedgerTotals(ctx context.Context) (store.StarLedger, error)
	WholesaleSpend(ctx context.Context, from, to time.Time) (decimal.Decimal, error)
}

// StarBalance is Telegram's getMyStarBalance (telegram.Bot).
type StarBalance interface {
	MyStarBalance(ctx context.Context) (telegram.StarAmount, error)
}

// Organisation is eSIM Go's GET /organisation (esimgo.Client).
type Organisation interface {
	Organisation(ctx context.Context) (esimgo.Organisation, error)
}

// Reporter builds reports. Telegram and ESIM may be nil (the report then
// says the balance was not asked for); a failing one is reported, not fatal.
type Reporter struct {
	Ledger   Ledger
	Telegram StarBalance
	ESIM     Organisation
	// StarsUSDRate is the USD value of one Star (STARS_USD_RATE).
	StarsUSDRate decimal.Decimal
	Now          func() time.Time
	// BalanceTimeout bounds each balance call; default 5 s.
	BalanceTimeout time.Duration
}

// MaxDays is the longest period one report covers: a year, leap day
// included, so a report stays a few hundred rows.
const MaxDays = 366

// DefaultDays is the period when neither end is given: the last 30 days.
const DefaultDays = 30

// RunwayWindow is the recent spend the eSIM Go runway is measured against.
const RunwayWindow = 7 * 24 * time.Hour

// Period is a range of whole UTC days, both ends included.
type Period struct {
	From, To time.Time // midnight UTC
}

// Days is the number of days in the period.
func (p Period) Days() int { return int(p.To.Sub(p.From).Hours()/24) + 1 }

// end is the instant after the period's last day.
func (p Period) end() time.Time { return p.To.AddDate(0, 0, 1) }

// PeriodError is a from/to the report cannot use; Code is the API's error
// code.
type PeriodError struct {
	Code, Message string
}

func (e *PeriodError) Error() string { return e.Message }

const dateLayout = "2006-01-02"

// ParsePeriod reads from and to as YYYY-MM-DD (UTC days, both included).
// An empty to is today; an empty from is DefaultDays days before to.
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	parse := func(name, v string, def time.Time) (time.Time, error) {
		if v = strings.TrimSpace(v); v == "" {
			return def, nil
		}
		d, err := time.Parse(dateLayout, v)
		if err != nil {
			return time.Time{}, &PeriodError{"invalid_date", fmt.Sprintf("%s must be a date like 2026-05-01 (YYYY-MM-DD, UTC), not %q.", name, v)}
		}
		return d, nil
	}
	end, err := parse("to", to, today)
	if err != nil {
		return Period{}, err
	}
	start, err := parse("from", from, end.AddDate(0, 0, 1-DefaultDays))
	if err != nil {
		return Period{}, err
	}
	p := Period{From: start, To: end}
	switch {
	case start.After(end):
		return Period{}, &PeriodError{"invalid_period", "from must not be after to."}
	case p.Days() > MaxDays:
		return Period{}, &PeriodError{"invalid_period", fmt.Sprintf("A report covers at most %d days; this one asks for %d.", MaxDays, p.Days())}
	}
	return p, nil
}

// Line is one row of a report: a day, a plan, or the whole period.
type Line struct {
	Date     string `json:"date,omitempty"`
	PlanID   string `json:"plan_id,omitempty"`
	PlanName string `json:"plan_name,omitempty"`

	StarsReceived int64 `json:"stars_received"`
	StarsRefunded int64 `json:"stars_refunded"`
	StarsNet      int64 `json:"stars_net"`
	Payments      int   `json:"payments"`
	Refunds       int   `json:"refunds"`
	// RevenueUSD is StarsNet at the configured rate.
	RevenueUSD USD `json:"revenue_usd"`
	// WholesaleUSD is what eSIM Go charged, less CreditedUSD (bundles it
	// took back after a support refund).
	WholesaleUSD USD `json:"wholesale_usd"`
	CreditedUSD  USD `json:"wholesale_credited_usd"`
	MarginUSD    USD `json:"margin_usd"`
	ESIMOrders   int `json:"esim_orders"`
	// UnpricedESIMOrders had no total in eSIM Go's answer: their cost is
	// missing from WholesaleUSD.
	UnpricedESIMOrders int `json:"esim_orders_unpriced,omitempty"`
}

// Report is GET /admin/finance's answer (docs/architecture.md#http-contract).
type Report struct {
	From         string `json:"from"`
	To           string `json:"to"`
	TimeZone     string `json:"time_zone"`
	StarsUSDRate string `json:"stars_usd_rate"`

	Line // the period's totals, flattened into the top level

	// StarBalance is the bot's balance at Telegram in whole Stars; nil when
	// it could not be asked (StarBalanceError says why).
	StarBalance          *int64 `json:"star_balance"`
	StarBalanceNanostars int64  `json:"star_balance_nanostars,omitempty"`
	// StarBalanceExpected is the ledger's view over the store's whole life:
	// every payment less every confirmed refund.
	StarBalanceExpected int64 `json:"star_balance_expected"`
	// StarBalanceDifference is StarBalance − StarBalanceExpected.
	StarBalanceDifference *int64 `json:"star_balance_difference"`
	// StarsRefundPending are refunds not confirmed yet; while they are in
	// flight the difference can be negative by up to this much.
	StarsRefundPending int64  `json:"stars_refund_pending"`
	StarBalanceError   string `json:"star_balance_error,omitempty"`

	ESIMGoBalance  *USD   `json:"esimgo_balance_usd"`
	ESIMGoCurrency string `json:"esimgo_currency,omitempty"`
	// WholesaleLast7DaysUSD is the net eSIM Go spend of the 7×24 hours
	// before the report was made, whatever its period.
	WholesaleLast7DaysUSD USD `json:"wholesale_last_7_days_usd"`
	// RunwayDays is the eSIM Go balance divided by that spend per day,
	// rounded down to a tenth; nil when nothing was spent.
	RunwayDays  *string `json:"runway_days"`
	ESIMGoError string  `json:"esimgo_error,omitempty"`

	Days  []Line `json:"days"`
	Plans []Line `json:"plans"`

	GeneratedAt time.Time `json:"generated_at"`
}

// Report builds the report of one period. Only the ledger is required: a
// balance Telegram or eSIM Go cannot give is reported in the answer.
func (r *Reporter) Report(ctx context.Context, p Period) (Report, error) {
	now := r.now()
	from, to := p.From, p.end()
	days, err := r.Ledger.FinanceByDay(ctx, from, to)
	if err != nil {
		return Report{}, err
	}
	plans, err := r.Ledger.FinanceByPlan(ctx, from, to)
	if err != nil {
		return Report{}, err
	}
	out := Report{From: p.From.Format(dateLayout), To: p.To.Format(dateLayout), TimeZone: "UTC",
		StarsUSDRate: r.StarsUSDRate.String(), GeneratedAt: now, Days: []Line{}, Plans: []Line{}}

	// Every day of the period appears, quiet ones as zeros, so a chart of
	// days has no gaps.
	byDay := map[string]store.FinanceTotals{}
	var total store.FinanceTotals
	for _, d := range days {
		byDay[d.Day.Format(dateLayout)] = d.FinanceTotals
		total = add(total, d.FinanceTotals)
	}
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		l := r.line(byDay[d.Format(dateLayout)])
		l.Date = d.Format(dateLayout)
		out.Days = append(out.Days, l)
	}
	for _, pl := range plans {
		l := r.line(pl.FinanceTotals)
		l.PlanID, l.PlanName = pl.PlanID, pl.PlanName
		if l.PlanID == "" {
			l.PlanName = "(payment naming no order)"
		}
		out.Plans = append(out.Plans, l)
	}
	out.Line = r.line(total)

	ledger, err := r.Ledger.StarLedgerTotals(ctx)
	if err != nil {
		return Report{}, err
	}
	out.StarBalanceExpected = ledger.Received - ledger.Refunded
	out.StarsRefundPending = ledger.RefundPending
	r.starBalance(ctx, &out)

	spend, err := r.Ledger.WholesaleSpend(ctx, now.Add(-RunwayWindow), now)
	if err != nil {
		return Report{}, err
	}
	out.WholesaleLast7DaysUSD = USD{spend}
	r.esimBalance(ctx, &out, spend)
	return out, nil
}

func (r *Reporter) line(t store.FinanceTotals) Line {
	net := t.StarsReceived - t.StarsRefunded
	revenue := decimal.NewFromInt(net).Mul(r.StarsUSDRate)
	wholesale := t.WholesaleUSD.Sub(t.CreditedUSD)
	return Line{
		StarsReceived: t.StarsReceived, StarsRefunded: t.StarsRefunded, StarsNet: net,
		Payments: t.Payments, Refunds: t.Refunds,
		RevenueUSD: USD{revenue}, WholesaleUSD: USD{wholesale}, CreditedUSD: USD{t.CreditedUSD},
		MarginUSD:  USD{revenue.Sub(wholesale)},
		ESIMOrders: t.ESIMOrders, UnpricedESIMOrders: t.UnpricedESIMOrders,
	}
}

func add(a, b store.FinanceTotals) store.FinanceTotals {
	return store.FinanceTotals{
		StarsReceived: a.StarsReceived + b.StarsReceived, StarsRefunded: a.StarsRefunded + b.StarsRefunded,
		Payments: a.Payments + b.Payments, Refunds: a.Refunds + b.Refunds,
		WholesaleUSD: a.WholesaleUSD.Add(b.WholesaleUSD), CreditedUSD: a.CreditedUSD.Add(b.CreditedUSD),
		ESIMOrders: a.ESIMOrders + b.ESIMOrders, UnpricedESIMOrders: a.UnpricedESIMOrders + b.UnpricedESIMOrders,
	}
}

func (r *Reporter) starBalance(ctx context.Context, out *Report) {
	if r.Telegram == nil {
		out.StarBalanceError = "not asked: no Telegram bot configured"
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	bal, err := r.Telegram.MyStarBalance(ctx)
	if err != nil {
		out.StarBalanceError = "getMyStarBalance: " + err.Error()
		return
	}
	diff := bal.Amount - out.StarBalanceExpected
	out.StarBalance, out.StarBalanceNanostars, out.StarBalanceDifference = &bal.Amount, bal.NanostarAmount, &diff
}

func (r *Reporter) esimBalance(ctx context.Context, out *Report, spend decimal.Decimal) {
	if r.ESIM == nil {
		out.ESIMGoError = "not asked: no eSIM Go client configured"
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	org, err := r.ESIM.Organisation(ctx)
	if err != nil {
		out.ESIMGoError = "GET /organisation: " + err.Error()
		return
	}
	out.ESIMGoBalance, out.ESIMGoCurrency = &USD{org.Balance}, org.Currency
	if runway, ok := Runway(org.Balance, spend); ok {
		s := runway.StringFixed(1)
		out.RunwayDays = &s
	}
}

// Runway is how many days balance lasts at the spend of the last
// RunwayWindow, rounded down to a tenth of a day (rounding must never make
// the balance look longer-lived). ok is false when nothing was spent.
func Runway(balance, spendLast7Days decimal.Decimal) (decimal.Decimal, bool) {
	if !spendLast7Days.IsPositive() {
		return decimal.Zero, false
	}
	if !balance.IsPositive() {
		return decimal.Zero, true
	}
	perDay := spendLast7Days.Div(decimal.NewFromInt(7))
	return balance.DivRound(perDay, 8).RoundFloor(1), true
}

func (r *Reporter) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Reporter) timeout() time.Duration {
	if r.BalanceTimeout > 0 {
		return r.BalanceTimeout
	}
	return 5 * time.Second
}

// USD is an exact dollar amount. It is written as a decimal string with at
// least two places ("1.36", "0.0125", "-3.00"): never rounded, never a
// float.
type USD struct{ decimal.Decimal }

func (u USD) String() string {
	s := u.Decimal.String()
	dot := strings.IndexByte(s, '.')
	if dot < 0 || len(s)-dot-1 < 2 {
		return u.StringFixed(2)
	}
	return s
}

// Format prints String() for every verb; without it fmt would use the
// embedded decimal's own Format, which drops the trailing zeros.
func (u USD) Format(f fmt.State, _ rune) {
	// fmt.Formatter has no way to report a write error; fmt's own printer
	// records it on the underlying writer.
	_, _ = io.WriteString(f, u.String()) //nolint:errcheck // see above
}

// MarshalJSON writes the amount as a JSON string.
func (u USD) MarshalJSON() ([]byte, error) { return []byte(`"` + u.String() + `"`), nil }

// UnmarshalJSON reads a decimal string (clients of the API, and tests).
func (u *USD) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("usd %q: %w", s, err)
	}
	u.Decimal = d
	return nil
}

// ErrPeriod reports whether err is a bad period (the API answers 400).
func ErrPeriod(err error) (*PeriodError, bool) {
	var pe *PeriodError
	ok := errors.As(err, &pe)
	return pe, ok
}
