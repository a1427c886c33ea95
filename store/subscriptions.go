package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starsesim/esimstore/contract"
)

// Subscription is one row of the subscriptions table.
type Subscription struct {
	ID            string                      `json:"subscription_id"`
	UserID        int64                       `json:"user_id"`
	ChatID        int64                       `json:"-"`
	PlanID        string                      `json:"plan_id"`
	Status        contract.SubscriptionStatus `json:"status"`
	FirstChargeID string                      `json:"-"`
	ICCID         string                      `json:"iccid,omitempty"`
	Periods       int                         `json:"periods"`
	ExpiresAt     *time.Time                  `json:"expires_at,omitempty"`
	CanceledBy    string                      `json:"-"`
	CreatedAt     time.Time                   `json:"created_at"`
	UpdatedAt     time.Time                   `json:"updated_at"`
}

const subscriptionColumns = `id, user_id, chat_id, plan_id, status, coalesce(first_charge_id, ''), coalesce(iccid, ''),
	periods, expires_at, coalesce(canceled_by, ''), created_at, updated_at`

func scanSubscription(row pgx.Row) (Subscription, error) {
	var s Subscription
	err := row.Scan(&s.ID, &s.UserID, &s.ChatID, &s.PlanID, &s.Status, &s.FirstChargeID, &s.ICCID, &s.Periods,
		&s.ExpiresAt, &s.CanceledBy, &s.CreatedAt, &s.UpdatedAt)
	return s, err
}

// CreateSubscription inserts the subscription once its order row exists;
// inserting it again is a no-op, so the activity can be retried.
func (s *Store) CreateSubscription(ctx context.Context, sub Subscription) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO subscriptions (id, user_id, chat_id, plan_id, status)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
		sub.ID, sub.UserID, sub.ChatID, sub.PlanID, sub.Status)
	if err != nil {
		return fmt.Errorf("create subscription %s: %w", sub.ID, err)
	}
	return nil
}

// GetSubscription returns one subscription.
func (s *Store) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	sub, err := scanSubscription(s.Pool.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Subscription{}, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("get subscription %s: %w", id, err)
	}
	return sub, nil
}

// ListSubscriptions returns a buyer's subscriptions, newest first.
func (s *Store) ListSubscriptions(ctx context.Context, userID int64) ([]Subscription, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE user_id = $1
		ORDER BY created_at DESC, id LIMIT 100`, userID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %d: %w", userID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subscription, error) { return scanSubscription(r) })
}

// SubscriptionUpdate is the workflow's state mirrored into the read model.
// Empty fields keep what the row holds.
type SubscriptionUpdate struct {
	ID            string
	Status        contract.SubscriptionStatus
	FirstChargeID string
	ICCID         string
	Periods       int
	ExpiresAt     time.Time
	CanceledBy    string
}

// UpdateSubscription writes the workflow's state. Writing the same state
// again changes nothing, so the local activity is retry-safe.
func (s *Store) UpdateSubscription(ctx context.Context, u SubscriptionUpdate) error {
	var expires any
	if !u.ExpiresAt.IsZero() {
		expires = u.ExpiresAt
	}
	_, err := s.Pool.Exec(ctx, `UPDATE subscriptions SET
			status = coalesce(nullif($2, ''), status),
			first_charge_id = coalesce(nullif($3, ''), first_charge_id),
			iccid = coalesce(nullif($4, ''), iccid),
			periods = greatest(periods, $5),
			expires_at = coalesce($6, expires_at),
			canceled_by = coalesce(nullif($7, ''), canceled_by),
			updated_at = now()
		WHERE id = $1`, u.ID, string(u.Status), u.FirstChargeID, u.ICCID, u.Periods, expires, u.CanceledBy)
	if err != nil {
		return fmt.Errorf("update subscription %s: %w", u.ID, err)
	}
	return nil
}
