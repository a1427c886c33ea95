-- +goose Up
-- Money columns: Stars are whole integers; USD is numeric, never floating point.

CREATE TABLE plans (
    id             text PRIMARY KEY,                 -- eSIM Go bundle name
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    countries      text[] NOT NULL DEFAULT '{}',     -- ISO 3166-1 alpha-2
    region         text NOT NULL DEFAULT '',
    data_mb        integer NOT NULL CHECK (data_mb >= 0),
    duration_days  integer NOT NULL CHECK (duration_days > 0),
    unlimited      boolean NOT NULL DEFAULT false,
    wholesale_usd  numeric(12,4) NOT NULL CHECK (wholesale_usd > 0),
    price_usd      numeric(12,2) NOT NULL CHECK (price_usd > 0),
    price_stars    bigint NOT NULL CHECK (price_stars > 0),
    on_sale        boolean NOT NULL DEFAULT true,
    synced_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plans_countries_idx ON plans USING gin (countries);

CREATE TABLE orders (
    id               text PRIMARY KEY,               -- also the invoice payload
    user_id          bigint NOT NULL,
    chat_id          bigint NOT NULL,
    plan_id          text NOT NULL REFERENCES plans (id),
    plan_name        text NOT NULL DEFAULT '',
    status           text NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'fulfilling',
                         'fulfilled', 'refunding', 'refunded', 'expired')),
    price_usd        numeric(12,2) NOT NULL CHECK (price_usd > 0),
    price_stars      bigint NOT NULL CHECK (price_stars > 0),
    invoice_link     text,
    quote_expires_at timestamptz NOT NULL,
    language_code    text NOT NULL DEFAULT 'en',
    source           text NOT NULL DEFAULT 'miniapp' CHECK (source IN ('miniapp', 'chat', 'payment', 'subscription')),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);

CREATE TABLE payments (
    telegram_payment_charge_id   text PRIMARY KEY,
    provider_payment_charge_id   text NOT NULL DEFAULT '',
    order_id                     text NOT NULL,      -- the invoice payload; may name no order
    user_id                      bigint NOT NULL,
    currency                     text NOT NULL,
    total_amount                 bigint NOT NULL,
    invoice_payload              text NOT NULL,
    is_recurring                 boolean NOT NULL DEFAULT false,
    is_first_recurring           boolean NOT NULL DEFAULT false,
    subscription_expiration_date timestamptz,
    update_id                    bigint,
    source                       text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'reconciliation')),
    received_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE esim_orders (
    esimgo_reference text PRIMARY KEY,
    order_id         text NOT NULL REFERENCES orders (id),
    charge_id        text NOT NULL REFERENCES payments (telegram_payment_charge_id),
    bundle           text NOT NULL,
    iccid            text,
    smdp_address     text,
    matching_id      text,
    total_usd        numeric(12,4),
    claimed          boolean NOT NULL DEFAULT false,  -- found by lookup after an unknown outcome
    created_at       timestamptz NOT NULL DEFAULT now(),
    installed_at     timestamptz                      -- install details fetched
);
CREATE UNIQUE INDEX esim_orders_charge_idx ON esim_orders (charge_id);
CREATE INDEX esim_orders_order_idx ON esim_orders (order_id);

CREATE TABLE refunds (
    telegram_payment_charge_id text PRIMARY KEY REFERENCES payments (telegram_payment_charge_id),
    order_id      text NOT NULL,
    user_id       bigint NOT NULL,
    stars         bigint NOT NULL,
    reason        text NOT NULL,
    requested_by  text NOT NULL,                      -- "system" or the support token's name
    status        text NOT NULL CHECK (status IN ('pending', 'done')),
    external      boolean NOT NULL DEFAULT false,     -- made outside the store, found by reconciliation
    requested_at  timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- Append-only timeline shown to support. event_key makes a retried activity
-- write its event once.
CREATE TABLE order_events (
    id         bigserial PRIMARY KEY,
    order_id   text NOT NULL,
    event_key  text NOT NULL UNIQUE,
    kind       text NOT NULL,
    actor      text NOT NULL DEFAULT 'system',
    detail     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- +goose StatementBegin
CREATE FUNCTION order_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'order_events is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER order_events_no_change BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION order_events_append_only();

-- The webhook inbox: a repeated update_id is acknowledged and ignored.
CREATE TABLE telegram_updates (
    update_id    bigint PRIMARY KEY,
    kind         text NOT NULL,
    raw          jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);

-- +goose Down
DROP TABLE telegram_updates;
DROP TABLE order_events;
DROP FUNCTION order_events_append_only;
DROP TABLE refunds;
DROP TABLE esim_orders;
DROP TABLE payments;
DROP TABLE orders;
DROP TABLE plans;
