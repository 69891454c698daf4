-- Service levels, as sql/postgres/006: each ticket's clocks and the policy's versions. Times are UTC ISO text.
ALTER TABLE rm_tickets ADD COLUMN sla_policy_version INTEGER;
ALTER TABLE rm_tickets ADD COLUMN first_response_target_seconds INTEGER;
ALTER TABLE rm_tickets ADD COLUMN first_response_due_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN first_response_warning_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN first_response_met_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN first_response_breached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rm_tickets ADD COLUMN resolution_target_seconds INTEGER;
ALTER TABLE rm_tickets ADD COLUMN resolution_due_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN resolution_warning_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN resolution_met_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN resolution_breached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rm_tickets ADD COLUMN resolution_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rm_tickets ADD COLUMN resolution_elapsed_seconds REAL NOT NULL DEFAULT 0;
ALTER TABLE rm_tickets ADD COLUMN resolution_running_since TEXT;
ALTER TABLE rm_tickets ADD COLUMN sla_warning_at TEXT;
ALTER TABLE rm_tickets ADD COLUMN sla_due_at TEXT NOT NULL DEFAULT '9999-12-31T00:00:00.000000+00:00';
ALTER TABLE rm_tickets ADD COLUMN sla_intervals TEXT NOT NULL DEFAULT '[]';
CREATE INDEX rm_tickets_sla_pending_idx ON rm_tickets (sla_warning_at) WHERE sla_warning_at IS NOT NULL;
CREATE INDEX rm_tickets_sla_due_idx ON rm_tickets (sla_due_at, id);
CREATE TABLE rm_sla_policies (
    version INTEGER PRIMARY KEY, position INTEGER NOT NULL, policy TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
