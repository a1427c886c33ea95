-- +goose Up
-- The install reminder is found by a periodic sweep over recent deliveries
-- instead of a timer per eSIM: the sweep reads deliveries by time.
CREATE INDEX order_events_delivered_idx ON order_events (created_at) WHERE kind = 'delivered';

-- +goose Down
DROP INDEX order_events_delivered_idx;
