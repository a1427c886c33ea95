-- +goose Up
-- After the sale: top-ups, data left, install state and eSIM Go callbacks.

-- A top-up order adds its bundle to an eSIM the buyer already has; NULL for
-- an order of a new eSIM.
ALTER TABLE orders ADD COLUMN top_up_iccid text;

-- Owners and top-ups look eSIMs up by ICCID.
CREATE INDEX esim_orders_iccid_idx ON esim_orders (iccid) WHERE iccid IS NOT NULL;

-- One row per eSIM the store has looked at after the sale: its install
-- state and the bookkeeping that bounds eSIM Go reads to one refresh per
-- eSIM per interval, whatever buyers do (refresh_claimed_at is claimed
-- with a conditional UPDATE, so concurrent readers make one call).
CREATE TABLE esims (
    iccid                 text PRIMARY KEY,
    install_state         text NOT NULL DEFAULT 'not_installed'
                              CHECK (install_state IN ('not_installed', 'installed', 'removed')),
    profile_status        text NOT NULL DEFAULT '',
    first_installed_at    timestamptz,
    state_changed_at      timestamptz,        -- device time of the last status change applied
    refresh_claimed_at    timestamptz,        -- the last eSIM Go read started
    refreshed_at          timestamptz,        -- the last eSIM Go read that succeeded
    installed_notified_at timestamptz,        -- "Your eSIM is installed" sent (once)
    reminded_at           timestamptz,        -- the install reminder sent (once)
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- The bundles on each eSIM with their data left, as eSIM Go last reported
-- them (a read, or a usage callback). Bytes, as eSIM Go counts them.
CREATE TABLE esim_bundles (
    iccid           text NOT NULL REFERENCES esims (iccid),
    assignment      text NOT NULL,            -- eSIM Go's assignment reference, or its id
    assignment_id   text NOT NULL DEFAULT '',
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    initial_bytes   bigint NOT NULL DEFAULT 0 CHECK (initial_bytes >= 0),
    remaining_bytes bigint NOT NULL DEFAULT 0 CHECK (remaining_bytes >= 0),
    unlimited       boolean NOT NULL DEFAULT false,
    state           text NOT NULL DEFAULT '',
    assigned_at     timestamptz,
    starts_at       timestamptz,
    ends_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, assignment)
);

-- Low-data alerts: at most one per bundle assignment and threshold. The
-- row is written before the message is sent; sent_at after.
CREATE TABLE esim_alerts (
    iccid      text NOT NULL,
    assignment text NOT NULL,
    threshold  integer NOT NULL CHECK (threshold IN (80, 100)),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    suppressed boolean NOT NULL DEFAULT false,   -- a later threshold was reached first
    PRIMARY KEY (iccid, assignment, threshold)
);

-- Whether bundles of a family fit an eSIM (eSIM Go's compatibility check),
-- cached so buyers browsing top-ups do not each cost an eSIM Go call.
CREATE TABLE esim_compatibility (
    iccid      text NOT NULL,
    family     text NOT NULL,
    compatible boolean NOT NULL,
    checked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, family)
);

-- The eSIM Go callback inbox: the raw body exactly as signed, keyed by its
-- SHA-256, so a re-delivery is recognised and acted on once.
CREATE TABLE esimgo_callbacks (
    body_sha256  text PRIMARY KEY,
    alert_type   text NOT NULL DEFAULT '',
    iccid        text NOT NULL DEFAULT '',
    raw          bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    outcome      text NOT NULL DEFAULT ''
);
CREATE INDEX esimgo_callbacks_open_idx ON esimgo_callbacks (received_at) WHERE processed_at IS NULL;

-- The eSIM Go balance as last reported (a balance alert, an order's running
-- balance, or a read of the organisation): sales pause below a floor.
CREATE TABLE esimgo_account (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    balance_usd numeric(14,4),                 -- NULL until the first report
    source      text,
    reported_at timestamptz,
    claimed_at  timestamptz                    -- the last read of the organisation started
);

-- +goose Down
DROP TABLE esimgo_account;
DROP TABLE esimgo_callbacks;
DROP TABLE esim_compatibility;
DROP TABLE esim_alerts;
DROP TABLE esim_bundles;
DROP TABLE esims;
DROP INDEX esim_orders_iccid_idx;
ALTER TABLE orders DROP COLUMN top_up_iccid;
