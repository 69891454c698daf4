-- The embedded twin of sql/postgres/001: endpoints, deliveries (the queue and the log) and checkpoints, in the
-- embedded mode's one SQLite file. Times are UTC ISO 8601 text written by the adapter (they sort as they compare).
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id               TEXT    PRIMARY KEY,
    url              TEXT    NOT NULL,
    event_types      TEXT    NOT NULL,             -- JSON array
    description      TEXT    NOT NULL DEFAULT '',
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    failure_streak   INTEGER NOT NULL DEFAULT 0,
    failing_since    TEXT,
    secret           BLOB    NOT NULL,             -- sealed (AES-GCM, WEBHOOKS_SECRET_KEY); never returned
    from_position    INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    created_by       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    last_delivery_at TEXT
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       TEXT    NOT NULL,
    replay           INTEGER NOT NULL DEFAULT 0,
    lane             TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    position         INTEGER,
    ticket_id        TEXT,
    alert            TEXT,                         -- JSON: a service-level alert's fields
    occurred_at      TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    http_status      INTEGER,
    latency_ms       REAL,
    response_excerpt TEXT,
    created_at       TEXT    NOT NULL,
    last_attempt_at  TEXT,
    next_attempt_at  TEXT    NOT NULL,
    UNIQUE (endpoint_id, message_id, replay)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_lane ON webhook_deliveries (endpoint_id, lane, seq)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');

-- `events`: a store position; `alerts`: the seq of the last sla_alerts row turned into deliveries.
CREATE TABLE IF NOT EXISTS webhook_checkpoints (
    source     TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL DEFAULT 0,
    entry_id   TEXT,
    updated_at TEXT    NOT NULL
);
