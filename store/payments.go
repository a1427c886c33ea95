package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/contract"
)

// Payment is one Telegram Stars charge as the ledger keeps it.
type Payment struct {
	ChargeID                   string     `json:"charge_id"`
	ProviderChargeID           string     `json:"-"`
	OrderID                    string     `json:"order_id"`
	UserID                     int64      `json:"user_id"`
	Currency                   string     `json:"currency"`
	TotalAmount                int64      `json:"total_amount"`
	InvoicePayload             string     `json:"-"`
	IsRecurring                bool       `json:"is_recurring,omitempty"`
	IsFirstRecurring           bool       `json:"is_first_recurring,omitempty"`
	SubscriptionExpirationDate *time.Time `json:"subscription_expiration_date,omitempty"`
	UpdateID                   int64      `json:"-"`
	Source                     string     `json:"source"`
	ReceivedAt                 time.Time  `json:"received_at"`
}

// PaymentFromSignal maps the workflow's payment signal to a ledger row.
func PaymentFromSignal(p contract.Payment, orderID string) Payment {
	row := Payment{
		ChargeID: p.ChargeID, ProviderChargeID: p.ProviderChargeID, OrderID: orderID, UserID: p.UserID,
		Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload,
		IsRecurring: p.IsRecurring, IsFirstRecurring: p.IsFirstRecurring, UpdateID: p.UpdateID, Source: "webhook",
	}
	if p.SubscriptionExpirationDate > 0 {
		t := time.Unix(p.SubscriptionExpirationDate, 0).UTC()
		row.SubscriptionExpirationDate = &t
	}
	return row
}

// RecordPayment stores a charge; recording the same charge again is a no-op
// and reports inserted=false.
func (s *Store) RecordPayment(ctx context.Context, p Payment) (inserted bool, err error) {
	if p.Source == "" {
		p.Source = "webhook"
	}
	var upd any
	if p.UpdateID != 0 {
		upd = p.UpdateID
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO payments (telegram_payment_charge_id, provider_payment_charge_id,
			order_id, user_id, currency, total_amount, invoice_payload, is_recurring, is_first_recurring,
			subscription_expiration_date, update_id, source)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
		ON CONFLICT (telegram_payment_charge_id) DO NOTHING`,
		p.ChargeID, p.ProviderChargeID, p.OrderID, p.UserID, p.Currency, p.TotalAmount, p.InvoicePayload,
		p.IsRecurring, p.IsFirstRecurring, p.SubscriptionExpirationDate, upd, p.Source)
	if err != nil {
		return false, fmt.Errorf("record payment %s: %w", p.ChargeID, err)
	}
	return tag.RowsAffected() == 1, nil
}

const paymentColumns = `telegram_payment_charge_id, provider_payment_charge_id, order_id, user_id, currency,
	total_amount, invoice_payload, is_recurring, is_first_recurring, subscription_expiration_date,
	coalesce(update_id, 0), source, received_at`

func scanPayment(row pgx.Row) (Payment, error) {
	var p Payment
	err := row.Scan(&p.ChargeID, &p.ProviderChargeID, &p.OrderID, &p.UserID, &p.Currency, &p.TotalAmount,
		&p.InvoicePayload, &p.IsRecurring, &p.IsFirstRecurring, &p.SubscriptionExpirationDate, &p.UpdateID,
		&p.Source, &p.ReceivedAt)
	return p, err
}

// GetPayment returns one charge.
func (s *Store) GetPayment(ctx context.Context, chargeID string) (Payment, error) {
	p, err := scanPayment(s.Pool.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE telegram_payment_charge_id = $1`, chargeID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %s: %w", chargeID, ErrNotFound)
	}
	return p, err
}

// PaymentsForOrder returns the charges made against one order, oldest first.
func (s *Store) PaymentsForOrder(ctx context.Context, orderID string) ([]Payment, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE order_id = $1
		ORDER BY received_at, telegram_payment_charge_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", orderID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
}

// ESIMOrder is one eSIM Go order bought for one charge.
type ESIMOrder struct {
	Reference   string          `json:"reference"`
	OrderID     string          `json:"order_id"`
	ChargeID    string          `json:"charge_id"`
	Bundle      string          `json:"bundle"`
	ICCID       string          `json:"iccid"`
	SMDPAddress string          `json:"smdp_address"`
	MatchingID  string          `json:"matching_id"`
	TotalUSD    decimal.Decimal `json:"total_usd"`
	Claimed     bool            `json:"claimed"`
	CreatedAt   time.Time       `json:"created_at"`
}

// ErrAlreadyClaimed means the eSIM Go order belongs to another charge.
var ErrAlreadyClaimed = errors.New("esim order already claimed by another charge")

// RecordESIMOrder ties an eSIM Go order to a charge. The charge id and the
// reference are both unique, so neither a charge can get two eSIM orders in
// the ledger nor one eSIM order serve two charges. Recording the same pair
// again is a no-op.
func (s *Store) RecordESIMOrder(ctx context.Context, e ESIMOrder) error {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO esim_orders (esimgo_reference, order_id, charge_id, bundle, iccid,
			smdp_address, matching_id, total_usd, claimed)
		VALUES ($1,$2,$3,$4,nullif($5,''),nullif($6,''),nullif($7,''),$8,$9)
		ON CONFLICT DO NOTHING`,
		e.Reference, e.OrderID, e.ChargeID, e.Bundle, e.ICCID, e.SMDPAddress, e.MatchingID, e.TotalUSD, e.Claimed)
	if err != nil {
		return fmt.Errorf("record esim order %s: %w", e.Reference, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	existing, err := s.ESIMOrderByCharge(ctx, e.ChargeID)
	if err == nil && existing.Reference == e.Reference {
		return nil
	}
	return fmt.Errorf("esim order %s for charge %s: %w", e.Reference, e.ChargeID, ErrAlreadyClaimed)
}

const esimColumns = `esimgo_reference, order_id, charge_id, bundle, coalesce(iccid,''), coalesce(smdp_address,''),
	coalesce(matching_id,''), coalesce(total_usd, 0), claimed, created_at`

func scanESIM(row pgx.Row) (ESIMOrder, error) {
	var e ESIMOrder
	err := row.Scan(&e.Reference, &e.OrderID, &e.ChargeID, &e.Bundle, &e.ICCID, &e.SMDPAddress, &e.MatchingID,
		&e.TotalUSD, &e.Claimed, &e.CreatedAt)
	return e, err
}

// ESIMOrderByCharge returns the eSIM order bought for a charge.
func (s *Store) ESIMOrderByCharge(ctx context.Context, chargeID string) (ESIMOrder, error) {
	e, err := scanESIM(s.Pool.QueryRow(ctx, `SELECT `+esimColumns+` FROM esim_orders WHERE charge_id = $1`, chargeID))
	if errors.Is(err, pgx.ErrNoRows) {
		return ESIMOrder{}, ErrNotFound
	}
	return e, err
}

// ESIMOrdersForOrder returns the eSIM orders of one store order, oldest first.
func (s *Store) ESIMOrdersForOrder(ctx context.Context, orderID string) ([]ESIMOrder, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+esimColumns+` FROM esim_orders WHERE order_id = $1 ORDER BY created_at`, orderID)
	if err != nil {
		return nil, fmt.Errorf("esim orders of %s: %w", orderID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ESIMOrder, error) { return scanESIM(r) })
}

// KnownESIMReferences returns which of refs the ledger already holds.
func (s *Store) KnownESIMReferences(ctx context.Context, refs []string) (map[string]bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT esimgo_reference FROM esim_orders WHERE esimgo_reference = ANY ($1)`, refs)
	if err != nil {
		return nil, fmt.Errorf("known esim references: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(known))
	for _, r := range known {
		out[r] = true
	}
	return out, nil
}

// KnownICCIDs returns which of iccids belong to eSIMs the ledger holds.
func (s *Store) KnownICCIDs(ctx context.Context, iccids []string) (map[string]bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT iccid FROM esim_orders WHERE iccid = ANY ($1)`, iccids)
	if err != nil {
		return nil, fmt.Errorf("known iccids: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(known))
	for _, id := range known {
		out[id] = true
	}
	return out, nil
}

// SetInstallDetails stores what the buyer needs to install the eSIM.
func (s *Store) SetInstallDetails(ctx context.Context, reference, iccid, smdp, matchingID string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esim_orders SET iccid = $2, smdp_address = $3, matching_id = $4,
		installed_at = coalesce(installed_at, now()) WHERE esimgo_reference = $1`, reference, iccid, smdp, matchingID)
	if err != nil {
		return fmt.Errorf("set install details of %s: %w", reference, err)
	}
	return nil
}

// RefundRow is one refund of one charge.
type RefundRow struct {
	ChargeID    string     `json:"charge_id"`
	OrderID     string     `json:"order_id"`
	UserID      int64      `json:"user_id"`
	Stars       int64      `json:"stars"`
	Reason      string     `json:"reason"`
	ReasonCode  string     `json:"reason_code"`
	RequestedBy string     `json:"requested_by"`
	Status      string     `json:"status"`
	External    bool       `json:"external"`
	RequestedAt time.Time  `json:"requested_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// RequestRefund records the intent to refund a charge before Telegram is
// called, so an interrupted refund is visible and resumable. A second request
// for the same charge keeps the first.
func (s *Store) RequestRefund(ctx context.Context, r RefundRow) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO refunds (telegram_payment_charge_id, order_id, user_id, stars, reason,
			reason_code, requested_by, status, external)
		VALUES ($1,$2,$3,$4,$5,$6,$7,'pending',$8) ON CONFLICT (telegram_payment_charge_id) DO NOTHING`,
		r.ChargeID, r.OrderID, r.UserID, r.Stars, r.Reason, r.ReasonCode, r.RequestedBy, r.External)
	if err != nil {
		return fmt.Errorf("request refund of %s: %w", r.ChargeID, err)
	}
	return nil
}

// CompleteRefund marks a charge's refund as confirmed by Telegram.
func (s *Store) CompleteRefund(ctx context.Context, chargeID string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE refunds SET status = 'done', completed_at = coalesce(completed_at, now())
		WHERE telegram_payment_charge_id = $1`, chargeID)
	if err != nil {
		return fmt.Errorf("complete refund of %s: %w", chargeID, err)
	}
	return nil
}

const refundColumns = `telegram_payment_charge_id, order_id, user_id, stars, reason, reason_code, requested_by, status,
	external, requested_at, completed_at`

func scanRefund(row pgx.Row) (RefundRow, error) {
	var r RefundRow
	err := row.Scan(&r.ChargeID, &r.OrderID, &r.UserID, &r.Stars, &r.Reason, &r.ReasonCode, &r.RequestedBy, &r.Status,
		&r.External, &r.RequestedAt, &r.CompletedAt)
	return r, err
}

// RefundsForOrder returns an order's refunds, oldest first.
func (s *Store) RefundsForOrder(ctx context.Context, orderID string) ([]RefundRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+refundColumns+` FROM refunds WHERE order_id = $1 ORDER BY requested_at`, orderID)
	if err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", orderID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RefundRow, error) { return scanRefund(r) })
}

// Attempt is what BeginESIMAttempt knows of the attempts before this one.
type Attempt struct {
	Prior int // attempts before this one, finished or not
	// PriorAt is when the latest earlier attempt began (zero without one).
	PriorAt time.Time
	// PriorEndedAt is when its request ended — answered, timed out or
	// dropped — and zero when it never ended (its worker died). Its order,
	// if eSIM Go committed one, may appear for a while after that…
	PriorEndedAt time.Time
	// …unless PriorRefused: eSIM Go refused it outright, so no order of it
	// can appear.
	PriorRefused bool
}

// BeginESIMAttempt notes that the store is about to ask eSIM Go for the
// charge's eSIM and returns what came before. It is written before the
// request leaves, so any earlier attempt, finished or not, is known to the
// next.
func (s *Store) BeginESIMAttempt(ctx context.Context, orderID, chargeID string) (Attempt, error) {
	var a Attempt
	var priorAt, endedAt *time.Time
	var refused *bool
	// The CTE reads the row as it was before this statement's update; an
	// end older than the latest start belongs to an even earlier attempt.
	err := s.Pool.QueryRow(ctx, `WITH before AS (SELECT last_at,
			CASE WHEN ended_at >= last_at THEN ended_at END AS ended,
			ended_at >= last_at AND refused AS refused
			FROM esim_attempts WHERE charge_id = $1)
		INSERT INTO esim_attempts (charge_id, order_id, attempts) VALUES ($1, $2, 1)
		ON CONFLICT (charge_id) DO UPDATE SET attempts = esim_attempts.attempts + 1, last_at = now()
		RETURNING attempts - 1, (SELECT last_at FROM before), (SELECT ended FROM before), (SELECT refused FROM before)`,
		chargeID, orderID).Scan(&a.Prior, &priorAt, &endedAt, &refused)
	if err != nil {
		return Attempt{}, fmt.Errorf("note esim attempt for charge %s: %w", chargeID, err)
	}
	if priorAt != nil {
		a.PriorAt = *priorAt
	}
	if endedAt != nil {
		a.PriorEndedAt = *endedAt
	}
	a.PriorRefused = refused != nil && *refused
	return a, nil
}

// EndESIMAttempt notes how the charge's current attempt ended without an
// order in hand: refused (eSIM Go said no; nothing can appear later) or not
// (the outcome is unknown; an order may still appear).
func (s *Store) EndESIMAttempt(ctx context.Context, chargeID string, refused bool) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE esim_attempts SET ended_at = now(), refused = $2 WHERE charge_id = $1`,
		chargeID, refused); err != nil {
		return fmt.Errorf("note end of esim attempt for charge %s: %w", chargeID, err)
	}
	return nil
}

// RestartESIMAttempt moves the current attempt's start to now, just before
// its request leaves: the attempt waited (for an earlier one to settle, for
// a lookup, for a slot in eSIM Go's budget), and the next attempt reckons
// from this start how long an order of it may take to appear.
func (s *Store) RestartESIMAttempt(ctx context.Context, chargeID string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE esim_attempts SET last_at = now() WHERE charge_id = $1`, chargeID); err != nil {
		return fmt.Errorf("restart esim attempt for charge %s: %w", chargeID, err)
	}
	return nil
}

// PaidSince is the earliest moment the ledger knows of a charge: when its
// payment was recorded, or the first purchase attempt if that is earlier.
// Any eSIM Go order for the charge was placed after it, so a resumed run
// looks for earlier purchases from here, however long after the payment
// it runs.
func (s *Store) PaidSince(ctx context.Context, chargeID string) (time.Time, error) {
	var t time.Time
	err := s.Pool.QueryRow(ctx, `SELECT least(p.received_at, coalesce(a.first_at, p.received_at))
		FROM payments p LEFT JOIN esim_attempts a ON a.charge_id = p.telegram_payment_charge_id
		WHERE p.telegram_payment_charge_id = $1`, chargeID).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("payment %s: %w", chargeID, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("paid time of %s: %w", chargeID, err)
	}
	return t, nil
}
