-- +goose Up
-- A stable code beside the English reason, so the Mini App can show the
-- reason in the buyer's language.
ALTER TABLE refunds ADD COLUMN reason_code text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE refunds DROP COLUMN reason_code;
