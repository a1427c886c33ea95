package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/contract"
)

// Order is one row of the orders read model.
type Order struct {
	ID             string          `json:"order_id"`
	UserID         int64           `json:"user_id"`
	ChatID         int64           `json:"-"`
	PlanID         string          `json:"plan_id"`
	PlanName       string          `json:"plan_name"`
	Status         contract.Status `json:"status"`
	PriceUSD       decimal.Decimal `json:"price_usd"`
	PriceStars     int64           `json:"price_stars"`
	InvoiceLink    string          `json:"invoice_link,omitempty"`
	QuoteExpiresAt time.Time       `json:"quote_expires_at"`
	LanguageCode   string          `json:"-"`
	Source         contract.Source `json:"source"`
	// TopUpICCID is the eSIM a top-up order adds its bundle to; "" for an
	// order of a new eSIM.
	TopUpICCID string    `json:"top_up_iccid,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

const orderColumns = `id, user_id, chat_id, plan_id, plan_name, status, price_usd, price_stars,
	coalesce(invoice_link, ''), quote_expires_at, language_code, source, coalesce(top_up_iccid, ''),
	coalesce(last_error, ''), created_at, updated_at`

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.UserID, &o.ChatID, &o.PlanID, &o.PlanName, &o.Status, &o.PriceUSD, &o.PriceStars,
		&o.InvoiceLink, &o.QuoteExpiresAt, &o.LanguageCode, &o.Source, &o.TopUpICCID, &o.LastError,
		&o.CreatedAt, &o.UpdatedAt)
	return o, err
}

// CreateOrder inserts the order; inserting the same id again is a no-op, so
// the quote activity can be retried.
func (s *Store) CreateOrder(ctx context.Context, o Order) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO orders (id, user_id, chat_id, plan_id, plan_name, status, price_usd,
			price_stars, quote_expires_at, language_code, source, top_up_iccid)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,nullif($12,''))
		ON CONFLICT (id) DO NOTHING`,
		o.ID, o.UserID, o.ChatID, o.PlanID, o.PlanName, o.Status, o.PriceUSD, o.PriceStars,
		o.QuoteExpiresAt, o.LanguageCode, o.Source, o.TopUpICCID)
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.ID, err)
	}
	return nil
}

// GetOrder returns one order.
func (s *Store) GetOrder(ctx context.Context, id string) (Order, error) {
	o, err := scanOrder(s.Pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order %s: %w", id, err)
	}
	return o, nil
}

// OrderFilter narrows ListOrders; zero values mean "any".
type OrderFilter struct {
	UserID int64
	Status contract.Status
	PlanID string
	Limit  int
}

// ListOrders returns orders newest first. Every optional filter is cast
// explicitly: a bare "$1 = 0" makes PostgreSQL infer int4, which cannot
// carry a Telegram user id above 2^31 (ids like 5079065042 are common).
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE ($1::bigint = 0 OR user_id = $1::bigint) AND ($2::text = '' OR status = $2::text)
			AND ($3::text = '' OR plan_id = $3::text)
		ORDER BY created_at DESC, id LIMIT $4`, f.UserID, string(f.Status), f.PlanID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
}

// CountOpenOrders counts the buyer's orders still waiting for payment whose
// quote has not expired at now (subscriptions' first periods included: each
// holds an invoice and a workflow timer too). It stops counting at max, so
// a buyer with thousands of open orders costs no more than one with max;
// the partial index orders_user_awaiting_idx serves it.
func (s *Store) CountOpenOrders(ctx context.Context, userID int64, now time.Time, max int) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM orders
		WHERE user_id = $1::bigint AND status = 'awaiting_payment' AND quote_expires_at > $2
		LIMIT $3) open`, userID, now, max).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count open orders of %d: %w", userID, err)
	}
	return n, nil
}

// OrdersAhead counts the orders that were paid before since (the moment
// an order became paid or fulfilling) and are still waiting for their
// eSIM: a paid order's place in the queue for eSIM Go's budget.
func (s *Store) OrdersAhead(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM orders
		WHERE status IN ('paid', 'fulfilling') AND updated_at < $1`, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count orders waiting before %s: %w", since.Format(time.RFC3339Nano), err)
	}
	return n, nil
}

// SetOrderStatus records the workflow's current state in the read model.
func (s *Store) SetOrderStatus(ctx context.Context, id string, st contract.Status, lastError string) error {
	var le any
	if lastError != "" {
		le = lastError
	}
	_, err := s.Pool.Exec(ctx, `UPDATE orders SET status = $2, last_error = coalesce($3, last_error), updated_at = now()
		WHERE id = $1`, id, st, le)
	if err != nil {
		return fmt.Errorf("set order %s status %s: %w", id, st, err)
	}
	return nil
}

// SetInvoiceLink stores the invoice link once it exists.
func (s *Store) SetInvoiceLink(ctx context.Context, id, link string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE orders SET invoice_link = $2, updated_at = now() WHERE id = $1`, id, link)
	if err != nil {
		return fmt.Errorf("set invoice link of %s: %w", id, err)
	}
	return nil
}

// Event is one entry of an order's timeline.
type Event struct {
	ID        int64           `json:"-"`
	OrderID   string          `json:"-"`
	Kind      string          `json:"kind"`
	Actor     string          `json:"actor"`
	Detail    json.RawMessage `json:"detail"`
	CreatedAt time.Time       `json:"at"`
}

// AddEvent appends to the timeline; key makes a retried write land once.
func (s *Store) AddEvent(ctx context.Context, orderID, key, kind, actor string, detail any) error {
	if actor == "" {
		actor = "system"
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encode event detail: %w", err)
	}
	if string(raw) == "null" { // a nil map or pointer: no detail
		raw = []byte("{}")
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO order_events (order_id, event_key, kind, actor, detail)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_key) DO NOTHING`, orderID, key, kind, actor, raw)
	if err != nil {
		return fmt.Errorf("add %s event to %s: %w", kind, orderID, err)
	}
	return nil
}

// AcceptedCharge is the charge the order's workflow accepted as its
// payment (its "paid" event), or ErrNotFound.
func (s *Store) AcceptedCharge(ctx context.Context, orderID string) (string, error) {
	var charge string
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(detail->>'charge_id', '') FROM order_events
		WHERE order_id = $1 AND kind = 'paid' ORDER BY id LIMIT 1`, orderID).Scan(&charge)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	return charge, err
}

// Events returns an order's timeline, oldest first.
func (s *Store) Events(ctx context.Context, orderID string) ([]Event, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, order_id, kind, actor, detail, created_at FROM order_events
		WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", orderID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.OrderID, &e.Kind, &e.Actor, &e.Detail, &e.CreatedAt)
		return e, err
	})
}
