-- Webhook endpoints, their deliveries (the queue and the log in one table) and the dispatcher's checkpoints.
CREATE SCHEMA IF NOT EXISTS webhooks;

CREATE TABLE IF NOT EXISTS webhooks.endpoints (
    id               text        PRIMARY KEY,
    url              text        NOT NULL,
    event_types      text[]      NOT NULL,
    description      text        NOT NULL DEFAULT '',
    enabled          boolean     NOT NULL DEFAULT true,
    disabled_reason  text,
    failure_streak   integer     NOT NULL DEFAULT 0,   -- deliveries finally failed in a row
    failing_since    timestamptz,                      -- first failed attempt since the last success
    secret           bytea       NOT NULL,             -- sealed (AES-GCM, WEBHOOKS_SECRET_KEY); never returned
    from_position    bigint      NOT NULL DEFAULT 0,   -- events after this position are delivered to it
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text        NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    last_delivery_at timestamptz
);

-- One row per message and endpoint. Open rows (pending, retrying) are the queue; within a lane (an endpoint and
-- a ticket) only the open row with the lowest seq may be attempted: that is the per-ticket order.
CREATE TABLE IF NOT EXISTS webhooks.deliveries (
    seq              bigserial   PRIMARY KEY,
    endpoint_id      text        NOT NULL REFERENCES webhooks.endpoints (id) ON DELETE CASCADE,
    message_id       text        NOT NULL,             -- the webhook-id header
    replay           integer     NOT NULL DEFAULT 0,   -- 0; n for the n-th manual redelivery
    lane             text        NOT NULL,             -- the ticket id: the ordering key
    event_type       text        NOT NULL,
    position         bigint,                           -- the event's position (read from the store when sent)
    ticket_id        text,
    alert            jsonb,                            -- a service-level alert's fields (no personal data)
    occurred_at      timestamptz NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    http_status      integer,
    latency_ms       double precision,
    response_excerpt text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_until     timestamptz,                      -- an attempt in flight (a crashed one expires)
    UNIQUE (endpoint_id, message_id, replay)
);
CREATE INDEX IF NOT EXISTS deliveries_lane ON webhooks.deliveries (endpoint_id, lane, seq)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS deliveries_due ON webhooks.deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS deliveries_log ON webhooks.deliveries (endpoint_id, seq DESC);

-- How far each source was turned into deliveries: `events` (a store position), `alerts` (a stream entry id).
CREATE TABLE IF NOT EXISTS webhooks.checkpoints (
    source     text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    entry_id   text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
