-- +goose Up
-- The support chat (docs/operations.md §13): buyers write to the bot, their
-- messages are copied into the staff group, staff replies are copied back.

-- Telegram users the store has seen write or pay, so support can find a
-- buyer by @username and the relay can name them. help_order_id is the
-- order the buyer last asked help with (/start help_<order id>).
CREATE TABLE telegram_users (
    user_id       bigint PRIMARY KEY,
    first_name    text NOT NULL DEFAULT '',
    last_name     text NOT NULL DEFAULT '',
    username      text NOT NULL DEFAULT '',
    language_code text NOT NULL DEFAULT '',
    help_order_id text,
    help_order_at timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_users_username_idx ON telegram_users (lower(username)) WHERE username <> '';

-- Every message relayed between a buyer's private chat and the support
-- chat, written before the webhook answers (the inbox of the relay); the
-- relay workflow of the buyer sends the pending ones in order. The source
-- message is the key, so a re-delivered update queues nothing twice.
CREATE TABLE support_messages (
    id                bigserial PRIMARY KEY,
    direction         text NOT NULL CHECK (direction IN ('to_support', 'to_buyer')),
    buyer_id          bigint NOT NULL,
    from_chat_id      bigint NOT NULL,
    from_message_id   bigint NOT NULL,
    from_user_id      bigint NOT NULL,
    from_name         text NOT NULL DEFAULT '',
    order_id          text,                         -- the order the buyer attached
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    header_message_id bigint,                       -- to_support: the header posted before the copy
    copy_message_id   bigint,                       -- the copy in the other chat
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    UNIQUE (from_chat_id, from_message_id)
);
CREATE INDEX support_messages_pending_idx ON support_messages (buyer_id, direction, from_message_id)
    WHERE status = 'pending';
CREATE INDEX support_messages_buyer_idx ON support_messages (buyer_id, id);

-- Which buyer a bot message in the support chat is about: a staff reply to
-- it goes to that buyer.
CREATE TABLE support_threads (
    chat_id    bigint NOT NULL,
    message_id bigint NOT NULL,
    buyer_id   bigint NOT NULL,
    order_id   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, message_id)
);

-- Refunds staff asked for with /refund, and what became of the confirm
-- button: proposed → confirming (pressed) → accepted (the workflow took
-- it) or refused (already refunded, not paid, …).
CREATE TABLE support_refund_requests (
    id              bigserial PRIMARY KEY,
    order_id        text NOT NULL,
    reason          text NOT NULL,
    requested_by    text NOT NULL,
    requested_by_id bigint NOT NULL,
    chat_id         bigint NOT NULL,
    message_id      bigint,                          -- the message with the confirm button
    status          text NOT NULL DEFAULT 'proposed'
                        CHECK (status IN ('proposed', 'confirming', 'accepted', 'refused')),
    confirmed_by    text,
    outcome         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
CREATE INDEX support_refund_requests_order_idx ON support_refund_requests (order_id, id);

-- Alerts posted to the support chat, one row per deduplication key; the
-- rate limit counts a kind's rows sent in the last hour.
CREATE TABLE alerts (
    dedup_key    text PRIMARY KEY,
    kind         text NOT NULL,
    order_id     text,
    text         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('new', 'sending', 'sent', 'failed', 'rate_limited')),
    repeats      integer NOT NULL DEFAULT 0,            -- raised again while already known
    message_id   bigint,
    error        text,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX alerts_kind_raised_idx ON alerts (kind, raised_at);

-- +goose Down
DROP TABLE alerts;
DROP TABLE support_refund_requests;
DROP TABLE support_threads;
DROP TABLE support_messages;
DROP TABLE telegram_users;
