-- +goose Up
-- A subscription is a plan sold as a monthly Stars subscription. Its id is
-- also the invoice payload and the id of its row in orders (source
-- 'subscription'), so every charge of it (payments.order_id), the eSIM of
-- the first period and each renewal's top-up (esim_orders) and every refund
-- hang off the same id the ledger already understands.
CREATE TABLE subscriptions (
    id              text PRIMARY KEY REFERENCES orders (id),
    user_id         bigint NOT NULL,
    chat_id         bigint NOT NULL,
    plan_id         text NOT NULL,
    status          text NOT NULL CHECK (status IN ('awaiting_payment', 'active', 'canceled', 'failed',
                        'expired', 'refunded')),
    -- editUserStarSubscription needs the charge of the first payment.
    first_charge_id text REFERENCES payments (telegram_payment_charge_id),
    iccid           text,                                 -- the eSIM every renewal tops up
    periods         integer NOT NULL DEFAULT 0 CHECK (periods >= 0),
    expires_at      timestamptz,                          -- last subscription_expiration_date
    canceled_by     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, created_at DESC);

-- +goose Down
DROP TABLE subscriptions;
