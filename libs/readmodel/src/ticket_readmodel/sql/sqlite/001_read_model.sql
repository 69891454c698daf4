-- Read models of the embedded mode, in the SQLite file next to the event store (tables prefixed rm_): the tables
-- as the first release made them. IF NOT EXISTS: a file of that release, which recorded no version, is taken over.
CREATE TABLE IF NOT EXISTS rm_tickets (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, place TEXT NOT NULL, marking TEXT NOT NULL,
    subject TEXT NOT NULL, description TEXT NOT NULL, priority TEXT NOT NULL, priority_rank INTEGER NOT NULL,
    requester TEXT NOT NULL, assignee TEXT, messages TEXT NOT NULL, message_count INTEGER NOT NULL,
    escalation_reason TEXT, resolution TEXT, reopen_count INTEGER NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, first_response_at TEXT, resolved_at TEXT, closed_at TEXT,
    last_position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_tickets_created_idx ON rm_tickets (created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_updated_idx ON rm_tickets (updated_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_priority_idx ON rm_tickets (priority_rank, created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_place_idx ON rm_tickets (place, created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_assignee_idx ON rm_tickets (assignee, updated_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_requester_idx ON rm_tickets (requester, created_at, id);
-- Every event of every ticket, as recorded. Times are UTC ISO 8601 text with microseconds: text order is time order.
CREATE TABLE IF NOT EXISTS rm_history (
    position INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, version INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, transition TEXT, actor TEXT NOT NULL, roles TEXT NOT NULL, occurred_at TEXT NOT NULL,
    data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (ticket_id, version)
);
CREATE TABLE IF NOT EXISTS rm_daily_stats (
    day TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0, resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rm_place_counts (place TEXT PRIMARY KEY, tickets INTEGER NOT NULL);
-- How far the projection got: written in the same transaction as the rows it covers.
CREATE TABLE IF NOT EXISTS rm_checkpoint (projection TEXT PRIMARY KEY, position INTEGER NOT NULL);
INSERT OR IGNORE INTO rm_checkpoint (projection, position) VALUES ('tickets', 0);
-- The poison event the projection halted on, until the checkpoint passes it.
CREATE TABLE IF NOT EXISTS rm_halt (
    projection TEXT PRIMARY KEY, position INTEGER NOT NULL, reason TEXT NOT NULL, event_type TEXT NOT NULL,
    ticket_id TEXT NOT NULL, halted_at TEXT NOT NULL
);
