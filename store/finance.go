package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// FinanceTotals are the Stars and wholesale dollars that moved in one
// bucket (a UTC day or a plan) of a finance report.
type FinanceTotals struct {
	StarsReceived int64 // successful payments received
	StarsRefunded int64 // refunds Telegram confirmed
	Payments      int
	Refunds       int
	// WholesaleUSD is what eSIM Go charged for the store's orders and
	// top-ups; CreditedUSD what it paid back for bundles revoked after a
	// support refund.
	WholesaleUSD decimal.Decimal
	CreditedUSD  decimal.Decimal
	ESIMOrders   int
	// UnpricedESIMOrders are eSIM Go orders whose answer carried no total
	// (counted as 0 in WholesaleUSD).
	UnpricedESIMOrders int
}

// FinanceDay is one UTC calendar day.
type FinanceDay struct {
	Day time.Time // midnight UTC
	FinanceTotals
}

// FinancePlan is one plan; PlanID is "" for payments whose payload named no
// order.
type FinancePlan struct {
	PlanID   string
	PlanName string
	FinanceTotals
}

// financeMovements lists every money movement in [$1, $2): payments by the
// time they arrived, refunds by the time Telegram confirmed them, eSIM Go
// orders by the time they were bought and revoked bundles by the time eSIM
// Go credited them. Each row carries its plan.
const financeMovements = `
WITH m AS (
    SELECT p.received_at AS at, coalesce(o.plan_id, '') AS plan_id, coalesce(o.plan_name, '') AS plan_name,
           p.total_amount AS received, 0::bigint AS refunded, 1 AS payments, 0 AS refunds,
           0::numeric AS bought, 0::numeric AS credited, 0 AS esims, 0 AS unpriced
      FROM payments p LEFT JOIN orders o ON o.id = p.order_id
     WHERE p.currency = 'XTR' AND p.received_at >= $1 AND p.received_at < $2
    UNION ALL
    SELECT r.completed_at, coalesce(o.plan_id, ''), coalesce(o.plan_name, ''),
           0, r.stars, 0, 1, 0, 0, 0, 0
      FROM refunds r LEFT JOIN orders o ON o.id = r.order_id
     WHERE r.status = 'done' AND r.completed_at >= $1 AND r.completed_at < $2
    UNION ALL
    SELECT e.created_at, o.plan_id, o.plan_name,
           0, 0, 0, 0, coalesce(e.total_usd, 0), 0, 1, (e.total_usd IS NULL)::int
      FROM esim_orders e JOIN orders o ON o.id = e.order_id
     WHERE e.created_at >= $1 AND e.created_at < $2
    UNION ALL
    SELECT ev.created_at, o.plan_id, o.plan_name,
           0, 0, 0, 0, 0, coalesce(e.total_usd, 0), 0, 0
      FROM order_events ev
      JOIN esim_orders e ON e.order_id = ev.order_id AND e.iccid = ev.detail->>'iccid'
      JOIN orders o ON o.id = e.order_id
     WHERE ev.kind = 'bundle_revoked' AND ev.created_at >= $1 AND ev.created_at < $2
)`

const financeSums = `coalesce(sum(received), 0)::bigint, coalesce(sum(refunded), 0)::bigint,
       coalesce(sum(payments), 0)::int, coalesce(sum(refunds), 0)::int,
       coalesce(sum(bought), 0), coalesce(sum(credited), 0),
       coalesce(sum(esims), 0)::int, coalesce(sum(unpriced), 0)::int`

func (t *FinanceTotals) scanArgs() []any {
	return []any{&t.StarsReceived, &t.StarsRefunded, &t.Payments, &t.Refunds,
		&t.WholesaleUSD, &t.CreditedUSD, &t.ESIMOrders, &t.UnpricedESIMOrders}
}

// FinanceByDay sums the money movements of [from, to) per UTC day, oldest
// first; days without movements are left out.
func (s *Store) FinanceByDay(ctx context.Context, from, to time.Time) ([]FinanceDay, error) {
	rows, err := s.Pool.Query(ctx, financeMovements+`
SELECT (at AT TIME ZONE 'UTC')::date, `+financeSums+`
  FROM m GROUP BY 1 ORDER BY 1`, from, to)
	if err != nil {
		return nil, fmt.Errorf("finance by day: %w", err)
	}
	defer rows.Close()
	var out []FinanceDay
	for rows.Next() {
		var d FinanceDay
		if err := rows.Scan(append([]any{&d.Day}, d.scanArgs()...)...); err != nil {
			return nil, fmt.Errorf("finance by day: %w", err)
		}
		d.Day = time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, time.UTC)
		out = append(out, d)
	}
	return out, rows.Err()
}

// FinanceByPlan sums the money movements of [from, to) per plan, by plan id.
func (s *Store) FinanceByPlan(ctx context.Context, from, to time.Time) ([]FinancePlan, error) {
	rows, err := s.Pool.Query(ctx, financeMovements+`
SELECT plan_id, max(plan_name), `+financeSums+`
  FROM m GROUP BY plan_id ORDER BY plan_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("finance by plan: %w", err)
	}
	defer rows.Close()
	var out []FinancePlan
	for rows.Next() {
		var p FinancePlan
		if err := rows.Scan(append([]any{&p.PlanID, &p.PlanName}, p.scanArgs()...)...); err != nil {
			return nil, fmt.Errorf("finance by plan: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// StarLedger is what the ledger says the bot's Star balance should be,
// over the store's whole life.
type StarLedger struct {
	Received int64 // every Stars payment recorded
	Refunded int64 // refunds Telegram confirmed
	// RefundPending are refunds asked for but not confirmed yet: the Stars
	// may or may not have left already.
	RefundPending int64
}

// StarLedgerTotals sums every payment and refund ever recorded.
func (s *Store) StarLedgerTotals(ctx context.Context) (StarLedger, error) {
	var l StarLedger
	err := s.Pool.QueryRow(ctx, `SELECT
	    (SELECT coalesce(sum(total_amount), 0)::bigint FROM payments WHERE currency = 'XTR'),
	    (SELECT coalesce(sum(stars), 0)::bigint FROM refunds WHERE status = 'done'),
	    (SELECT coalesce(sum(stars), 0)::bigint FROM refunds WHERE status = 'pending')`).
		Scan(&l.Received, &l.Refunded, &l.RefundPending)
	if err != nil {
		return StarLedger{}, fmt.Errorf("star ledger totals: %w", err)
	}
	return l, nil
}

// WholesaleSpend is what eSIM Go orders cost in [from, to), less bundles
// credited back in that time.
func (s *Store) WholesaleSpend(ctx context.Context, from, to time.Time) (decimal.Decimal, error) {
	var spend decimal.Decimal
	err := s.Pool.QueryRow(ctx, financeMovements+`
SELECT coalesce(sum(bought), 0) - coalesce(sum(credited), 0) FROM m`, from, to).Scan(&spend)
	if err != nil {
		return decimal.Zero, fmt.Errorf("wholesale spend: %w", err)
	}
	return spend, nil
}
