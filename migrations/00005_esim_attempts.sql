-- +goose Up
-- One row per charge once the store has tried to buy its eSIM. eSIM Go has
-- no idempotency key, so an attempt that died without an answer (a crash, a
-- lost response, a local activity re-run after a worker restart) must make
-- the next one look for an order before buying. Temporal's attempt counter
-- cannot say this for a local activity re-run from scratch; this row can.
CREATE TABLE esim_attempts (
    charge_id  text PRIMARY KEY,
    order_id   text NOT NULL,
    attempts   integer NOT NULL,
    first_at   timestamptz NOT NULL DEFAULT now(),
    last_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE esim_attempts;
