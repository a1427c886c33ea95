-- +goose NO TRANSACTION
-- +goose Up
-- The per-buyer limit on unpaid orders counts a buyer's orders awaiting
-- payment on every new order. A partial index holds only those rows (a few
-- per active buyer), so the count stays cheap however many orders a buyer
-- has bought before. CONCURRENTLY keeps the orders table writable while the
-- index is built on a live store.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_awaiting_idx
    ON orders (user_id, quote_expires_at) WHERE status = 'awaiting_payment';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS orders_user_awaiting_idx;
