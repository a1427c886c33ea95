-- +goose Up
-- How the latest purchase attempt of a charge ended. A retried attempt
-- waits for a late commit of the previous one before it looks for it:
-- from ended_at when the previous request ended (answered, timed out or
-- dropped), from last_at plus the whole order timeout when it never
-- ended (the worker died), and not at all when eSIM Go refused it
-- outright (refused: no order of it can appear).
ALTER TABLE esim_attempts ADD COLUMN ended_at timestamptz;
ALTER TABLE esim_attempts ADD COLUMN refused boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE esim_attempts DROP COLUMN refused;
ALTER TABLE esim_attempts DROP COLUMN ended_at;
