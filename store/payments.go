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

// BeginESIMAttempt notes that the store is about to ask eSIM Go for the
// charge's eSIM and returns how many attempts came before this one. It is
// written before the request leaves, so any earlier attempt, finished or
// not, is known to the next.
func (s *Store) BeginESIMAttempt(ctx context.Context, orderID, chargeID string) (prior int, err error) {
	err = s.Pool.QueryRow(ctx, `INSERT INTO esim_attempts (charge_id, order_id, attempts) VALUES ($1, $2, 1)
		ON CONFLICT (charge_id) DO UPDATE SET attempts = esim_attempts.attempts + 1, last_at = now()
		RETURNING attempts - 1`, chargeID, orderID).Scan(&prior)
	if err != nil {
		return 0, fmt.Errorf("note esim attempt for charge %s: %w", chargeID, err)
	}
	return prior, nil
}
