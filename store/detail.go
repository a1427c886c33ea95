package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Detail is everything the ledger knows about one order.
type Detail struct {
	Order    Order       `json:"order"`
	Payments []Payment   `json:"payments"`
	ESIMs    []ESIMOrder `json:"esim_orders"`
	Refunds  []RefundRow `json:"refunds"`
}

// OrderDetail gathers an order with its payments, eSIMs and refunds.
func (s *Store) OrderDetail(ctx context.Context, id string) (Detail, error) {
	o, err := s.GetOrder(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	ds, err := s.details(ctx, []Order{o})
	if err != nil {
		return Detail{}, err
	}
	return ds[0], nil
}

// OrderDetails lists orders like ListOrders, each with its payments, eSIMs
// and refunds, in four queries whatever the number of orders.
func (s *Store) OrderDetails(ctx context.Context, f OrderFilter) ([]Detail, error) {
	list, err := s.ListOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.details(ctx, list)
}

func (s *Store) details(ctx context.Context, orders []Order) ([]Detail, error) {
	ids := make([]string, len(orders))
	out := make([]Detail, len(orders))
	at := make(map[string]*Detail, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
		out[i] = Detail{Order: o}
		at[o.ID] = &out[i]
	}
	if err := collect(ctx, s, `SELECT `+paymentColumns+` FROM payments WHERE order_id = ANY ($1)
		ORDER BY received_at, telegram_payment_charge_id`, ids, scanPayment,
		func(p Payment) { at[p.OrderID].Payments = append(at[p.OrderID].Payments, p) }); err != nil {
		return nil, fmt.Errorf("payments of orders: %w", err)
	}
	if err := collect(ctx, s, `SELECT `+esimColumns+` FROM esim_orders WHERE order_id = ANY ($1) ORDER BY created_at`,
		ids, scanESIM, func(e ESIMOrder) { at[e.OrderID].ESIMs = append(at[e.OrderID].ESIMs, e) }); err != nil {
		return nil, fmt.Errorf("esim orders of orders: %w", err)
	}
	if err := collect(ctx, s, `SELECT `+refundColumns+` FROM refunds WHERE order_id = ANY ($1) ORDER BY requested_at`,
		ids, scanRefund, func(r RefundRow) { at[r.OrderID].Refunds = append(at[r.OrderID].Refunds, r) }); err != nil {
		return nil, fmt.Errorf("refunds of orders: %w", err)
	}
	return out, nil
}

// collect runs a query over order ids and hands every scanned row to add.
func collect[T any](ctx context.Context, s *Store, query string, ids []string, scan func(pgx.Row) (T, error), add func(T)) error {
	rows, err := s.Pool.Query(ctx, query, ids)
	if err != nil {
		return err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return err
	}
	for _, it := range items {
		add(it)
	}
	return nil
}

// InstalledESIM is the eSIM with install details, if one was bought.
func (d Detail) InstalledESIM() (ESIMOrder, bool) {
	for _, e := range d.ESIMs {
		if e.MatchingID != "" && e.SMDPAddress != "" {
			return e, true
		}
	}
	return ESIMOrder{}, false
}
