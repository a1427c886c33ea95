package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Plan is one sellable eSIM Go bundle with the store's price.
type Plan struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Countries    []string        `json:"countries"`
	Region       string          `json:"region"`
	DataMB       int             `json:"data_mb"`
	DurationDays int             `json:"duration_days"`
	Unlimited    bool            `json:"unlimited"`
	WholesaleUSD decimal.Decimal `json:"-"`
	PriceUSD     decimal.Decimal `json:"price_usd"`
	PriceStars   int64           `json:"price_stars"`
	OnSale       bool            `json:"-"`
	SyncedAt     time.Time       `json:"-"`
}

const planColumns = `id, name, description, countries, region, data_mb, duration_days, unlimited,
	wholesale_usd, price_usd, price_stars, on_sale, synced_at`

func scanPlan(row pgx.Row) (Plan, error) {
	var p Plan
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Countries, &p.Region, &p.DataMB, &p.DurationDays,
		&p.Unlimited, &p.WholesaleUSD, &p.PriceUSD, &p.PriceStars, &p.OnSale, &p.SyncedAt)
	return p, err
}

// GetPlan returns one plan, on sale or not.
func (s *Store) GetPlan(ctx context.Context, id string) (Plan, error) {
	p, err := scanPlan(s.Pool.QueryRow(ctx, `SELECT `+planColumns+` FROM plans WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, fmt.Errorf("plan %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Plan{}, fmt.Errorf("get plan %s: %w", id, err)
	}
	return p, nil
}

// HasPlansOnSale reports whether the store has anything to sell: false
// until the first catalogue sync has succeeded.
func (s *Store) HasPlansOnSale(ctx context.Context) (bool, error) {
	var onSale bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE on_sale)`).Scan(&onSale); err != nil {
		return false, fmt.Errorf("plans on sale: %w", err)
	}
	return onSale, nil
}

// ListPlans returns the plans on sale, optionally for one country, cheapest first.
func (s *Store) ListPlans(ctx context.Context, country string) ([]Plan, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+planColumns+` FROM plans
		WHERE on_sale AND ($1::text = '' OR $1::text = ANY (countries))
		ORDER BY price_stars, id`, country)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Plan, error) { return scanPlan(r) })
}

// ReplacePlans makes the catalogue exactly the given plans: new and changed
// ones are upserted, plans eSIM Go no longer sells are taken off sale (not
// deleted: orders reference them).
func (s *Store) ReplacePlans(ctx context.Context, plans []Plan) error {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("sync plans: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	ids := make([]string, 0, len(plans))
	for _, p := range plans {
		ids = append(ids, p.ID)
		_, err := tx.Exec(ctx, `INSERT INTO plans (`+planColumns+`)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,true,now())
			ON CONFLICT (id) DO UPDATE SET name=$2, description=$3, countries=$4, region=$5, data_mb=$6,
				duration_days=$7, unlimited=$8, wholesale_usd=$9, price_usd=$10, price_stars=$11,
				on_sale=true, synced_at=now()`,
			p.ID, p.Name, p.Description, p.Countries, p.Region, p.DataMB, p.DurationDays, p.Unlimited,
			p.WholesaleUSD, p.PriceUSD, p.PriceStars)
		if err != nil {
			return fmt.Errorf("upsert plan %s: %w", p.ID, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET on_sale = false WHERE on_sale AND NOT (id = ANY ($1))`, ids); err != nil {
		return fmt.Errorf("retire plans: %w", err)
	}
	return tx.Commit(ctx)
}
