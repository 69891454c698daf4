-- The event store: an append-only log with per-stream versions and global positions in commit order.
CREATE TABLE events (
    position    bigint      PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    stream_id   text        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    type        text        NOT NULL,
    data        jsonb       NOT NULL,
    metadata    jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, version)
);

-- Positions are drawn only while holding the append lock (see postgres.py), so they follow commit order.
CREATE SEQUENCE events_position_seq OWNED BY events.position;

CREATE INDEX events_occurred_at_idx ON events (occurred_at);

-- Responses of requests that carried an Idempotency-Key, written in the same transaction as their events.
CREATE TABLE idempotency_keys (
    actor        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status_code  integer     NOT NULL,
    body         jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);

CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END;
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();
