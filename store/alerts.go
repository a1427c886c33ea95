package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AlertDecision says what to do with an alert just raised.
type AlertDecision string

// The decisions of RaiseAlert.
const (
	AlertSend        AlertDecision = "send"         // new (or an earlier send failed): post it
	AlertDuplicate   AlertDecision = "duplicate"    // already posted (or being posted): count it only
	AlertRateLimited AlertDecision = "rate_limited" // its kind hit the hourly limit: keep it here only
)

// AlertRow is one alert as the ledger keeps it.
type AlertRow struct {
	Key      string    `json:"dedup_key"`
	Kind     string    `json:"kind"`
	OrderID  string    `json:"order_id,omitempty"`
	Text     string    `json:"text"`
	Status   string    `json:"status"`
	Repeats  int       `json:"repeats"`
	RaisedAt time.Time `json:"raised_at"`
}

// staleSending is how long a send may stay unconfirmed before a repeat of
// the alert tries again (the process that was sending died).
const staleSending = 2 * time.Minute

// RaiseAlert records an alert under its deduplication key and decides
// whether to post it: a key seen before is a duplicate (unless its send
// failed), and a new one is posted only while its kind has had fewer than
// perHour alerts posted in the last hour. Concurrent raises of one kind are
// serialised, so the limit holds across processes.
func (s *Store) RaiseAlert(ctx context.Context, a AlertRow, perHour int) (AlertDecision, error) {
	var decision AlertDecision
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var order any
		if a.OrderID != "" {
			order = a.OrderID
		}
		var inserted bool
		var status string
		var raisedAt time.Time
		err := tx.QueryRow(ctx, `INSERT INTO alerts (dedup_key, kind, order_id, text, status) VALUES ($1, $2, $3, $4, 'new')
			ON CONFLICT (dedup_key) DO UPDATE SET repeats = alerts.repeats + 1, last_seen_at = now()
			RETURNING xmax = 0, status, raised_at`, a.Key, a.Kind, order, a.Text).Scan(&inserted, &status, &raisedAt)
		if err != nil {
			return err
		}
		if !inserted {
			retry := status == "failed" || status == "sending" && time.Since(raisedAt) > staleSending
			if !retry {
				decision = AlertDuplicate
				return nil
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('alerts:' || $1))`, a.Kind); err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE kind = $1 AND dedup_key <> $2
			AND status IN ('sending', 'sent') AND raised_at > now() - interval '1 hour'`, a.Kind, a.Key).Scan(&recent); err != nil {
			return err
		}
		next := "sending"
		decision = AlertSend
		if recent >= perHour {
			next, decision = "rate_limited", AlertRateLimited
		}
		_, err = tx.Exec(ctx, `UPDATE alerts SET status = $2, raised_at = CASE WHEN $2 = 'sending' THEN now() ELSE raised_at END
			WHERE dedup_key = $1`, a.Key, next)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("raise alert %s: %w", a.Key, err)
	}
	return decision, nil
}

// AlertSent closes a posted alert with its message id.
func (s *Store) AlertSent(ctx context.Context, key string, messageID int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE alerts SET status = 'sent', message_id = $2, sent_at = now(), error = NULL
		WHERE dedup_key = $1`, key, messageID)
	if err != nil {
		return fmt.Errorf("alert %s sent: %w", key, err)
	}
	return nil
}

// AlertFailed notes that posting failed; the next raise of the key retries.
func (s *Store) AlertFailed(ctx context.Context, key, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE alerts SET status = 'failed', error = $2 WHERE dedup_key = $1`, key, reason)
	if err != nil {
		return fmt.Errorf("alert %s failed: %w", key, err)
	}
	return nil
}

// ListAlerts returns the latest alerts, newest first.
func (s *Store) ListAlerts(ctx context.Context, limit int) ([]AlertRow, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT dedup_key, kind, coalesce(order_id, ''), text, status, repeats, raised_at
		FROM alerts ORDER BY raised_at DESC, dedup_key LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlertRow, error) {
		var a AlertRow
		err := r.Scan(&a.Key, &a.Kind, &a.OrderID, &a.Text, &a.Status, &a.Repeats, &a.RaisedAt)
		return a, err
	})
}
