-- +goose Up
-- Reconciliation compares Telegram's Star ledger (getStarTransactions) with
-- payments and refunds. Telegram pages by offset in chronological order, so
-- the checkpoint is the number of ledger entries already compared.

CREATE TABLE reconcile_checkpoints (
    source      text PRIMARY KEY,                    -- e.g. 'telegram_stars:<bot id>'
    tx_offset   bigint NOT NULL DEFAULT 0 CHECK (tx_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- What reconciliation found. One row per (kind, charge): a repeated finding
-- updates last_seen_at instead of piling up; resolved_at is set once the
-- mismatch is gone (e.g. a long-unresolved payment was finally fulfilled).
CREATE TABLE reconciliation_findings (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('payment_not_recorded', 'refund_not_recorded',
                       'payment_unresolved')),
    charge_id      text NOT NULL,
    order_id       text NOT NULL DEFAULT '',
    stars          bigint NOT NULL DEFAULT 0,
    detail         jsonb NOT NULL DEFAULT '{}',
    found_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,
    UNIQUE (kind, charge_id)
);
CREATE INDEX reconciliation_findings_open_idx ON reconciliation_findings (found_at DESC) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE reconciliation_findings;
DROP TABLE reconcile_checkpoints;
