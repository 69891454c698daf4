-- Service-level alerts the timer raised: a warning or a breach of one clock's deadline, each once (its id names the
-- ticket, the clock, the kind and the deadline, so a deadline moved by a policy change or a reopen is a new alert).
-- Also the outbox of the alerts stream: published_at is set once the entry is on it. A rebuild keeps the table.
CREATE TABLE sla_alerts (
    id           text        PRIMARY KEY,          -- "<ticket>:<clock>:<kind>:<due_at>"
    seq          bigint      NOT NULL UNIQUE,      -- the order they were raised in; the ?after= cursor
    ticket_id    text        NOT NULL,
    clock        text        NOT NULL CHECK (clock IN ('first_response', 'resolution')),
    kind         text        NOT NULL CHECK (kind IN ('warning', 'breached')),
    due_at       timestamptz NOT NULL,
    warning_at   timestamptz,
    instant      timestamptz NOT NULL,             -- the warning or the due instant that passed
    raised_at    timestamptz NOT NULL,
    priority     text        NOT NULL,
    published_at timestamptz,
    UNIQUE (ticket_id, clock, kind, due_at)
);
CREATE INDEX sla_alerts_unpublished_idx ON sla_alerts (seq) WHERE published_at IS NULL;
