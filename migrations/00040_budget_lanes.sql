-- +goose Up
-- Provider rate limits cover the whole deployment (eSIM Go: 10 requests a
-- second per account; Telegram: about 30 messages a second per bot and one
-- per chat), so every API and worker process books its calls here. A lane
-- is one limit; free_at is the earliest moment its next call may leave.
-- Package budget explains the rules; store/budget.go calls the function.
CREATE TABLE budget_lanes (
    key     text PRIMARY KEY,
    free_at timestamptz NOT NULL,
    -- when the latest calls really left (one entry per token of cost),
    -- for the gate below
    sent    timestamptz[] NOT NULL DEFAULT '{}'
);

-- book_budget books one call on every lane in keys: its slot is the moment
-- they are all free (never before now), and each lane then stays booked for
-- its gap after it. Nothing is booked, and the wait is still returned, when
-- the slot is further off than max_wait_us (0: no bound) or, for
-- idle_only (background) calls, later than now. Rows are locked in key
-- order, so bookings that share lanes cannot deadlock.
-- +goose StatementBegin
CREATE FUNCTION book_budget(keys text[], gaps_us bigint[], max_wait_us bigint, idle_only boolean,
                            OUT booked boolean, OUT wait_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    now_ts timestamptz;
    slot   timestamptz;
BEGIN
    INSERT INTO budget_lanes (key, free_at)
        SELECT k, '-infinity' FROM unnest(keys) AS k ON CONFLICT (key) DO NOTHING;
    SELECT max(l.free_at) INTO slot
        FROM (SELECT free_at FROM budget_lanes WHERE key = ANY (keys) ORDER BY key FOR UPDATE) AS l;
    now_ts := clock_timestamp();
    slot := greatest(slot, now_ts);
    wait_us := (extract(epoch FROM slot - now_ts) * 1000000)::bigint;
    booked := NOT (idle_only AND wait_us > 0) AND NOT (max_wait_us > 0 AND wait_us > max_wait_us);
    IF booked THEN
        UPDATE budget_lanes AS b SET free_at = slot + g.gap_us * interval '1 microsecond'
            FROM unnest(keys, gaps_us) AS g (key, gap_us)
            WHERE b.key = g.key;
    END IF;
END
$$;
-- +goose StatementEnd

-- pass_budget is the gate a booked call passes just before it leaves: at
-- most maxes[i] calls on lane i within any windows_us[i] (the lane's gap
-- times its max, about a second). Slots are a gap apart, but a process
-- may wake late for its slot and leave close behind the next one; the gate
-- holds the next one back (passed is false, wait_us says how long) so the
-- provider never sees more than its limit within a second. A call costing
-- n tokens counts n times.
-- +goose StatementBegin
CREATE FUNCTION pass_budget(keys text[], maxes int[], windows_us bigint[], cost int,
                            OUT passed boolean, OUT wait_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    now_ts timestamptz;
    lane   record;
    n      int;
    need   int;
    until  timestamptz;
BEGIN
    INSERT INTO budget_lanes (key, free_at)
        SELECT k, '-infinity' FROM unnest(keys) AS k ON CONFLICT (key) DO NOTHING;
    PERFORM 1 FROM budget_lanes WHERE key = ANY (keys) ORDER BY key FOR UPDATE;
    now_ts := clock_timestamp();
    wait_us := 0;
    FOR lane IN SELECT b.sent, g.mx, g.win FROM budget_lanes AS b
            JOIN unnest(keys, maxes, windows_us) AS g (key, mx, win) ON g.key = b.key LOOP
        n := cardinality(lane.sent);
        need := n + least(cost, lane.mx) - lane.mx; -- the entry that must have left the window
        IF need >= 1 THEN
            until := lane.sent[need] + lane.win * interval '1 microsecond';
            IF until > now_ts THEN
                wait_us := greatest(wait_us, (extract(epoch FROM until - now_ts) * 1000000)::bigint);
            END IF;
        END IF;
    END LOOP;
    passed := wait_us = 0;
    IF passed THEN
        UPDATE budget_lanes AS b
            SET sent = (b.sent || array_fill(now_ts, ARRAY[least(cost, g.mx)]))
                [greatest(cardinality(b.sent) + least(cost, g.mx) - g.mx + 1, 1):]
            FROM unnest(keys, maxes) AS g (key, mx)
            WHERE b.key = g.key;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION pass_budget(text[], int[], bigint[], int);
DROP FUNCTION book_budget(text[], bigint[], bigint, boolean);
DROP TABLE budget_lanes;
