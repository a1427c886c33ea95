package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// SaveUpdate puts a webhook update in the inbox. It reports whether the
// update was already handled, so a re-delivery is acknowledged without
// acting twice; one that was stored but not finished is handled again
// (every handler is idempotent).
func (s *Store) SaveUpdate(ctx context.Context, updateID int64, kind string, raw []byte) (handled bool, err error) {
	if !json.Valid(raw) {
		return false, fmt.Errorf("save update %d: body is not JSON", updateID)
	}
	var processed bool
	err = s.Pool.QueryRow(ctx, `INSERT INTO telegram_updates (update_id, kind, raw) VALUES ($1, $2, $3)
		ON CONFLICT (update_id) DO UPDATE SET update_id = excluded.update_id
		RETURNING processed_at IS NOT NULL`, updateID, kind, raw).Scan(&processed)
	if err != nil {
		return false, fmt.Errorf("save update %d: %w", updateID, err)
	}
	return processed, nil
}

// SaveHandledUpdate keeps an update that was acted on before it was stored
// (a pre_checkout_query, answered first) in the inbox, already handled.
func (s *Store) SaveHandledUpdate(ctx context.Context, updateID int64, kind string, raw []byte) error {
	if !json.Valid(raw) {
		return fmt.Errorf("save update %d: body is not JSON", updateID)
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO telegram_updates (update_id, kind, raw, processed_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (update_id) DO UPDATE SET processed_at = coalesce(telegram_updates.processed_at, now())`,
		updateID, kind, raw)
	if err != nil {
		return fmt.Errorf("save update %d: %w", updateID, err)
	}
	return nil
}

// MarkUpdateHandled closes an update in the inbox.
func (s *Store) MarkUpdateHandled(ctx context.Context, updateID int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE telegram_updates SET processed_at = now() WHERE update_id = $1`, updateID)
	if err != nil {
		return fmt.Errorf("mark update %d handled: %w", updateID, err)
	}
	return nil
}

// RecordTelegramRefund notes a refund Telegram reported (refunded_payment),
// whether the store made it or someone did outside the store.
func (s *Store) RecordTelegramRefund(ctx context.Context, chargeID string) error {
	p, err := s.GetPayment(ctx, chargeID)
	if err != nil {
		return err
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	_, err = tx.Exec(ctx, `INSERT INTO refunds (telegram_payment_charge_id, order_id, user_id, stars, reason,
			requested_by, status, external, completed_at)
		VALUES ($1, $2, $3, $4, 'refunded outside the store', 'telegram', 'done', true, now())
		ON CONFLICT (telegram_payment_charge_id) DO UPDATE SET status = 'done',
			completed_at = coalesce(refunds.completed_at, now())`,
		chargeID, p.OrderID, p.UserID, p.TotalAmount)
	if err != nil {
		return fmt.Errorf("record telegram refund %s: %w", chargeID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO order_events (order_id, event_key, kind, actor, detail)
		VALUES ($1, $1 || ':refund_confirmed:' || $2, 'refund_confirmed', 'telegram', jsonb_build_object('charge_id', $2::text))
		ON CONFLICT (event_key) DO NOTHING`, p.OrderID, chargeID); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
