package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconciliation's ledger side: the checkpoint into Telegram's Star ledger
// and the findings shown at GET /admin/reconciliation.

// Finding kinds.
const (
	FindingPaymentNotRecorded = "payment_not_recorded" // Telegram took Stars the store never recorded
	FindingRefundNotRecorded  = "refund_not_recorded"  // Telegram returned Stars the store did not record as refunded
	FindingPaymentUnresolved  = "payment_unresolved"   // neither fulfilled nor refunded for too long
)

// Finding is one mismatch between Telegram's ledger and ours.
type Finding struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	ChargeID   string          `json:"charge_id"`
	OrderID    string          `json:"order_id"`
	Stars      int64           `json:"stars"`
	Detail     json.RawMessage `json:"detail"`
	FoundAt    time.Time       `json:"found_at"`
	LastSeenAt time.Time       `json:"last_seen_at"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
}

// Checkpoint returns how many entries of source's ledger were compared.
func (s *Store) Checkpoint(ctx context.Context, source string) (int64, error) {
	var off int64
	err := s.Pool.QueryRow(ctx, `SELECT tx_offset FROM reconcile_checkpoints WHERE source = $1`, source).Scan(&off)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint %s: %w", source, err)
	}
	return off, nil
}

// AdvanceCheckpoint moves the checkpoint forward, never back, so two
// overlapping runs (the schedule and a manual one) cannot rewind it.
func (s *Store) AdvanceCheckpoint(ctx context.Context, source string, offset int64) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO reconcile_checkpoints (source, tx_offset) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET tx_offset = greatest(reconcile_checkpoints.tx_offset, excluded.tx_offset),
			updated_at = now()`, source, offset)
	if err != nil {
		return fmt.Errorf("advance checkpoint %s to %d: %w", source, offset, err)
	}
	return nil
}

// RefundDone reports whether the ledger holds a completed refund of chargeID.
func (s *Store) RefundDone(ctx context.Context, chargeID string) (bool, error) {
	var done bool
	err := s.Pool.QueryRow(ctx, `SELECT exists (SELECT 1 FROM refunds WHERE telegram_payment_charge_id = $1
		AND status = 'done')`, chargeID).Scan(&done)
	if err != nil {
		return false, fmt.Errorf("refund state of %s: %w", chargeID, err)
	}
	return done, nil
}

// AddFinding records a finding; resolved findings are stored already
// closed. It reports whether the finding is new, so callers alert once.
func (s *Store) AddFinding(ctx context.Context, f Finding, resolved bool) (bool, error) {
	detail := f.Detail
	if len(detail) == 0 {
		detail = json.RawMessage(`{}`)
	}
	var inserted bool
	err := s.Pool.QueryRow(ctx, `INSERT INTO reconciliation_findings (kind, charge_id, order_id, stars, detail, resolved_at)
		VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)
		ON CONFLICT (kind, charge_id) DO UPDATE SET last_seen_at = now()
		RETURNING xmax = 0`, f.Kind, f.ChargeID, f.OrderID, f.Stars, detail, resolved).Scan(&inserted)
	if err != nil {
		return false, fmt.Errorf("add %s finding for %s: %w", f.Kind, f.ChargeID, err)
	}
	return inserted, nil
}

// settled is true for a charge that has a delivered eSIM or a completed refund.
const settled = `(exists (SELECT 1 FROM esim_orders e WHERE e.charge_id = p.telegram_payment_charge_id
		AND e.matching_id IS NOT NULL)
	OR exists (SELECT 1 FROM refunds r WHERE r.telegram_payment_charge_id = p.telegram_payment_charge_id
		AND r.status = 'done'))`

// UnresolvedPayments returns charges received before cutoff that are
// neither fulfilled nor refunded (money rule 1, never neither: docs/architecture.md#rule-1-every-charge-ends-fulfilled-or-refunded), oldest first.
func (s *Store) UnresolvedPayments(ctx context.Context, cutoff time.Time, limit int) ([]Payment, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments p
		WHERE p.received_at < $1 AND NOT `+settled+` ORDER BY p.received_at LIMIT $2`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("unresolved payments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
}

// ResolveSettledFindings closes unresolved-payment findings whose charge
// has since been fulfilled or refunded, and returns how many it closed.
func (s *Store) ResolveSettledFindings(ctx context.Context) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE reconciliation_findings f SET resolved_at = now()
		FROM payments p WHERE f.kind = $1 AND f.resolved_at IS NULL AND p.telegram_payment_charge_id = f.charge_id
		AND `+settled, FindingPaymentUnresolved)
	if err != nil {
		return 0, fmt.Errorf("resolve settled findings: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Findings lists findings newest first; openOnly leaves out resolved ones.
func (s *Store) Findings(ctx context.Context, openOnly bool, limit int) ([]Finding, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, kind, charge_id, order_id, stars, detail, found_at, last_seen_at, resolved_at
		FROM reconciliation_findings WHERE NOT $1 OR resolved_at IS NULL ORDER BY found_at DESC, id DESC LIMIT $2`,
		openOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Finding, error) {
		var f Finding
		err := r.Scan(&f.ID, &f.Kind, &f.ChargeID, &f.OrderID, &f.Stars, &f.Detail, &f.FoundAt, &f.LastSeenAt, &f.ResolvedAt)
		return f, err
	})
}

// MarkPaymentReconciled notes that a charge reached the ledger through
// reconciliation rather than the webhook (it has no update id).
func (s *Store) MarkPaymentReconciled(ctx context.Context, chargeID string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE payments SET source = 'reconciliation'
		WHERE telegram_payment_charge_id = $1 AND update_id IS NULL`, chargeID)
	if err != nil {
		return fmt.Errorf("mark payment %s reconciled: %w", chargeID, err)
	}
	return nil
}
