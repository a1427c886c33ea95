package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// CallbackHash names a callback body in the inbox: its SHA-256, in hex.
func CallbackHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Callback outcomes recorded in the inbox.
const (
	CallbackIgnored = "ignored" // a type the store does not act on, or an eSIM it never sold
)

// SaveCallback puts an eSIM Go callback body in the inbox, keyed by its
// hash, and reports whether it was already processed: a re-delivery is
// acknowledged without acting twice; one stored but not finished is
// handed on again (processing is idempotent).
func (s *Store) SaveCallback(ctx context.Context, hash, alertType, iccid string, raw []byte) (processed bool, err error) {
	err = s.Pool.QueryRow(ctx, `INSERT INTO esimgo_callbacks (body_sha256, alert_type, iccid, raw) VALUES ($1, $2, $3, $4)
		ON CONFLICT (body_sha256) DO UPDATE SET body_sha256 = excluded.body_sha256
		RETURNING processed_at IS NOT NULL`, hash, alertType, iccid, raw).Scan(&processed)
	if err != nil {
		return false, fmt.Errorf("save esim go callback %s: %w", hash, err)
	}
	return processed, nil
}

// CallbackBody returns a stored callback's raw body and whether it was
// processed already.
func (s *Store) CallbackBody(ctx context.Context, hash string) (raw []byte, processed bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT raw, processed_at IS NOT NULL FROM esimgo_callbacks WHERE body_sha256 = $1`, hash).
		Scan(&raw, &processed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("esim go callback %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("esim go callback %s: %w", hash, err)
	}
	return raw, processed, nil
}

// MarkCallbackProcessed closes a callback with what was done about it.
func (s *Store) MarkCallbackProcessed(ctx context.Context, hash, outcome string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE esimgo_callbacks SET processed_at = coalesce(processed_at, now()), outcome = $2
		WHERE body_sha256 = $1`, hash, outcome)
	if err != nil {
		return fmt.Errorf("mark esim go callback %s processed: %w", hash, err)
	}
	return nil
}

// CountCallbacks counts the inbox (tests and the fault suite).
func (s *Store) CountCallbacks(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM esimgo_callbacks`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count esim go callbacks: %w", err)
	}
	return n, nil
}

// Balance sources.
const (
	BalanceFromCallback     = "callback"
	BalanceFromOrder        = "order"
	BalanceFromOrganisation = "organisation"
)

// SetESIMGoBalance records the eSIM Go balance as just reported.
func (s *Store) SetESIMGoBalance(ctx context.Context, balance decimal.Decimal, source string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO esimgo_account (id, balance_usd, source, reported_at) VALUES (true, $1, $2, now())
		ON CONFLICT (id) DO UPDATE SET balance_usd = excluded.balance_usd, source = excluded.source, reported_at = now()`,
		balance, source)
	if err != nil {
		return fmt.Errorf("record esim go balance: %w", err)
	}
	return nil
}

// ESIMGoBalance returns the last reported balance; found is false before
// the first report.
func (s *Store) ESIMGoBalance(ctx context.Context) (balance decimal.Decimal, at time.Time, found bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT balance_usd, reported_at FROM esimgo_account WHERE id AND balance_usd IS NOT NULL`).Scan(&balance, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return decimal.Zero, time.Time{}, false, nil
	}
	if err != nil {
		return decimal.Zero, time.Time{}, false, fmt.Errorf("esim go balance: %w", err)
	}
	return balance, at, true, nil
}

// ClaimBalanceRead reports whether the caller may read the balance from
// eSIM Go now: at most once per every across every process.
func (s *Store) ClaimBalanceRead(ctx context.Context, every time.Duration) (bool, error) {
	var claimed bool
	err := s.Pool.QueryRow(ctx, `INSERT INTO esimgo_account (id, claimed_at) VALUES (true, now())
		ON CONFLICT (id) DO UPDATE SET claimed_at = now()
			WHERE esimgo_account.claimed_at IS NULL OR esimgo_account.claimed_at <= now() - make_interval(secs => $1)
		RETURNING true`, every.Seconds()).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim esim go balance read: %w", err)
	}
	return claimed, nil
}
