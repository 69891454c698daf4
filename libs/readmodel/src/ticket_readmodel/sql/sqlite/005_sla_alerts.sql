-- Service-level alerts the timer raised, each once (as sql/postgres/007); the embedded mode publishes no stream,
-- so published_at stays empty there. A rebuild keeps the table.
CREATE TABLE rm_sla_alerts (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, ticket_id TEXT NOT NULL,
    clock TEXT NOT NULL CHECK (clock IN ('first_response', 'resolution')),
    kind TEXT NOT NULL CHECK (kind IN ('warning', 'breached')),
    due_at TEXT NOT NULL, warning_at TEXT, instant TEXT NOT NULL, raised_at TEXT NOT NULL, priority TEXT NOT NULL,
    published_at TEXT, UNIQUE (ticket_id, clock, kind, due_at)
);
